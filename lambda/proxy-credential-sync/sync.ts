/**
 * The proxy credential sync: brings each external key store's XKS proxy credential in line with the
 * current version of its secret, so that a rotation (Secrets Manager rotation, put-secret-value,
 * the console) reaches KMS without a redeploy.
 *
 * It runs on a schedule, and at once when Secrets Manager reports that a secret's AWSCURRENT label
 * moved; every run does the same thing for every store, so a lost event, a failed run or a store
 * that was busy is caught up by the next one. KMS shows the AccessKeyId it holds but never the
 * secret access key, so the sync remembers, in an SSM parameter per store, the secret version it
 * last gave KMS: a store is updated when the secret's AWSCURRENT version is another one. The
 * secret's value is read only then, and never logged, published or put in an error.
 */
import { CloudWatchClient, MetricDatum } from '@aws-sdk/client-cloudwatch';
import { KMSClient } from '@aws-sdk/client-kms';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { CREDENTIAL_SYNC_FAILED_METRIC, STORE_ID_DIMENSION, SyncTarget } from '../../lib/private/contract/operations-metrics';
import { errorName, KeyStoreError } from '../shared/errors';
import { publishMetrics, storeDatum } from '../shared/metric-publisher';
import { CallStats, isTransient, RetryOptions, withRetry } from '../shared/retry';
import { SecretReader } from '../shared/secrets/reader';
import { SecretRedactor } from '../shared/secrets/redactor';
import { StoreApi, StoreView } from '../shared/store-api';
import * as messages from './messages';

export interface SyncDeps {
  readonly kms: KMSClient;
  readonly cloudWatch: CloudWatchClient;
  readonly secretsManager: SecretsManagerClient;
  readonly ssm: SSMClient;
  readonly redactor: SecretRedactor;
  readonly retry?: RetryOptions;
  readonly log: (line: string) => void;
  readonly now?: () => Date;
}

/**
 * KMS's answers to an UpdateCustomKeyStore whose check of the proxy met a passing condition: the
 * proxy's retryable errors (timeouts, throttling, internal errors, unreachable) reach it as
 * XksProxyUriUnreachableException (Developer Guide, "Monitoring an external key store", the top
 * exceptions table), and XksProxyInvalidResponseException "could also be a transient network
 * issue" (kms model). Neither says the credential is wrong.
 */
const PASSING_PROXY_CONDITIONS: ReadonlySet<string> = new Set(['XksProxyUriUnreachableException', 'XksProxyInvalidResponseException']);
/**
 * What became of one store: `in-sync` (KMS has the current version), `updated`, `rejected` (KMS
 * refused the credential, or the secret is unusable: the failure metric goes to 1), `deferred`
 * (the store is connecting, disconnecting or FAILED, when KMS accepts no change, or a call failed
 * for a passing reason) or `not-found`. Anything but `in-sync` and `updated` is tried again by the
 * next run, since the version applied stays as it was.
 */
type SyncOutcome = 'in-sync' | 'updated' | 'rejected' | 'deferred' | 'not-found';

export interface StoreSyncResult {
  readonly storeId: string;
  readonly outcome: SyncOutcome;
  /** Why a store was rejected or deferred, redacted. */
  readonly reason?: string;
}

/** What woke the run (only logged: every run checks every store). */
export interface SyncTrigger {
  readonly 'detail-type'?: string;
}

const CHANGEABLE_STATES = new Set(['CONNECTED', 'DISCONNECTED']);

export async function syncProxyCredentials(targets: readonly SyncTarget[], trigger: SyncTrigger | undefined, deps: SyncDeps): Promise<StoreSyncResult[]> {
  const stats = new CallStats();
  const retry: RetryOptions = { ...deps.retry, stats };
  const stores = new StoreApi(deps.kms, retry);
  const all = await stores.listAll();
  // One reader a run: its redactor remembers every value this run read.
  const secrets = new SecretReader(deps.secretsManager, deps.redactor, retry);
  const results: StoreSyncResult[] = [];
  for (const target of targets) {
    results.push(await syncOne(target, all.get(target.storeId), { ...deps, stores, secrets }, retry));
  }
  const at = deps.now?.() ?? new Date();
  const data: MetricDatum[] = results
    .filter((r) => r.outcome !== 'deferred' && r.outcome !== 'not-found')
    .map((r) => storeDatum(CREDENTIAL_SYNC_FAILED_METRIC, r.outcome === 'rejected' ? 1 : 0, { [STORE_ID_DIMENSION]: r.storeId }, at));
  if (data.length > 0) {
    await publishMetrics(deps.cloudWatch, data, retry);
  }
  deps.log(deps.redactor.redact(JSON.stringify({ trigger: trigger?.['detail-type'] ?? 'direct', results, awsCalls: stats.calls, retries: stats.retries })));
  return results;
}

/** At most this many updates a run: enough to catch up with a secret rotated again during the run. */
const MAX_ROUNDS = 3;

/** What one store's sync uses: the run's clients, and the run's store API and secret reader. */
interface RunDeps extends SyncDeps {
  readonly stores: StoreApi;
  readonly secrets: SecretReader;
}

async function syncOne(target: SyncTarget, store: StoreView | undefined, deps: RunDeps, retry: RetryOptions): Promise<StoreSyncResult> {
  const storeId = target.storeId;
  if (!store) {
    return { storeId, outcome: 'not-found' };
  }
  /** `lastingReason` says what to do about a failure that will not pass by itself. */
  const failed = (err: unknown, lastingReason?: string): StoreSyncResult => {
    // A passing failure (throttling, an internal error, also when a secret read wraps it) is
    // left to the next run; anything else needs someone to act, and raises the failure metric.
    const passing = isTransient(err) || (err instanceof KeyStoreError && isTransient(err.cause));
    // A KeyStoreError's message already begins with the name of the error it explains.
    const plain = err instanceof KeyStoreError ? err.message : messages.awsErrorReason(errorName(err), (err as Error).message);
    return { storeId, outcome: passing ? 'deferred' : 'rejected', reason: deps.redactor.redact(passing ? plain : (lastingReason ?? plain)) };
  };
  // The version this run last gave KMS. Runs may overlap (the event's and the schedule's): a run
  // finishes only when the version it gave KMS last is still the current one, so that a run that
  // gave KMS an older version after another gave it a newer one puts the newer one back.
  let given: string | undefined;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    let current: string;
    try {
      current = await currentVersion(deps.secretsManager, target.secretArn, retry);
      if (given === current) {
        return { storeId, outcome: 'updated' };
      }
      if (given === undefined) {
        const parameter = await withRetry(async () => deps.ssm.send(new GetParameterCommand({ Name: target.stateParameter })), retry);
        if (parameter.Parameter?.Value === stateValue(target, current)) {
          return { storeId, outcome: 'in-sync' };
        }
      }
    } catch (err) {
      return failed(err);
    }
    const state = store.ConnectionState ?? 'UNKNOWN';
    if (given === undefined && !CHANGEABLE_STATES.has(state)) {
      return { storeId, outcome: 'deferred', reason: messages.credentialSyncDeferredReason(state) };
    }
    let credential;
    try {
      credential = await deps.secrets.proxyCredential(target.secretArn, current);
    } catch (err) {
      // The reader's message says what is wrong with the secret, never its value.
      return failed(err);
    }
    try {
      await deps.stores.update({
        CustomKeyStoreId: storeId,
        XksProxyAuthenticationCredential: { AccessKeyId: credential.accessKeyId, RawSecretAccessKey: credential.secretAccessKey },
      });
    } catch (err) {
      if (errorName(err) === 'CustomKeyStoreInvalidStateException') {
        // The store began connecting or disconnecting since it was read.
        return { storeId, outcome: 'deferred', reason: deps.redactor.redact(messages.awsErrorReason(errorName(err), (err as Error).message)) };
      }
      if (PASSING_PROXY_CONDITIONS.has(errorName(err))) {
        // KMS could not check the credential on the proxy just now: not a verdict on the credential.
        return { storeId, outcome: 'deferred', reason: deps.redactor.redact(messages.proxyUnavailableReason(errorName(err), (err as Error).message)) };
      }
      return failed(err, messages.credentialSyncRejectedReason(errorName(err), (err as Error).message, target.secretArn));
    }
    given = current;
    try {
      await withRetry(async () => deps.ssm.send(new PutParameterCommand({ Name: target.stateParameter, Value: stateValue(target, current), Overwrite: true })), retry);
    } catch (err) {
      // KMS has the credential; a passing failure leaves the next run to send it once more.
      return failed(err);
    }
  }
  return { storeId, outcome: 'deferred', reason: messages.secretKeptChangingReason(MAX_ROUNDS) };
}

/**
 * What the state parameter holds: the store, the secret and its version, so that a store replaced
 * by a new one, or pointed at another secret, never reads as in sync with what an old one had.
 */
function stateValue(target: SyncTarget, versionId: string): string {
  return `${target.storeId} ${target.secretArn} ${versionId}`;
}

/** The id of the secret's AWSCURRENT version (metadata only: no value is read). */
async function currentVersion(client: SecretsManagerClient, secretArn: string, retry: RetryOptions): Promise<string> {
  const described = await withRetry(async () => client.send(new DescribeSecretCommand({ SecretId: secretArn })), retry);
  const current = Object.entries(described.VersionIdsToStages ?? {}).find(([, stages]) => stages.includes('AWSCURRENT'));
  if (!current) {
    throw Object.assign(new Error(messages.noCurrentVersionMessage(secretArn)), { name: 'NoCurrentVersion' });
  }
  return current[0];
}

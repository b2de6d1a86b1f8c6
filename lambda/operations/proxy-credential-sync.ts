/**
 * The proxy credential sync: brings each external key store's XKS proxy credential in line with the
 * current version of its secret, so that a rotation (Secrets Manager rotation, put-secret-value,
 * the console) reaches KMS without a redeploy.
 *
 * It runs on a schedule, and at once when Secrets Manager reports that a secret's AWSCURRENT label
 * moved. It keeps no state of its own: KMS shows the AccessKeyId it holds (never the secret
 * access key), so a scheduled run updates a store whose AccessKeyId differs from the secret's, and
 * a run woken by the secret's own event updates its stores even when only the secret access key
 * changed. The secret's value is read at run time and never logged, published or put in an error.
 */
import { CloudWatchClient, MetricDatum } from '@aws-sdk/client-cloudwatch';
import { CustomKeyStoresListEntry, KMSClient, UpdateCustomKeyStoreCommand } from '@aws-sdk/client-kms';
import { CREDENTIAL_SYNC_FAILED_METRIC, STORE_ID_DIMENSION, SyncTarget } from '../../lib/private/contract/operations-metrics';
import { errorName } from '../errors';
import * as messages from '../messages';
import { CallStats, RetryOptions, withRetry } from '../retry';
import { SecretReader, SecretRedactor } from '../secrets';
import { publishMetrics, storeDatum } from './metric-publisher';
import { listAllStores } from './store-list';

export interface SyncDeps {
  readonly kms: KMSClient;
  readonly cloudWatch: CloudWatchClient;
  /** Reads the credential secrets; built with `redactor`. */
  readonly secrets: (retry: RetryOptions) => SecretReader;
  readonly redactor: SecretRedactor;
  readonly retry?: RetryOptions;
  readonly log: (line: string) => void;
  readonly now?: () => Date;
}

/**
 * What became of one store: `in-sync` (nothing to do), `updated`, `rejected` (KMS refused the
 * credential, or the secret is unusable), `deferred` (the store is connecting, disconnecting or
 * FAILED, when KMS accepts no change: the next run tries again) or `not-found`.
 */
export type SyncOutcome = 'in-sync' | 'updated' | 'rejected' | 'deferred' | 'not-found';

export interface StoreSyncResult {
  readonly storeId: string;
  readonly outcome: SyncOutcome;
  /** Why a store was rejected: the exception's name and KMS's message, redacted. */
  readonly reason?: string;
}

/** The part of an EventBridge event the sync reads: Secrets Manager's "Secret Label Updated". */
export interface SyncTrigger {
  readonly 'detail-type'?: string;
  readonly resources?: readonly string[];
}

const CHANGEABLE_STATES = new Set(['CONNECTED', 'DISCONNECTED']);

export async function syncProxyCredentials(targets: readonly SyncTarget[], trigger: SyncTrigger | undefined, deps: SyncDeps): Promise<StoreSyncResult[]> {
  const stats = new CallStats();
  const retry: RetryOptions = { ...deps.retry, stats };
  const secrets = deps.secrets(retry);
  const changedSecrets = trigger?.['detail-type'] === 'Secret Label Updated' ? (trigger.resources ?? []) : [];
  const all = await listAllStores(deps.kms, retry);
  const results: StoreSyncResult[] = [];
  for (const target of targets) {
    const forced = changedSecrets.some((arn) => sameSecret(arn, target.secretArn));
    results.push(await syncOne(target, all.get(target.storeId), forced, secrets, deps, retry));
  }
  const at = deps.now?.() ?? new Date();
  const data: MetricDatum[] = results
    .filter((r) => r.outcome !== 'deferred' && r.outcome !== 'not-found')
    .map((r) => storeDatum(CREDENTIAL_SYNC_FAILED_METRIC, r.outcome === 'rejected' ? 1 : 0, { [STORE_ID_DIMENSION]: r.storeId }, at));
  if (data.length > 0) {
    await publishMetrics(deps.cloudWatch, data, retry);
  }
  deps.log(deps.redactor.redact(JSON.stringify({ trigger: trigger?.['detail-type'] ?? 'schedule', results, awsCalls: stats.calls, retries: stats.retries })));
  return results;
}

async function syncOne(
  target: SyncTarget,
  store: CustomKeyStoresListEntry | undefined,
  forced: boolean,
  secrets: SecretReader,
  deps: SyncDeps,
  retry: RetryOptions,
): Promise<StoreSyncResult> {
  const storeId = target.storeId;
  if (!store) {
    return { storeId, outcome: 'not-found' };
  }
  let credential;
  try {
    credential = await secrets.proxyCredential(target.secretArn);
  } catch (err) {
    // The secret's own message says what is wrong with it, never its value.
    return { storeId, outcome: 'rejected', reason: deps.redactor.redact((err as Error).message) };
  }
  if (!forced && store.XksProxyConfiguration?.AccessKeyId === credential.accessKeyId) {
    return { storeId, outcome: 'in-sync' };
  }
  const state = store.ConnectionState ?? 'UNKNOWN';
  if (!CHANGEABLE_STATES.has(state)) {
    return { storeId, outcome: 'deferred', reason: messages.credentialSyncDeferredReason(state) };
  }
  try {
    await withRetry(
      async () =>
        deps.kms.send(
          new UpdateCustomKeyStoreCommand({
            CustomKeyStoreId: storeId,
            XksProxyAuthenticationCredential: { AccessKeyId: credential.accessKeyId, RawSecretAccessKey: credential.secretAccessKey },
          }),
        ),
      retry,
    );
    return { storeId, outcome: 'updated' };
  } catch (err) {
    return { storeId, outcome: 'rejected', reason: deps.redactor.redact(messages.credentialSyncRejectedReason(errorName(err), (err as Error).message, target.secretArn)) };
  }
}

/** Secrets Manager's full ARN ends in '-' and six random characters, which a partial ARN (a secret imported by name) lacks. */
const RANDOM_SUFFIX = /^-[A-Za-z0-9]{6}$/;

/** Whether the event's full ARN is the target's secret (the target may know it by its partial ARN). */
function sameSecret(eventArn: string, targetArn: string): boolean {
  return eventArn === targetArn || (eventArn.startsWith(targetArn) && RANDOM_SUFFIX.test(eventArn.slice(targetArn.length)));
}

/**
 * What a resource of the deployment handler works with: the store and key calls, the secrets, the
 * stack's status, the clock and the log. index.ts builds them around the Lambda's clients; tests
 * build them around mocked ones (makeDeps is the seam).
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CallStats, RetryOptions, Sleep } from '../shared/retry';
import { SecretReader } from '../shared/secrets/reader';
import { SecretRedactor } from '../shared/secrets/redactor';
import { StoreApi } from '../shared/store-api';
import { KeyScanOptions } from '../shared/key-scanner';
import { AdoptionRecords } from './store/adoption-record';
import { JanitorRegistry } from './store/janitor-registry';
import { StackStatusReader } from './store/stack-status';

export interface LogEntry {
  readonly [key: string]: string | number | boolean | undefined;
}

export interface ResourceDeps {
  readonly stores: StoreApi;
  readonly secrets: SecretReader;
  /** Whether an update is a rollback; without it every update is taken as a forward one. */
  readonly stackStatus?: StackStatusReader;
  /** Where adopted stores are remembered; only stores declared with adoptExisting need it. */
  readonly adoptionRecords?: AdoptionRecords;
  /** The janitor's heartbeat and registry; only stores declared with deferDeletion need it. */
  readonly janitor?: JanitorRegistry;
  readonly scan?: KeyScanOptions;
  readonly now?: () => number;
  readonly sleep?: Sleep;
  /**
   * How onEvent waits for KMS to show a disconnect: briefly when isComplete can finish the update,
   * up to `longTimeoutMs` when onEvent must send a value KMS never shows.
   */
  readonly settle?: { readonly intervalMs: number; readonly timeoutMs: number; readonly longTimeoutMs?: number };
  readonly log?: (entry: LogEntry) => void;
  /** The invocation's remaining time (the Lambda context's getRemainingTimeInMillis): retries end before it does. */
  readonly remainingTimeMs?: () => number;
}

/** Builds the handler's collaborators around the given clients: the seam tests use. */
export function makeDeps(
  kms: KMSClient,
  secretsClient: SecretsManagerClient,
  redactor: SecretRedactor,
  retryOptions: RetryOptions = {},
  overrides: Partial<ResourceDeps> = {},
  cloudFormation?: () => Promise<CloudFormationClient>,
  ssm?: () => Promise<SSMClient>,
): ResourceDeps {
  const stats = new CallStats();
  const retry: RetryOptions = { ...retryOptions, stats };
  const log = (entry: LogEntry): void => {
    console.log(redactor.redact(JSON.stringify({ ...entry, kmsCalls: stats.calls, retries: stats.retries })));
  };
  return {
    stores: new StoreApi(kms, retry),
    secrets: new SecretReader(secretsClient, redactor, retry),
    stackStatus: cloudFormation ? new StackStatusReader(cloudFormation, retry) : undefined,
    adoptionRecords: ssm ? new AdoptionRecords(ssm, retry) : undefined,
    janitor: ssm ? new JanitorRegistry(ssm, retry) : undefined,
    scan: { retry },
    log,
    ...overrides,
  };
}

/**
 * Entry points for aws-cdk-lib's custom-resources.Provider: `index.onEvent` and `index.isComplete`.
 *
 * The clients are made once per Lambda container, with the SDK's own retries off (retry.ts is the
 * one retry layer). AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL_SECRETS_MANAGER and
 * AWS_ENDPOINT_URL_CLOUDFORMATION, read by the SDK itself, are how tests point them at a local
 * endpoint; nothing here knows about it.
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CustomKeyStoreResource, LogEntry, ResourceDeps } from './store/resource';
import { IsCompleteResult, KeyStoreEvent, OnEventResult } from './events';
import { isKeyEvent, runKeyWith } from './key/entry';
import { KeyResource } from './key/resource';
import { runPhase } from './phase';
import { CLIENT_OPTIONS } from '../shared/client-options';
import { CallStats, RetryOptions } from '../shared/retry';
import { SecretReader } from '../shared/secrets/reader';
import { SecretRedactor } from '../shared/secrets/redactor';
import { StoreApi } from '../shared/store-api';
import { StackStatusReader } from './store/stack-status';

export type { KeyStoreEvent, OnEventResult, IsCompleteResult } from './events';

interface Clients {
  readonly kms: KMSClient;
  readonly secrets: SecretsManagerClient;
  /** Made on first use: only updates need it, and loading it costs every cold start otherwise. */
  readonly cloudFormation: () => Promise<CloudFormationClient>;
}

let clients: Clients | undefined;

function awsClients(): Clients {
  if (!clients) {
    let cloudFormation: CloudFormationClient | undefined;
    clients = {
      kms: new KMSClient(CLIENT_OPTIONS),
      secrets: new SecretsManagerClient(CLIENT_OPTIONS),
      cloudFormation: async () => (cloudFormation ??= new (await import('@aws-sdk/client-cloudformation')).CloudFormationClient(CLIENT_OPTIONS)),
    };
  }
  return clients;
}

/** Builds the handler's collaborators around the given clients: the seam tests use. */
export function makeDeps(
  kms: KMSClient,
  secretsClient: SecretsManagerClient,
  redactor: SecretRedactor,
  retryOptions: RetryOptions = {},
  overrides: Partial<ResourceDeps> = {},
  cloudFormation?: () => Promise<CloudFormationClient>,
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
    scan: { retry },
    log,
    ...overrides,
  };
}

export async function onEvent(event: KeyStoreEvent): Promise<OnEventResult> {
  if (isKeyEvent(event)) return runKey(event, 'onEvent', async (key) => key.onEvent());
  return run(event, 'onEvent', async (resource) => resource.onEvent());
}

export async function isComplete(event: KeyStoreEvent): Promise<IsCompleteResult> {
  if (isKeyEvent(event)) return runKey(event, 'isComplete', async (key) => key.isComplete());
  return run(event, 'isComplete', async (resource) => resource.isComplete());
}

async function run<T>(event: KeyStoreEvent, phase: string, body: (resource: CustomKeyStoreResource) => Promise<T>): Promise<T> {
  const redactor = new SecretRedactor();
  const { kms, secrets, cloudFormation } = awsClients();
  const deps = makeDeps(kms, secrets, redactor, {}, {}, cloudFormation);
  return runWith(deps, redactor, event, phase, body);
}

/** KMS keys in custom key stores (Custom::KmsCustomKeyStoreKey) share the provider: see key-resource.ts. */
async function runKey<T>(event: KeyStoreEvent, phase: string, body: (key: KeyResource) => Promise<T>): Promise<T> {
  const redactor = new SecretRedactor();
  const { kms, secrets } = awsClients();
  return runKeyWith(makeDeps(kms, secrets, redactor), redactor, event, phase, body);
}

/** Runs one phase of a custom key store's event. */
export async function runWith<T>(
  deps: ResourceDeps,
  redactor: SecretRedactor,
  event: KeyStoreEvent,
  phase: string,
  body: (resource: CustomKeyStoreResource) => Promise<T>,
): Promise<T> {
  return runPhase(deps, redactor, event, phase, 'custom key store', () => new CustomKeyStoreResource(deps, event), body);
}

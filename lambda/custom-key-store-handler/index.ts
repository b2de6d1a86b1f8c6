/**
 * Entry points for aws-cdk-lib's custom-resources.Provider: `index.onEvent` and `index.isComplete`.
 *
 * The clients are made once per Lambda container, with the SDK's own retries off (retry.ts is the
 * one retry layer). AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL_SECRETS_MANAGER,
 * AWS_ENDPOINT_URL_CLOUDFORMATION and AWS_ENDPOINT_URL_SSM, read by the SDK itself, are how tests point them at a local
 * endpoint; nothing here knows about it.
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CLIENT_OPTIONS } from '../shared/client-options';
import { SecretRedactor } from '../shared/secrets/redactor';
import { makeDeps } from './deps';
import { IsCompleteResult, isKeyEvent, KeyEvent, KeyStoreEvent, OnEventResult } from './events';
import { KeyResource } from './key/resource';
import { runKeyWith, runWith } from './phase';
import { CustomKeyStoreResource } from './store/resource';

export type { KeyStoreEvent, OnEventResult, IsCompleteResult } from './events';
export { makeDeps } from './deps';
export { runWith } from './phase';

interface Clients {
  readonly kms: KMSClient;
  readonly secrets: SecretsManagerClient;
  /** Made on first use: only updates need it, and loading it costs every cold start otherwise. */
  readonly cloudFormation: () => Promise<CloudFormationClient>;
  /** Made on first use: only stores declared with adoptExisting keep an adoption record. */
  readonly ssm: () => Promise<SSMClient>;
}

let clients: Clients | undefined;

function awsClients(): Clients {
  if (!clients) {
    let cloudFormation: CloudFormationClient | undefined;
    let ssm: SSMClient | undefined;
    clients = {
      kms: new KMSClient(CLIENT_OPTIONS),
      secrets: new SecretsManagerClient(CLIENT_OPTIONS),
      cloudFormation: async () => (cloudFormation ??= new (await import('@aws-sdk/client-cloudformation')).CloudFormationClient(CLIENT_OPTIONS)),
      ssm: async () => (ssm ??= new (await import('@aws-sdk/client-ssm')).SSMClient(CLIENT_OPTIONS)),
    };
  }
  return clients;
}

/** What the handler reads of the Lambda context. */
interface InvocationContext {
  getRemainingTimeInMillis(): number;
}

export async function onEvent(event: KeyStoreEvent, context?: InvocationContext): Promise<OnEventResult> {
  if (isKeyEvent(event)) return runKey(event, 'onEvent', async (key) => key.onEvent(), context);
  return run(event, 'onEvent', async (resource) => resource.onEvent());
}

export async function isComplete(event: KeyStoreEvent): Promise<IsCompleteResult> {
  if (isKeyEvent(event)) return runKey(event, 'isComplete', async (key) => key.isComplete());
  return run(event, 'isComplete', async (resource) => resource.isComplete());
}

async function run<T>(event: KeyStoreEvent, phase: string, body: (resource: CustomKeyStoreResource) => Promise<T>): Promise<T> {
  const redactor = new SecretRedactor();
  const { kms, secrets, cloudFormation, ssm } = awsClients();
  const deps = makeDeps(kms, secrets, redactor, {}, {}, cloudFormation, ssm);
  return runWith(deps, redactor, event, phase, body);
}

/** KMS keys in custom key stores (Custom::KmsCustomKeyStoreKey) share the provider: see key/resource.ts. */
async function runKey<T>(event: KeyEvent, phase: string, body: (key: KeyResource) => Promise<T>, context?: InvocationContext): Promise<T> {
  const redactor = new SecretRedactor();
  const { kms, secrets } = awsClients();
  // A key's retries of passing refusals must leave the invocation time to report.
  const remaining = context ? { remainingTimeMs: () => context.getRemainingTimeInMillis() } : {};
  return runKeyWith(makeDeps(kms, secrets, redactor, {}, remaining), redactor, event, phase, body);
}

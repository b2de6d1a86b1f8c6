/** Synthesizes small stacks of key stores and runs them through the local runner over HTTP. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { KMSClient } from '@aws-sdk/client-kms';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { CustomKeyStore, CustomKeyStoreJanitor, KeyStoreBackend } from '../../lib';
import { LocalKms, LocalKmsOptions, StackRunner, startLocalKms } from '../../local';
import { CANARY_ACCESS_KEY_ID, CANARY_PASSWORD, CANARY_SECRET_KEY, OTHER_TRUST_ANCHOR, TRUST_ANCHOR } from '../fixtures/events';

export const JANITOR_STACK_NAME = 'KeyStoreOperations';
export const STACK_NAME = 'KeyStoresIntegration';

/** Secrets the integration stacks import by name, holding canary values. */
export const SECRETS: Record<string, string> = {
  'it/kmsuser': CANARY_PASSWORD,
  'it/kmsuser-v2': `${CANARY_PASSWORD}-v2`,
  'it/xks': JSON.stringify({ accessKeyId: CANARY_ACCESS_KEY_ID, secretAccessKey: CANARY_SECRET_KEY }),
  'it/xks-v2': JSON.stringify({ accessKeyId: CANARY_ACCESS_KEY_ID.replace('CANARY', 'CANARX'), secretAccessKey: CANARY_SECRET_KEY.replace('Canary', 'Canarx') }),
};

export { OTHER_TRUST_ANCHOR, TRUST_ANCHOR };

export interface StoreSpec {
  readonly id: string;
  readonly name: string;
  readonly kind: 'hsm' | 'xks' | 'vpc';
  readonly connected?: boolean;
  readonly password?: string;
  readonly credential?: string;
  readonly clusterId?: string;
  readonly trustAnchor?: string;
  readonly endpoint?: string;
  readonly path?: string;
  readonly retain?: boolean;
  readonly monitorConnection?: boolean;
  readonly syncProxyCredential?: boolean;
  readonly adoptExisting?: boolean;
  readonly adoptSendsSecrets?: boolean;
  readonly deferDeletion?: boolean;
  /** The id of a store declared earlier that CloudFormation must create first. */
  readonly dependsOn?: string;
  /** addRecommendedAlarms() on the store. */
  readonly alarms?: boolean;
  /** Keys declared in the store with addKey (an external store's get an xksKeyId named after them). */
  readonly keys?: ReadonlyArray<{ readonly id: string; readonly description?: string; readonly enabled?: boolean; readonly destroy?: boolean }>;
}

const assemblies: string[] = [];

/** Synthesizes a stack with these stores and returns the cloud assembly directory. */
export function synth(stores: readonly StoreSpec[]): string {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cks-it-'));
  assemblies.push(outdir);
  // The built-in CloudFormation validation costs ~0.3 s a synth; cfn-lint checks these templates' shape elsewhere.
  // (A spread, because aws-cdk-lib at the peer floor, 2.270, has neither the validation nor the option.)
  const skipValidation = { builtinCloudFormationValidation: false };
  const app = new App({ outdir, ...skipValidation });
  const stack = new Stack(app, STACK_NAME, { env: { account: '111122223333', region: 'us-east-1' } });
  const secret = (name: string): secretsmanager.ISecret =>
    (stack.node.tryFindChild(name) as secretsmanager.ISecret | undefined) ?? secretsmanager.Secret.fromSecretNameV2(stack, name, name);
  for (const s of stores) {
    const backend =
      s.kind === 'hsm'
        ? KeyStoreBackend.cloudHsm({ clusterId: s.clusterId ?? 'cluster-2a23b4cdefg', trustAnchorCertificate: s.trustAnchor ?? TRUST_ANCHOR, keyStorePassword: secret(s.password ?? 'it/kmsuser') })
        : s.kind === 'xks'
          ? KeyStoreBackend.externalPublicEndpoint({ proxyUriEndpoint: s.endpoint ?? `https://${s.id.toLowerCase()}.example.com`, proxyUriPath: s.path ?? '/kms/xks/v1', proxyCredential: secret(s.credential ?? 'it/xks') })
          : KeyStoreBackend.externalVpcEndpointService({
              proxyUriEndpoint: s.endpoint ?? `https://${s.id.toLowerCase()}.example.com`,
              proxyUriPath: s.path ?? '/kms/xks/v1',
              vpcEndpointServiceName: `com.amazonaws.vpce.us-east-1.vpce-svc-0${s.id.toLowerCase().replace(/[^a-z0-9]/g, '')}`,
              proxyCredential: secret(s.credential ?? 'it/xks'),
            });
    const store = new CustomKeyStore(stack, s.id, {
      customKeyStoreName: s.name,
      backend,
      connected: s.connected,
      removalPolicy: s.retain ? RemovalPolicy.RETAIN : undefined,
      monitorConnection: s.monitorConnection,
      syncProxyCredential: s.syncProxyCredential,
      adoptExisting: s.adoptExisting,
      adoptSendsSecrets: s.adoptSendsSecrets,
      deferDeletion: s.deferDeletion,
    });
    if (s.dependsOn) {
      store.node.addDependency(stack.node.findChild(s.dependsOn));
    }
    for (const k of s.keys ?? []) {
      store.addKey(k.id, { description: k.description, enabled: k.enabled, ...(k.destroy ? { removalPolicy: RemovalPolicy.DESTROY, pendingWindow: Duration.days(7) } : {}), ...(s.kind === 'hsm' ? {} : { xksKeyId: `xks-${k.id}` }) });
    }
    if (s.alarms) store.addRecommendedAlarms();
  }
  app.synth();
  return outdir;
}

export function removeAssemblies(): void {
  for (const dir of assemblies.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

export interface World {
  readonly kms: LocalKms;
  readonly stack: StackRunner;
}

/** A fresh local KMS endpoint and a stack runner pointed at it. */
export async function world(options: LocalKmsOptions = {}, queryIntervalMs = 20): Promise<World> {
  const kms = await startLocalKms({ connectMs: 40, disconnectMs: 40, ...options });
  const stack = new StackRunner(STACK_NAME, { kms, queryIntervalMs, importedSecrets: SECRETS });
  return { kms, stack };
}

/** A client of the local endpoint, as an operator outside the stack would use it. */
export function kmsClient(kms: LocalKms): KMSClient {
  return new KMSClient(kms.clientConfig());
}

/** The calls of `names` since call `since`, as "Operation:outcome". */
export function callsOf(kms: LocalKms, since: number, ...names: string[]): string[] {
  return kms.calls.slice(since).filter((c) => names.includes(c.operation)).map((c) => `${c.operation}:${c.outcome}`);
}

/** Store name -> state, from the model. */
export function states(kms: LocalKms): Record<string, string> {
  return Object.fromEntries(kms.model.storeSnapshot().map((s) => [s.name, s.state]));
}

/** Synthesizes a long-lived stack with the account's CustomKeyStoreJanitor, and returns the cloud assembly directory. */
export function synthJanitor(): string {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cks-it-janitor-'));
  assemblies.push(outdir);
  const app = new App({ outdir, ...{ builtinCloudFormationValidation: false } });
  const stack = new Stack(app, JANITOR_STACK_NAME, { env: { account: '111122223333', region: 'us-east-1' } });
  new CustomKeyStoreJanitor(stack, 'Janitor').addRecommendedAlarms();
  app.synth();
  return outdir;
}

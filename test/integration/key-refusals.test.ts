/**
 * A key's CreateKey or PutKeyPolicy that KMS refuses for a while, end to end: the bundled handler
 * in cdk.out, run by the local runner, over HTTP with the real SDK against the local endpoint.
 *
 * - A CONNECTED external key store's proxy that rejects or fails CreateKey: KMS answers
 *   CustomKeyStoreInvalidStateException while the store stays CONNECTED. A passing failure is
 *   outlasted; a lasting one fails cleanly, saying what to check on the proxy.
 * - A key policy naming a role made in the same deployment: MalformedPolicyDocumentException until
 *   the role is visible to KMS. The lag is held with the endpoint's clock, which the test moves on
 *   when the handler tries again.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { CustomKeyStore, CustomKeyStoreKey, KeyStoreBackend } from '../../lib';
import { callsOf, STACK_NAME, states, World, world } from './harness';

const PROXY = 'https://xks.example.com';
const LAG_MS = 60_000;
let w: World | undefined;
const dirs: string[] = [];

afterEach(async () => w?.kms.stop());
afterAll(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** An external key store with a key in it; with `role`, a role of the stack that the key policy names. */
function synthKeyStack(options: { role?: boolean; roleGrants?: number } = {}): string {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cks-refusals-'));
  dirs.push(outdir);
  const app = new App({ outdir });
  const stack = new Stack(app, STACK_NAME, { env: { account: '111122223333', region: 'us-east-1' } });
  const store = new CustomKeyStore(stack, 'Xks', {
    customKeyStoreName: 'xks',
    backend: KeyStoreBackend.externalPublicEndpoint({ proxyUriEndpoint: PROXY, proxyUriPath: '/kms/xks/v1', proxyCredential: secretsmanager.Secret.fromSecretNameV2(stack, 'Cred', 'it/xks') }),
  });
  const key = new CustomKeyStoreKey(stack, 'Key', { customKeyStore: store, xksKeyId: 'payments-key-1' });
  if (options.role) {
    const role = new iam.Role(stack, 'AppRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    key.addToResourcePolicy(new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: ['*'], principals: [role] }));
  }
  if (options.roleGrants) {
    // Each statement names a role of the stack: its ARN is known only at deployment, so the synth check counts it as empty.
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    for (let i = 0; i < options.roleGrants; i++) {
      key.addToResourcePolicy(new iam.PolicyStatement({ sid: `ReaderGrant${i}`, actions: ['kms:Decrypt'], resources: ['*'], principals: [new iam.ArnPrincipal(role.roleArn)] }));
    }
  }
  app.synth();
  return outdir;
}

/** Runs `act` once, just before the `nth` call of `operation` takes effect. */
function before(kms: World['kms'], operation: string, nth: number, act: () => void): void {
  let seen = 0;
  kms.beforeOperation = (op) => {
    if (op === operation && ++seen === nth) act();
  };
}

const keyPolicy = (keyId: string): string => {
  const model = w?.kms.model;
  return model?.inspect(() => model.GetKeyPolicy({ KeyId: keyId })).Policy as string;
};

describe("a CONNECTED external key store's proxy failing CreateKey", () => {
  test('for a moment: the handler tries again and the key is made', async () => {
    w = await world();
    const kms = w.kms;
    // The proxy fails KMS's next two requests, from the first CreateKey on.
    before(kms, 'CreateKey', 1, () => { kms.model.blipProxy(PROXY, 'unreachable', 2); });
    const report = await w.stack.deploy(synthKeyStack());
    expect(report.stackStatus).toBe('CREATE_COMPLETE');
    expect(callsOf(kms, 0, 'CreateKey')).toEqual(['CreateKey:CustomKeyStoreInvalidStateException', 'CreateKey:CustomKeyStoreInvalidStateException', 'CreateKey:ok']);
    expect(states(kms)).toEqual({ xks: 'CONNECTED' });
    expect(w.stack.keyIds()).toHaveLength(1);
  });

  test('for good: a clean failure with KMS\'s text, the store CONNECTED, and what to check on the proxy; the rollback completes', async () => {
    w = await world();
    const kms = w.kms;
    // The proxy's authorization rules stop allowing KMS once the store is connected.
    before(kms, 'CreateKey', 1, () => kms.model.proxies.set(PROXY, { deniesKms: true }));
    const report = await w.stack.deploy(synthKeyStack());
    expect(report.stackStatus).toBe('ROLLBACK_COMPLETE');
    const reason = report.events.find((e) => e.status === 'CREATE_FAILED')?.reason ?? '';
    expect(reason).toMatch(/^CustomKeyStoreInvalidStateException: The request was rejected because the external key store proxy denied KMS access to the request \(AccessDenied\) for custom key store 'cks-[0-9a-f]+'\. \(creating a KMS key in external key store cks-[0-9a-f]+ \('xks'\), which is CONNECTED: /);
    expect(reason).toMatch(/The handler tried again for (1[4-9]|2[0-9]) s\. No key was created\. Check the proxy, then deploy again: .*its authorization rules allow KMS/);
    expect(reason).not.toMatch(/KMS creates keys only in a CONNECTED store/);
    expect(callsOf(kms, 0, 'CreateKey')).toHaveLength(5);
    expect(kms.model.storeSnapshot()).toEqual([]);
  });
});

describe('a key policy naming a role made in the same deployment', () => {
  test('CreateKey is refused until KMS sees the role, then the stack completes with the role in the policy', async () => {
    w = await world({ principalVisibilityLagMs: LAG_MS });
    const kms = w.kms;
    // The role becomes visible to KMS between the handler's first and second try.
    before(kms, 'CreateKey', 2, () => { kms.clock.advance(LAG_MS); });
    const report = await w.stack.deploy(synthKeyStack({ role: true }));
    expect(report.stackStatus).toBe('CREATE_COMPLETE');
    expect(callsOf(kms, 0, 'CreateKey')).toEqual(['CreateKey:MalformedPolicyDocumentException', 'CreateKey:ok']);
    expect(keyPolicy(w.stack.keyIds()[0])).toMatch(new RegExp(`"arn:aws:iam::111122223333:role/${STACK_NAME}-AppRole[0-9A-F]{8}-[0-9A-F]{12}"`));
  });

  test('added by an update: PutKeyPolicy is refused until KMS sees the role, then applied', async () => {
    w = await world({ principalVisibilityLagMs: LAG_MS });
    const kms = w.kms;
    expect((await w.stack.deploy(synthKeyStack())).stackStatus).toBe('CREATE_COMPLETE');
    // A second later KMS's reads show the new key (its visibility lag is over).
    kms.clock.advance(1_000);
    const since = kms.calls.length;
    before(kms, 'PutKeyPolicy', 2, () => { kms.clock.advance(LAG_MS); });
    const report = await w.stack.deploy(synthKeyStack({ role: true }));
    expect(report.stackStatus).toBe('UPDATE_COMPLETE');
    expect(callsOf(kms, since, 'PutKeyPolicy', 'CreateKey')).toEqual(['PutKeyPolicy:MalformedPolicyDocumentException', 'PutKeyPolicy:ok']);
    expect(keyPolicy(w.stack.keyIds()[0])).toContain(`:role/${STACK_NAME}-AppRole`);
  });
});

describe('a key policy over 32 KB once its deploy-time values are known', () => {
  test('CreateKey is refused with LimitExceededException: the message names the policy size and the limit, and nothing is left', async () => {
    w = await world({ principalVisibilityLagMs: 0 });
    const report = await w.stack.deploy(synthKeyStack({ roleGrants: 260 }));
    expect(report.stackStatus).toBe('ROLLBACK_COMPLETE');
    const reason = report.events.find((e) => e.status === 'CREATE_FAILED')?.reason ?? '';
    expect(reason).toMatch(/^LimitExceededException: The key policy document is (\d+) bytes, which exceeds the maximum key policy size of 32768 bytes\. \(creating a KMS key in custom key store cks-[0-9a-f]+: the key policy is \1 bytes, over KMS's limit of 32768 bytes \(32 KB\)/);
    expect(callsOf(w.kms, 0, 'CreateKey')).toEqual(['CreateKey:LimitExceededException']);
    expect(w.kms.model.storeSnapshot()).toEqual([]);
  });
});

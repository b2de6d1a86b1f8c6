/**
 * CustomKeyStoreKey end to end: the bundled handler in cdk.out, run by the local runner in
 * dependency order, with the real AWS SDK over HTTP against the local KMS endpoint.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Duration, RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { CustomKeyStore, CustomKeyStoreKey, CustomKeyStoreKeyOptions, KeyStoreBackend } from '../../lib';
import { CREATION_TAG_KEY } from '../../lib/private/contract/key-properties';
import { ServiceError } from '../../local';
import { STACK_NAME, TRUST_ANCHOR, World, world } from './harness';

const DAY = 86_400_000;
let w: World | undefined;
const dirs: string[] = [];

afterEach(async () => w?.kms.stop());
afterAll(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

interface KeySpec extends CustomKeyStoreKeyOptions {
  readonly id: string;
  readonly store: 'hsm' | 'xks';
  readonly tags?: Record<string, string>;
  readonly grantToRole?: boolean;
}

/** A stack with a CloudHSM store, an external store, and these keys in them. */
function synthKeys(keys: readonly KeySpec[], options: { storeRemoval?: RemovalPolicy; importedStoreId?: string; hsmConnected?: boolean } = {}): string {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cks-keys-'));
  dirs.push(outdir);
  const app = new App({ outdir });
  const stack = new Stack(app, STACK_NAME, { env: { account: '111122223333', region: 'us-east-1' } });
  const hsm = new CustomKeyStore(stack, 'Hsm', {
    customKeyStoreName: 'hsm',
    backend: KeyStoreBackend.cloudHsm({ clusterId: 'cluster-2a23b4cdefg', trustAnchorCertificate: TRUST_ANCHOR, keyStorePassword: secretsmanager.Secret.fromSecretNameV2(stack, 'Pw', 'it/kmsuser') }),
    removalPolicy: options.storeRemoval,
    connected: options.hsmConnected,
  });
  const xks = new CustomKeyStore(stack, 'Xks', {
    customKeyStoreName: 'xks',
    backend: KeyStoreBackend.externalPublicEndpoint({ proxyUriEndpoint: 'https://xks.example.com', proxyUriPath: '/kms/xks/v1', proxyCredential: secretsmanager.Secret.fromSecretNameV2(stack, 'Cred', 'it/xks') }),
    removalPolicy: options.storeRemoval,
  });
  const imported = options.importedStoreId ? CustomKeyStore.fromCustomKeyStoreId(stack, 'Imported', options.importedStoreId) : undefined;
  for (const { id, store, tags, grantToRole, ...props } of keys) {
    const key = new CustomKeyStoreKey(stack, id, { ...props, customKeyStore: imported ?? (store === 'hsm' ? hsm : xks) });
    for (const [k, v] of Object.entries(tags ?? {})) Tags.of(key).add(k, v);
    if (grantToRole) key.addToResourcePolicy(new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: ['*'], principals: [new iam.AccountPrincipal('444455556666')] }));
  }
  app.synth();
  return outdir;
}

/** The key id of the key whose logical id starts with `construct` (the construct id and a hash). */
function keyIn(construct: string): string {
  const logicalId = w?.stack.logicalIds().find((id) => new RegExp(`^${construct}[0-9A-F]{8}$`).test(id)) ?? '';
  return w?.stack.physicalId(logicalId) ?? '';
}

// The test's view of a key, as it really is (model.inspect: no visibility lag), not a caller's.
function keyView(keyId: string): Record<string, unknown> {
  const model = w?.kms.model;
  return model?.inspect(() => model.DescribeKey({ KeyId: keyId })).KeyMetadata as Record<string, unknown>;
}

function tagsOf(keyId: string): Record<string, string> {
  const model = w?.kms.model;
  const out = model?.inspect(() => model.ListResourceTags({ KeyId: keyId })).Tags as Array<{ TagKey: string; TagValue: string }>;
  return Object.fromEntries(out.map((t) => [t.TagKey, t.TagValue]));
}

function policyOf(keyId: string): { Statement: Array<Record<string, unknown>> } {
  const model = w?.kms.model;
  return JSON.parse(model?.inspect(() => model.GetKeyPolicy({ KeyId: keyId })).Policy as string) as { Statement: Array<Record<string, unknown>> };
}

describe('create', () => {
  test("the handler's calls are authorized by its role's synthesized policy, as IAM does: CreateKey with tags, updates and deletion all pass", async () => {
    w = await world();
    const deny: string[] = [];
    const created = await w.stack.deploy(synthKeys([{ id: 'K', store: 'hsm', description: 'first', tags: { team: 'a' } }], { storeRemoval: RemovalPolicy.DESTROY }));
    expect(created.stackStatus).toBe('CREATE_COMPLETE');
    w.kms.clock.advance(w.kms.model.keyVisibilityLagMs);
    const updated = await w.stack.deploy(synthKeys([{ id: 'K', store: 'hsm', description: 'second', enabled: false, tags: { team: 'b' }, removalPolicy: RemovalPolicy.DESTROY }], { storeRemoval: RemovalPolicy.DESTROY }));
    expect(updated.stackStatus).toBe('UPDATE_COMPLETE');
    const keyId = keyIn('K');
    await w.stack.destroy();
    expect(keyView(keyId)).toMatchObject({ KeyState: 'PendingDeletion' });
    for (const line of w.stack.handlerLogs) if (line.includes('AccessDenied')) deny.push(line);
    expect(deny).toEqual([]);
    // Every KMS call of the handler was evaluated against the role's policy (CreateKey twice: the key and its tags).
    expect(w.kms.model.accessControl.evaluated).toBeGreaterThan(10);
  });

  test('a key is created in its store after the store is CONNECTED, with description, policy and tags', async () => {
    w = await world();
    const { kms } = w;
    const order: string[] = [];
    kms.beforeOperation = (op, body) => {
      if (op === 'CreateKey') order.push(`CreateKey(${kms.model.storeSnapshot().find((s) => s.id === body.CustomKeyStoreId)?.state})`);
    };
    const report = await w.stack.deploy(synthKeys([{ id: 'PaymentsKey', store: 'hsm', description: 'payments data key', tags: { team: 'payments' } }]));
    expect(report.stackStatus).toBe('CREATE_COMPLETE');
    expect(order).toEqual(['CreateKey(CONNECTED)']);
    const keyId = keyIn('PaymentsKey');
    expect(keyView(keyId)).toMatchObject({ KeyState: 'Enabled', Origin: 'AWS_CLOUDHSM', Description: 'payments data key', CustomKeyStoreId: w.kms.model.storeSnapshot().find((st) => st.name === 'hsm')?.id, KeySpec: 'SYMMETRIC_DEFAULT' });
    expect(tagsOf(keyId)).toEqual({ team: 'payments', [CREATION_TAG_KEY]: expect.stringMatching(/^PaymentsKey[0-9A-F]{8}\/[0-9a-f-]{36}$/) as unknown });
    expect(policyOf(keyId).Statement).toEqual([{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' }]);
    const logicalId = report.events.find((e) => e.physicalId === keyId)?.logicalId ?? '';
    expect(w.stack.attributes(logicalId)).toEqual({ Arn: `arn:aws:kms:us-east-1:111122223333:key/${keyId}`, KeyId: keyId });
  });

  test('a key in an external store carries its XksKeyId; a disabled key is created disabled', async () => {
    w = await world();
    await w.stack.deploy(synthKeys([{ id: 'XKey', store: 'xks', xksKeyId: 'payments-key-1', enabled: false }]));
    expect(keyView(keyIn('XKey'))).toMatchObject({ Origin: 'EXTERNAL_KEY_STORE', XksKeyConfiguration: { Id: 'payments-key-1' }, KeyState: 'Disabled' });
  });

  test('a store that is not connected: the error names the store and its state, and nothing is left', async () => {
    w = await world();
    const storeId = w.kms.model.CreateCustomKeyStore({ CustomKeyStoreName: 'outside', CloudHsmClusterId: 'cluster-3a23b4cdefg', TrustAnchorCertificate: TRUST_ANCHOR, KeyStorePassword: 'kmsuser-password' }).CustomKeyStoreId as string;
    const report = await w.stack.deploy(synthKeys([{ id: 'K', store: 'hsm' }], { importedStoreId: storeId }));
    expect(report.stackStatus).toBe('ROLLBACK_COMPLETE');
    expect(report.events.find((e) => e.status === 'CREATE_FAILED')?.reason).toMatch(
      new RegExp(`^CustomKeyStoreInvalidStateException: cannot create a KMS key in custom key store ${storeId} \\('outside'\\), which is DISCONNECTED: .*No key was created\\. Connect the store`),
    );
    expect(w.kms.model.keysIn(storeId)).toEqual([]);
  });

  test.each([
    ['XksKeyNotFoundException', (w2: World) => w2.kms.model.missingExternalKeys.add('payments-key-1'), /XksKeyNotFoundException: .*has no key with id 'payments-key-1': create that key in the external key manager, or correct xksKeyId/],
    ['XksKeyInvalidConfigurationException', (w2: World) => w2.kms.model.invalidExternalKeys.add('payments-key-1'), /XksKeyInvalidConfigurationException: .*must be a 256-bit AES key/],
  ])('%s gets a message that says what to fix', async (_name, arrange, reason) => {
    w = await world();
    arrange(w);
    const report = await w.stack.deploy(synthKeys([{ id: 'XKey', store: 'xks', xksKeyId: 'payments-key-1' }]));
    expect(report.events.find((e) => e.status === 'CREATE_FAILED')?.reason).toMatch(reason);
    expect(report.stackStatus).toBe('ROLLBACK_COMPLETE');
  });

  test('XksKeyAlreadyInUseException: two keys on one external key', async () => {
    w = await world();
    const report = await w.stack.deploy(synthKeys([{ id: 'A', store: 'xks', xksKeyId: 'shared' }, { id: 'B', store: 'xks', xksKeyId: 'shared' }]));
    expect(report.events.find((e) => e.status === 'CREATE_FAILED')?.reason).toMatch(/XksKeyAlreadyInUseException: .*already backs another KMS key .*Give this key a different xksKeyId/);
  });

  test('XksKeyAlreadyInUseException after a rename of the key construct: the advice names the rename and a key pending deletion', async () => {
    w = await world();
    await w.stack.deploy(synthKeys([{ id: 'Old', store: 'xks', xksKeyId: 'payments-key-1', removalPolicy: RemovalPolicy.DESTROY }]));
    const report = await w.stack.deploy(synthKeys([{ id: 'Renamed', store: 'xks', xksKeyId: 'payments-key-1', removalPolicy: RemovalPolicy.DESTROY }]));
    expect(report.events.find((e) => e.status === 'CREATE_FAILED')?.reason).toMatch(/^XksKeyAlreadyInUseException: .*the key construct was renamed or moved \(CloudFormation creates the new key before it deletes the old one.*pending deletion/);
    expect(report.stackStatus).toBe('UPDATE_ROLLBACK_COMPLETE');
  });

  test('CloudHsmClusterInvalidConfigurationException: a cluster down to one HSM', async () => {
    w = await world();
    const { model } = w.kms;
    w.kms.beforeOperation = (op) => {
      if (op === 'CreateKey') model.clusters.set('cluster-2a23b4cdefg', { hsmCount: 1 });
    };
    const report = await w.stack.deploy(synthKeys([{ id: 'K', store: 'hsm' }]));
    expect(report.events.find((e) => e.status === 'CREATE_FAILED')?.reason).toMatch(/CloudHsmClusterInvalidConfigurationException: .*at least two active HSMs/);
  });

  test('a CreateKey whose answer was lost is found by its creation tag: one key, not two', async () => {
    w = await world();
    const { kms } = w;
    let lost = false;
    kms.beforeOperation = (op, body) => {
      if (op === 'CreateKey' && !lost) {
        lost = true;
        kms.model.CreateKey(body); // It took effect...
        throw new ServiceError('KMSInternalException', 'An internal error occurred.', 500); // ...and the answer was lost.
      }
    };
    const report = await w.stack.deploy(synthKeys([{ id: 'K', store: 'hsm' }]));
    expect(report.stackStatus).toBe('CREATE_COMPLETE');
    const storeId = w.stack.keyStoreIds().find((id) => kms.model.keysIn(id).length > 0) ?? '';
    expect(kms.model.keysIn(storeId)).toEqual([keyIn('K')]);
    expect(kms.count('CreateKey')).toBe(1);
    expect(kms.count('ListResourceTags', 'ok')).toBe(1);
  });
});

describe('update', () => {
  test('description, policy, enabled and tags change in place: same key', async () => {
    w = await world();
    await w.stack.deploy(synthKeys([{ id: 'K', store: 'hsm', description: 'v1', tags: { team: 'a', old: 'x' } }]));
    const keyId = keyIn('K');
    const since = w.kms.calls.length;
    const report = await w.stack.deploy(synthKeys([{ id: 'K', store: 'hsm', description: 'v2', enabled: false, tags: { team: 'b' }, grantToRole: true }]));
    expect(report.stackStatus).toBe('UPDATE_COMPLETE');
    expect(w.stack.keyIds()).toEqual([keyId]);
    expect(keyView(keyId)).toMatchObject({ Description: 'v2', KeyState: 'Disabled' });
    expect(tagsOf(keyId)).toEqual({ team: 'b', [CREATION_TAG_KEY]: expect.any(String) as unknown });
    expect(policyOf(keyId).Statement).toContainEqual({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::444455556666:root' }, Action: 'kms:Decrypt', Resource: '*' });
    const calls = w.kms.calls.slice(since).filter((c) => c.outcome === 'ok').map((c) => c.operation);
    expect(calls).toEqual(['UpdateKeyDescription', 'PutKeyPolicy', 'TagResource', 'UntagResource', 'DisableKey']);
  });

  test('an update that KMS does not show the new key to yet waits for it: UPDATE_COMPLETE, not a rollback', async () => {
    w = await world();
    const { kms } = w;
    await w.stack.deploy(synthKeys([{ id: 'K', store: 'hsm', description: 'v1' }]));
    const keyId = keyIn('K');
    // The key is new again to every reader until the handler has met NotFound once.
    const lag = kms.model.keyVisibilityLagMs;
    kms.model.keyVisibilityLagMs = 3_600_000;
    kms.beforeOperation = (op) => {
      if (op === 'UpdateKeyDescription' && kms.count('UpdateKeyDescription') > 0) kms.model.keyVisibilityLagMs = lag;
    };
    const report = await w.stack.deploy(synthKeys([{ id: 'K', store: 'hsm', description: 'v2' }]));
    expect(report.stackStatus).toBe('UPDATE_COMPLETE');
    expect(keyView(keyId)).toMatchObject({ Description: 'v2' });
    expect(kms.count('UpdateKeyDescription', 'NotFoundException')).toBe(1);
  });

  test('a different xksKeyId is a new key; the old one is deleted by its removal policy (DESTROY)', async () => {
    w = await world();
    await w.stack.deploy(synthKeys([{ id: 'K', store: 'xks', xksKeyId: 'key-1', removalPolicy: RemovalPolicy.DESTROY, pendingWindow: Duration.days(7) }]));
    const oldKey = keyIn('K');
    const report = await w.stack.deploy(synthKeys([{ id: 'K', store: 'xks', xksKeyId: 'key-2', removalPolicy: RemovalPolicy.DESTROY, pendingWindow: Duration.days(7) }]));
    expect(report.stackStatus).toBe('UPDATE_COMPLETE');
    const newKey = keyIn('K');
    expect(newKey).not.toBe(oldKey);
    expect(keyView(oldKey)).toMatchObject({ KeyState: 'PendingDeletion' });
    expect(keyView(newKey)).toMatchObject({ KeyState: 'Enabled', XksKeyConfiguration: { Id: 'key-2' } });
  });

  test("removing the stack's last key (DESTROY) schedules its deletion, though the new template grants no key management", async () => {
    w = await world();
    await w.stack.deploy(synthKeys([{ id: 'K', store: 'hsm', removalPolicy: RemovalPolicy.DESTROY }]));
    const keyId = keyIn('K');
    w.kms.clock.advance(1_000);
    const report = await w.stack.deploy(synthKeys([]));
    expect(report.stackStatus).toBe('UPDATE_COMPLETE');
    expect(report.events.filter((e) => e.physicalId === keyId).map((e) => e.status)).toEqual(['DELETE_IN_PROGRESS', 'DELETE_COMPLETE']);
    expect(keyView(keyId)).toMatchObject({ KeyState: 'PendingDeletion' });
  });

  test('a different xksKeyId with RETAIN keeps the old key', async () => {
    w = await world();
    await w.stack.deploy(synthKeys([{ id: 'K', store: 'xks', xksKeyId: 'key-1' }]));
    const oldKey = keyIn('K');
    await w.stack.deploy(synthKeys([{ id: 'K', store: 'xks', xksKeyId: 'key-2' }]));
    expect(keyIn('K')).not.toBe(oldKey);
    expect(keyView(oldKey)).toMatchObject({ KeyState: 'Enabled' });
  });
});

describe('a key whose store is disconnected (Unavailable)', () => {
  test('enabled: false succeeds, as KMS documents, and the key shows Disabled once its store is CONNECTED again', async () => {
    w = await world();
    await w.stack.deploy(synthKeys([{ id: 'K', store: 'hsm' }]));
    const keyId = keyIn('K');
    const storeId = keyView(keyId).CustomKeyStoreId as string;
    // An operator takes the store offline outside the stack.
    w.kms.model.DisconnectCustomKeyStore({ CustomKeyStoreId: storeId });
    w.kms.clock.advance(1_000);
    const report = await w.stack.deploy(synthKeys([{ id: 'K', store: 'hsm', enabled: false }]));
    expect(report.stackStatus).toBe('UPDATE_COMPLETE');
    expect(keyView(keyId)).toMatchObject({ KeyState: 'Unavailable' });
    w.kms.model.ConnectCustomKeyStore({ CustomKeyStoreId: storeId });
    w.kms.clock.advance(1_000);
    expect(keyView(keyId)).toMatchObject({ KeyState: 'Disabled' });
  });
  test('taken offline from the stack (connected: false): the key stays, is updated in place while Unavailable, and its removal (DESTROY) schedules its deletion', async () => {
    w = await world();
    const key = (props: Partial<KeySpec> = {}): KeySpec => ({ id: 'K', store: 'hsm', removalPolicy: RemovalPolicy.DESTROY, ...props });
    expect((await w.stack.deploy(synthKeys([key()]))).stackStatus).toBe('CREATE_COMPLETE');
    const keyId = keyIn('K');
    const storeId = keyView(keyId).CustomKeyStoreId as string;
    w.kms.clock.advance(1_000);
    // The store goes offline by the stack's own hand; its key is kept, Unavailable.
    const offline = await w.stack.deploy(synthKeys([key()], { hsmConnected: false }));
    expect(offline.stackStatus).toBe('UPDATE_COMPLETE');
    expect(w.kms.model.storeSnapshot().find((st) => st.id === storeId)?.state).toBe('DISCONNECTED');
    expect(keyView(keyId)).toMatchObject({ KeyState: 'Unavailable' });
    const updated = await w.stack.deploy(synthKeys([key({ description: 'offline for maintenance', tags: { team: 'payments' } })], { hsmConnected: false }));
    expect(updated.stackStatus).toBe('UPDATE_COMPLETE');
    expect(keyView(keyId)).toMatchObject({ KeyState: 'Unavailable', Description: 'offline for maintenance' });
    expect(tagsOf(keyId)).toMatchObject({ team: 'payments' });
    // The stack's last key: its deletion runs after the role's policy became the new template's, which declares no key.
    const removed = await w.stack.deploy(synthKeys([], { hsmConnected: false }));
    expect(removed.stackStatus).toBe('UPDATE_COMPLETE');
    expect(keyView(keyId)).toMatchObject({ KeyState: 'PendingDeletion' });
    expect(w.kms.model.storeSnapshot().find((st) => st.id === storeId)?.state).toBe('DISCONNECTED');
  });
});

describe('the teardown story', () => {
  test('RETAIN: the key stays and the store delete fails cleanly naming it (Enabled)', async () => {
    w = await world();
    await w.stack.deploy(synthKeys([{ id: 'K', store: 'hsm' }]));
    const keyId = keyIn('K');
    const report = await w.stack.destroy();
    expect(report.stackStatus).toBe('DELETE_FAILED');
    expect(report.events.find((e) => e.physicalId === keyId)?.status).toBe('DELETE_SKIPPED');
    const failed = report.events.find((e) => e.status === 'DELETE_FAILED');
    expect(failed?.reason).toMatch(new RegExp(`^CustomKeyStoreHasCMKsException: .*still holds 1 KMS key.*${keyId} \\(Enabled\\)`));
    expect(keyView(keyId)).toMatchObject({ KeyState: 'Enabled' });
  });

  test('DESTROY: keys are scheduled first, the store delete names them PendingDeletion with dates, and after the dates destroy completes', async () => {
    w = await world();
    await w.stack.deploy(synthKeys([{ id: 'K', store: 'hsm', removalPolicy: RemovalPolicy.DESTROY, pendingWindow: Duration.days(7) }, { id: 'X', store: 'xks', xksKeyId: 'x-1', removalPolicy: RemovalPolicy.DESTROY }]));
    const hsmKey = w.stack.keyIds().find((k) => keyView(k).Origin === 'AWS_CLOUDHSM') ?? '';
    const xksKey = w.stack.keyIds().find((k) => k !== hsmKey) ?? '';
    // A second later, KMS's reads show the new keys (their visibility lag is over).
    w.kms.clock.advance(1_000);
    // Frozen, so that the deletion dates can be stated exactly; the stores' delete checks need no transition.
    w.kms.clock.freeze();
    const first = await w.stack.destroy();
    expect(first.stackStatus).toBe('DELETE_FAILED');
    const scheduled = first.events.filter((e) => e.status === 'DELETE_COMPLETE').map((e) => e.physicalId);
    expect(scheduled).toEqual(expect.arrayContaining([hsmKey, xksKey]));
    const date7 = new Date(w.kms.clock.now() + 7 * DAY).toISOString();
    const date30 = new Date(w.kms.clock.now() + 30 * DAY).toISOString();
    const reasons = first.events.filter((e) => e.status === 'DELETE_FAILED').map((e) => e.reason ?? '');
    expect(reasons).toHaveLength(2);
    expect(reasons.join('\n')).toContain(`${hsmKey} (PendingDeletion, deleted on ${date7})`);
    expect(reasons.join('\n')).toContain(`${xksKey} (PendingDeletion, deleted on ${date30})`);

    w.kms.clock.advance(30 * DAY + 1);
    w.kms.clock.thaw();
    // Each store is disconnected before it is deleted (the two stores go at once, in either order).
    const steps: string[] = [];
    w.kms.beforeOperation = (op, body) => {
      if (op === 'DisconnectCustomKeyStore' || op === 'DeleteCustomKeyStore') steps.push(`${op}:${String(body.CustomKeyStoreId)}`);
    };
    const stores = w.kms.model.storeSnapshot().map((st) => st.id);
    const second = await w.stack.destroy();
    expect(second.stackStatus).toBe('DELETE_COMPLETE');
    expect(w.kms.model.storeSnapshot()).toEqual([]);
    expect(stores).toHaveLength(2);
    for (const id of stores) {
      const disconnect = steps.indexOf(`DisconnectCustomKeyStore:${id}`);
      expect(disconnect).toBeGreaterThanOrEqual(0);
      expect(steps.lastIndexOf(`DeleteCustomKeyStore:${id}`)).toBeGreaterThan(disconnect);
    }
  });

  test('a key already pending deletion, or gone, deletes as success', async () => {
    w = await world();
    await w.stack.deploy(synthKeys([{ id: 'A', store: 'hsm', removalPolicy: RemovalPolicy.DESTROY }, { id: 'B', store: 'xks', xksKeyId: 'b', removalPolicy: RemovalPolicy.DESTROY }], { storeRemoval: RemovalPolicy.RETAIN }));
    const [a, b] = w.stack.keyIds();
    // Later, once KMS's reads show the new keys, someone schedules their deletion.
    w.kms.clock.advance(1_000);
    w.kms.model.ScheduleKeyDeletion({ KeyId: a, PendingWindowInDays: 7 });
    w.kms.model.ScheduleKeyDeletion({ KeyId: b, PendingWindowInDays: 30 });
    w.kms.clock.advance(8 * DAY);
    // a is gone; b is still pending deletion, and keeps its own date.
    const stateOf = (keyId: string): string | undefined => {
      try {
        return (w?.kms.model.DescribeKey({ KeyId: keyId }).KeyMetadata as { KeyState?: string }).KeyState;
      } catch {
        return 'gone';
      }
    };
    expect([stateOf(a), stateOf(b)]).toEqual(['gone', 'PendingDeletion']);
    const report = await w.stack.destroy();
    expect(report.stackStatus).toBe('DELETE_COMPLETE');
    expect(stateOf(b)).toBe('PendingDeletion');
  });
});

describe('new keys are eventually consistent (KMS reads may miss a key for a while after CreateKey)', () => {
  test('enabled: false: DisableKey right after CreateKey meets NotFound and is tried again until KMS shows the key', async () => {
    w = await world({ keyVisibilityLagMs: 1_000 });
    const report = await w.stack.deploy(synthKeys([{ id: 'K', store: 'hsm', enabled: false }]));
    expect(report.stackStatus).toBe('CREATE_COMPLETE');
    expect(keyView(keyIn('K'))).toMatchObject({ KeyState: 'Disabled' });
    expect(w.kms.calls.filter((c) => c.operation === 'DisableKey').map((c) => c.outcome)).toEqual(expect.arrayContaining(['NotFoundException', 'ok']));
  });

  test('a lost CreateKey answer in a CloudHSM store: the search runs again until ListKeys shows the key, and no second key is made', async () => {
    w = await world({ keyVisibilityLagMs: 60_000 });
    const { kms } = w;
    let lost = false;
    let searches = 0;
    kms.beforeOperation = (op, body) => {
      if (op === 'CreateKey' && !lost) {
        lost = true;
        kms.model.CreateKey(body); // It took effect...
        throw new ServiceError('KMSInternalException', 'An internal error occurred.', 500); // ...and the answer was lost.
      }
      // KMS shows the new key only from the third search on (held with the endpoint's clock).
      if (op === 'ListKeys' && lost && ++searches === 3) kms.clock.advance(60_000);
    };
    const report = await w.stack.deploy(synthKeys([{ id: 'K', store: 'hsm' }]));
    expect(report.stackStatus).toBe('CREATE_COMPLETE');
    const storeId = w.stack.keyStoreIds().find((id) => kms.model.keysIn(id).length > 0) ?? '';
    expect(kms.model.keysIn(storeId)).toEqual([keyIn('K')]);
    expect(kms.count('CreateKey')).toBe(1);
    expect(searches).toBe(3);
  });

  test('a lost CreateKey answer in an external store, key not yet listed: the retry meets XksKeyAlreadyInUse and adopts the key holding the xksKeyId with this request\'s creation tag', async () => {
    w = await world({ keyVisibilityLagMs: 60_000 });
    const { kms } = w;
    let creates = 0;
    kms.beforeOperation = (op, body) => {
      if (op !== 'CreateKey') return;
      if (++creates === 1) {
        kms.model.CreateKey(body);
        throw new ServiceError('KMSInternalException', 'An internal error occurred.', 500);
      }
      // The searches before it found nothing; by the time KMS refuses the second key, reads show the first.
      kms.clock.advance(60_000);
    };
    const report = await w.stack.deploy(synthKeys([{ id: 'X', store: 'xks', xksKeyId: 'x-1' }]));
    expect(report.stackStatus).toBe('CREATE_COMPLETE');
    const storeId = w.stack.keyStoreIds().find((id) => kms.model.keysIn(id).length > 0) ?? '';
    expect(kms.model.keysIn(storeId)).toEqual([keyIn('X')]);
    expect(callsOfKms('CreateKey')).toEqual(['CreateKey:KMSInternalException', 'CreateKey:XksKeyAlreadyInUseException']);
    expect(keyView(keyIn('X'))).toMatchObject({ XksKeyConfiguration: { Id: 'x-1' } });
  });

  test('a replayed Create event of an external key adopts the key the first delivery made; another resource\'s key on that xksKeyId is never adopted', async () => {
    w = await world();
    await w.stack.deploy(synthKeys([{ id: 'X', store: 'xks', xksKeyId: 'x-1' }]));
    const keyId = keyIn('X');
    const replay = await w.stack.replayLastEvent();
    expect(replay).toMatchObject({ status: 'SUCCESS', physicalResourceId: keyId });
    const storeId = w.stack.keyStoreIds().find((id) => w?.kms.model.keysIn(id).length) ?? '';
    expect(w.kms.model.keysIn(storeId)).toEqual([keyId]);
    // A second resource on the same external key carries another creation tag: refused, with the usual advice.
    const report = await w.stack.deploy(synthKeys([{ id: 'X', store: 'xks', xksKeyId: 'x-1' }, { id: 'Y', store: 'xks', xksKeyId: 'x-1' }]));
    expect(report.events.find((e) => e.status === 'CREATE_FAILED')?.reason).toMatch(/^XksKeyAlreadyInUseException: /);
    expect(w.kms.model.keysIn(storeId)).toEqual([keyId]);
  });

  test('a failed cleanup says so: the key was not scheduled for deletion, and how to do it', async () => {
    w = await world({ keyVisibilityLagMs: 0 });
    const { kms } = w;
    kms.beforeOperation = (op) => {
      if (op === 'DisableKey') throw new ServiceError('AccessDeniedException', 'not authorized to perform kms:DisableKey');
      if (op === 'ScheduleKeyDeletion') throw new ServiceError('AccessDeniedException', 'not authorized to perform kms:ScheduleKeyDeletion');
    };
    const report = await w.stack.deploy(synthKeys([{ id: 'K', store: 'hsm', enabled: false }]));
    const reason = report.events.find((e) => e.status === 'CREATE_FAILED')?.reason ?? '';
    expect(reason).toMatch(/^AccessDeniedException: .*scheduling its deletion failed too \(AccessDeniedException: .*\), so the key is left Enabled .*aws kms schedule-key-deletion --key-id [0-9a-f-]{36} --pending-window-in-days 7/);
    expect(reason).not.toMatch(/was scheduled for deletion/);
  });
});

function callsOfKms(...names: string[]): string[] {
  return (w?.kms.calls ?? []).filter((c) => names.includes(c.operation)).map((c) => `${c.operation}:${c.outcome}`);
}

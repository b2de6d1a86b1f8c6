/**
 * Stores CloudFormation is done with while keys remain in them: the rollback of a failed first
 * deploy and the cleanup after a replacement release the store (renamed, left connected) instead
 * of failing, and a retried deploy of the same stack takes it back. Played over HTTP by the local
 * runner against the local endpoint, with the bundled handler.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { CustomKeyStore, CustomKeyStoreKey, KeyStoreBackend } from '../../lib';
import { HEARTBEAT_PARAMETER, REGISTRY_PATH } from '../../lib/private/contract/deferred-deletion';
import { OTHER_TRUST_ANCHOR, STACK_NAME, states, TRUST_ANCHOR, World, world } from './harness';

let w: World | undefined;
const dirs: string[] = [];

afterEach(async () => w?.kms.stop());
afterAll(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

interface Spec {
  /** The external key id of a key that fails (added to the endpoint's missing keys by the test). */
  readonly failingXksKeyId?: string;
  readonly hsmName?: string;
  readonly clusterId?: string;
  readonly trustAnchor?: string;
  /** The external key of the external store's key. */
  readonly xksKeyId?: string;
  readonly keyRemoval?: RemovalPolicy;
  readonly deferDeletion?: boolean;
}

/** A CloudHSM store and an external store, a key in each (default removal policy), and maybe a failing key. */
function synthStack(spec: Spec = {}): string {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cks-release-'));
  dirs.push(outdir);
  const app = new App({ outdir });
  const stack = new Stack(app, STACK_NAME, { env: { account: '111122223333', region: 'us-east-1' } });
  const hsm = new CustomKeyStore(stack, 'Hsm', {
    customKeyStoreName: spec.hsmName ?? 'hsm',
    backend: KeyStoreBackend.cloudHsm({ clusterId: spec.clusterId ?? 'cluster-2a23b4cdefg', trustAnchorCertificate: spec.trustAnchor ?? TRUST_ANCHOR, keyStorePassword: secretsmanager.Secret.fromSecretNameV2(stack, 'Pw', 'it/kmsuser') }),
    deferDeletion: spec.deferDeletion,
  });
  const xks = new CustomKeyStore(stack, 'Xks', {
    customKeyStoreName: 'xks',
    backend: KeyStoreBackend.externalPublicEndpoint({ proxyUriEndpoint: 'https://xks.example.com', proxyUriPath: '/kms/xks/v1', proxyCredential: secretsmanager.Secret.fromSecretNameV2(stack, 'Cred', 'it/xks') }),
    deferDeletion: spec.deferDeletion,
  });
  new CustomKeyStoreKey(stack, 'HsmKey', { customKeyStore: hsm, removalPolicy: spec.keyRemoval });
  new CustomKeyStoreKey(stack, 'XksKey', { customKeyStore: xks, xksKeyId: spec.xksKeyId ?? 'payments-key-1', removalPolicy: spec.keyRemoval });
  if (spec.failingXksKeyId) {
    new CustomKeyStoreKey(stack, 'BadKey', { customKeyStore: xks, xksKeyId: spec.failingXksKeyId });
  }
  app.synth();
  return outdir;
}

function storeNamed(name: string): { id: string; name: string; state: string } | undefined {
  return w?.kms.model.storeSnapshot().find((s) => s.name === name);
}

function keyStates(storeId: string): string[] {
  return (w?.kms.model.keysIn(storeId) ?? []).map((k) => w?.kms.model.inspect(() => w?.kms.model.DescribeKey({ KeyId: k }).KeyMetadata) as { KeyState: string }).map((m) => m.KeyState);
}

describe('a failed first deploy with keys', () => {
  test('rolls back to ROLLBACK_COMPLETE: its keys are scheduled for deletion, both stores released and left CONNECTED; deploying again succeeds and takes the stores back', async () => {
    w = await world();
    w.kms.model.missingExternalKeys.add('missing-key');
    const failing = await w.stack.deploy(synthStack({ failingXksKeyId: 'missing-key' }));
    expect(failing.events.find((e) => e.status === 'CREATE_FAILED')?.reason).toMatch(/XksKeyNotFoundException/);
    expect(failing.stackStatus).toBe('ROLLBACK_COMPLETE');

    // Both stores released: renamed so the stack's names are free and a person can find them,
    // still CONNECTED (KMS removes a CloudHSM key's material only while connected), and their
    // keys pending deletion after the keys' pendingWindow (30 days by default).
    const released = w.kms.model.storeSnapshot();
    expect(released.map((s) => [s.name, s.state]).sort()).toEqual([
      [`released/${STACK_NAME}/${logicalIdOf(failing, 'Hsm')}/${storeIdOf(failing, 'Hsm')}`, 'CONNECTED'],
      [`released/${STACK_NAME}/${logicalIdOf(failing, 'Xks')}/${storeIdOf(failing, 'Xks')}`, 'CONNECTED'],
    ].sort());
    for (const s of released) expect(keyStates(s.id)).toEqual(['PendingDeletion']);
    const deletionDate = (w.kms.model.DescribeKey({ KeyId: w.kms.model.keysIn(released[0].id)[0] }).KeyMetadata as { DeletionDate: number }).DeletionDate;
    expect(Math.round((deletionDate * 1000 - w.kms.clock.now()) / 86_400_000)).toBe(30);
    expect(failing.events.filter((e) => e.status === 'DELETE_COMPLETE').map((e) => e.logicalId.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['BadKey', 'Hsm', 'HsmKey', 'Xks', 'XksKey']);

    // The retried deploy (the CLI deletes the ROLLBACK_COMPLETE stack and creates it again) meets
    // the cluster and the proxy in use, and takes back the stores this stack's resources released.
    // An external key that backs a KMS key pending deletion backs no other until that key is gone
    // (XksKeyAlreadyInUseException), so the external store's key gets a new one.
    w.kms.model.missingExternalKeys.delete('missing-key');
    const retried = await w.stack.deploy(synthStack({ failingXksKeyId: 'missing-key', xksKeyId: 'payments-key-2' }));
    expect(retried.stackStatus).toBe('CREATE_COMPLETE');
    expect(states(w.kms)).toEqual({ hsm: 'CONNECTED', xks: 'CONNECTED' });
    expect(storeNamed('hsm')?.id).toBe(storeIdOf(failing, 'Hsm'));
    expect(storeNamed('xks')?.id).toBe(storeIdOf(failing, 'Xks'));
    expect(keyStates(storeIdOf(failing, 'Hsm')).sort()).toEqual(['Enabled', 'PendingDeletion']);
    expect(w.stack.handlerLogs.filter((l) => l.includes('"step":"reclaimed"') && l.includes('"from":"released/'))).toHaveLength(2);
    // Two deploys, a rollback and a key scan per store: more than jest's default on a loaded machine.
  }, 240_000);

  test('with deferDeletion and a janitor that runs: the rollback hands both stores to the janitor (ROLLBACK_COMPLETE, registry entries written); a retried deploy still takes them back', async () => {
    w = await world();
    w.kms.ssm.PutParameter({ Name: HEARTBEAT_PARAMETER, Value: new Date().toISOString(), Type: 'String' });
    w.kms.model.missingExternalKeys.add('missing-key');
    const failing = await w.stack.deploy(synthStack({ failingXksKeyId: 'missing-key', deferDeletion: true }));
    expect(failing.stackStatus).toBe('ROLLBACK_COMPLETE');
    const entries = ((w.kms.ssm.GetParametersByPath({ Path: REGISTRY_PATH }).Parameters ?? []) as Array<{ Name: string }>).map((p) => p.Name).sort();
    expect(entries).toEqual([`${REGISTRY_PATH}/${storeIdOf(failing, 'Hsm')}`, `${REGISTRY_PATH}/${storeIdOf(failing, 'Xks')}`].sort());
    expect(w.kms.model.storeSnapshot().every((st) => st.name.startsWith('released/') && st.state === 'CONNECTED')).toBe(true);
    expect(w.stack.handlerLogs.filter((l) => l.includes('"step":"deferred"'))).toHaveLength(2);
    w.kms.model.missingExternalKeys.delete('missing-key');
    const retried = await w.stack.deploy(synthStack({ failingXksKeyId: 'missing-key', xksKeyId: 'payments-key-2', deferDeletion: true }));
    expect(retried.stackStatus).toBe('CREATE_COMPLETE');
    // Taken back under the declared names: the janitor drops entries whose store no longer has the released name.
    expect(states(w.kms)).toEqual({ hsm: 'CONNECTED', xks: 'CONNECTED' });
  }, 240_000);

  test('a RETAIN key, which the rollback keeps enabled, still fails the store\'s delete (ROLLBACK_FAILED), the store keeping its name', async () => {
    w = await world();
    w.kms.model.missingExternalKeys.add('missing-key');
    const failing = await w.stack.deploy(synthStack({ failingXksKeyId: 'missing-key', keyRemoval: RemovalPolicy.RETAIN }));
    expect(failing.stackStatus).toBe('ROLLBACK_FAILED');
    expect(failing.events.find((e) => e.status === 'DELETE_FAILED')?.reason).toMatch(/^CustomKeyStoreHasCMKsException: /);
    expect(states(w.kms)).toEqual({ hsm: 'CONNECTED', xks: 'CONNECTED' });
  });
});

test('a replacement whose old store still holds a key: UPDATE_COMPLETE, the old key retained and the old store released, CONNECTED, findable by its name', async () => {
  w = await world();
  const first = await w.stack.deploy(synthStack());
  expect(first.stackStatus).toBe('CREATE_COMPLETE');
  const oldStore = storeIdOf(first, 'Hsm');
  const oldKey = first.events.find((e) => e.logicalId === logicalIdOf(first, 'HsmKey') && e.status === 'CREATE_COMPLETE')?.physicalId;

  const replaced = await w.stack.deploy(synthStack({ hsmName: 'hsm-2', clusterId: 'cluster-3b34c5defgh', trustAnchor: OTHER_TRUST_ANCHOR }));
  expect(replaced.stackStatus).toBe('UPDATE_COMPLETE');
  expect(replaced.events.find((e) => e.physicalId === oldKey && e.status.startsWith('DELETE'))?.status).toBe('DELETE_SKIPPED');
  expect(replaced.events.filter((e) => e.physicalId === oldStore).map((e) => e.status)).toEqual(['UPDATE_IN_PROGRESS', 'DELETE_IN_PROGRESS', 'DELETE_COMPLETE']);
  expect(w.kms.model.storeSnapshot().find((s) => s.id === oldStore)).toMatchObject({ name: `released/${STACK_NAME}/${logicalIdOf(first, 'Hsm')}/${oldStore}`, state: 'CONNECTED' });
  expect(keyStates(oldStore)).toEqual(['Enabled']);
  expect(storeNamed('hsm-2')?.state).toBe('CONNECTED');
});

function logicalIdOf(report: { events: Array<{ logicalId: string }> }, construct: string): string {
  return report.events.map((e) => e.logicalId).find((id) => new RegExp(`^${construct}[0-9A-F]{8}$`).test(id)) ?? '';
}

function storeIdOf(report: { events: Array<{ logicalId: string; physicalId?: string }> }, construct: string): string {
  const logicalId = logicalIdOf(report, construct);
  return report.events.find((e) => e.logicalId === logicalId && e.physicalId?.startsWith('cks-'))?.physicalId ?? '';
}

/**
 * Every lifecycle row of the construct, run through the bundled handler in cdk.out by the local
 * runner, with the real AWS SDK over HTTP against the local KMS endpoint: no mocks.
 */
import { CreateKeyCommand, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { LocalKms } from '../../local';
import { callsOf, kmsClient, OTHER_TRUST_ANCHOR, removeAssemblies, SECRETS, states, synth, World, world } from './harness';

const DAY = 86_400_000;
let w: World | undefined;

afterEach(async () => w?.kms.stop());
afterAll(removeAssemblies);

/** The successful calls of `names` since call `since`. */
function ops(kms: LocalKms, since: number, ...names: string[]): string[] {
  return callsOf(kms, since, ...names)
    .filter((c) => c.endsWith(':ok'))
    .map((c) => c.replace(/:ok$/, ''));
}

describe('create', () => {
  test('a CloudHSM store and an external store are created and connected', async () => {
    w = await world();
    const report = await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm' }, { id: 'Xks', name: 'xks', kind: 'xks' }]));
    expect(report.stackStatus).toBe('CREATE_COMPLETE');
    expect(states(w.kms)).toEqual({ hsm: 'CONNECTED', xks: 'CONNECTED' });
    expect(w.stack.physicalId('HsmD8AE2BE9') ?? w.stack.keyStoreIds()[0]).toMatch(/^cks-[0-9a-f]{17}$/);
  });

  test('connected: false creates a DISCONNECTED store without connecting it', async () => {
    w = await world();
    expect((await w.stack.deploy(synth([{ id: 'Vpc', name: 'vpc', kind: 'vpc', connected: false }]))).stackStatus).toBe('CREATE_COMPLETE');
    expect(states(w.kms)).toEqual({ vpc: 'DISCONNECTED' });
    expect(w.kms.count('ConnectCustomKeyStore')).toBe(0);
  });

  test('a cluster without HSMs fails with INSUFFICIENT_CLOUDHSM_HSMS, and the rollback deletes the store', async () => {
    w = await world({ clusters: { 'cluster-2a23b4cdefg': { hsmCount: 2 } } });
    const { model } = w.kms;
    // The cluster loses its HSMs after the store is created, before it connects.
    w.kms.beforeOperation = (op) => {
      if (op === 'ConnectCustomKeyStore') model.clusters.set('cluster-2a23b4cdefg', { hsmCount: 0 });
    };
    const report = await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm' }]));
    expect(report.stackStatus).toBe('ROLLBACK_COMPLETE');
    const failed = report.events.find((e) => e.status === 'CREATE_FAILED');
    expect(failed?.reason).toMatch(/^CustomKeyStoreConnectionFailed: .*ConnectionErrorCode INSUFFICIENT_CLOUDHSM_HSMS\): the cluster has no active HSM/);
    expect(report.events.map((e) => e.status)).toContain('DELETE_COMPLETE');
    expect(states(w.kms)).toEqual({});
  });

  test('a proxy credential the proxy does not accept at the connect fails with INVALID_CREDENTIALS and the external store\'s hint', async () => {
    w = await world();
    // KMS tries the credential at create, so the proxy accepts it then; its operator issues another
    // before the connect (the proxy changes between the two calls).
    w.kms.beforeOperation = (operation) => {
      if (operation === 'ConnectCustomKeyStore') w?.kms.model.proxies.set('https://xks.example.com', { accessKeyId: 'AAAAAAAAAAAAAAAAAAAA' });
    };
    const report = await w.stack.deploy(synth([{ id: 'Xks', name: 'xks', kind: 'xks', endpoint: 'https://xks.example.com' }]));
    expect(report.events.find((e) => e.status === 'CREATE_FAILED')?.reason).toMatch(/ConnectionErrorCode INVALID_CREDENTIALS\): the XKS proxy does not accept the proxy authentication credential .* in a new secret/);
    expect(states(w.kms)).toEqual({});
  });

  test('a proxy whose authorization rules deny KMS fails with XKS_PROXY_ACCESS_DENIED', async () => {
    w = await world({ proxies: { 'https://xks.example.com': { deniesKms: true } } });
    const report = await w.stack.deploy(synth([{ id: 'Xks', name: 'xks', kind: 'xks', endpoint: 'https://xks.example.com' }]));
    expect(report.events.find((e) => e.status === 'CREATE_FAILED')?.reason).toMatch(/ConnectionErrorCode XKS_PROXY_ACCESS_DENIED\): the XKS proxy's authorization rules deny KMS/);
  });
});

describe('update', () => {
  test('a new name is changed in place, without disconnecting', async () => {
    w = await world();
    await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm' }]));
    const [id] = w.stack.keyStoreIds();
    const since = w.kms.calls.length;
    expect((await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm-renamed', kind: 'hsm' }]))).stackStatus).toBe('UPDATE_COMPLETE');
    expect(w.stack.keyStoreIds()).toEqual([id]);
    expect(states(w.kms)).toEqual({ 'hsm-renamed': 'CONNECTED' });
    expect(ops(w.kms, since, 'DisconnectCustomKeyStore', 'UpdateCustomKeyStore', 'ConnectCustomKeyStore')).toEqual(['UpdateCustomKeyStore']);
  });

  test('a new password, set in the cluster first, disconnects, updates once, reconnects; KMS then rotates it', async () => {
    w = await world();
    await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm' }]));
    // The operator resets kmsuser's password in the cluster, and puts it in a new secret.
    w.kms.model.setKmsUserPassword('cluster-2a23b4cdefg', SECRETS['it/kmsuser-v2']);
    const since = w.kms.calls.length;
    expect((await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm', password: 'it/kmsuser-v2' }]))).stackStatus).toBe('UPDATE_COMPLETE');
    expect(ops(w.kms, since, 'DisconnectCustomKeyStore', 'UpdateCustomKeyStore', 'ConnectCustomKeyStore')).toEqual(['DisconnectCustomKeyStore', 'UpdateCustomKeyStore', 'ConnectCustomKeyStore']);
    expect(states(w.kms)).toEqual({ hsm: 'CONNECTED' });
    expect(w.kms.model.kmsUserPassword('cluster-2a23b4cdefg')).not.toBe(SECRETS['it/kmsuser-v2']);
  });

  test('a new password the cluster rejects fails with what to do, and the rollback completes without re-sending the rotated-away one', async () => {
    w = await world();
    await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm' }]));
    const since = w.kms.calls.length;
    const report = await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm', password: 'it/kmsuser-v2' }]));
    const reason = report.events.find((e) => e.status === 'UPDATE_FAILED')?.reason ?? '';
    expect(reason).toMatch(/^CustomKeyStoreConnectionFailed: after the kmsuser password update, .* \(ConnectionErrorCode INVALID_CREDENTIALS\)\. KMS now holds the password from secret .*kmsuser-v2.* To fix it: set kmsuser's password in the cluster to the value of secret/);
    expect(report.stackStatus).toBe('UPDATE_ROLLBACK_COMPLETE');
    // One password sent (the new one), one failed login, and the rollback left the store disconnected.
    expect(ops(w.kms, since, 'UpdateCustomKeyStore', 'ConnectCustomKeyStore')).toEqual(['UpdateCustomKeyStore', 'ConnectCustomKeyStore']);
    expect(w.stack.handlerLogs.join('\n')).toMatch(/"step":"rollback-keeps-password"/);
    expect(states(w.kms)).toEqual({ hsm: 'DISCONNECTED' });

    // What the Reason says to do works: set the password in the cluster, deploy the change again.
    w.kms.model.setKmsUserPassword('cluster-2a23b4cdefg', SECRETS['it/kmsuser-v2']);
    expect((await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm', password: 'it/kmsuser-v2' }]))).stackStatus).toBe('UPDATE_COMPLETE');
    expect(states(w.kms)).toEqual({ hsm: 'CONNECTED' });
  });

  test('an external store changes its path and credential in place', async () => {
    w = await world();
    await w.stack.deploy(synth([{ id: 'Xks', name: 'xks', kind: 'xks' }]));
    const since = w.kms.calls.length;
    await w.stack.deploy(synth([{ id: 'Xks', name: 'xks', kind: 'xks', path: '/v2/kms/xks/v2', credential: 'it/xks-v2' }]));
    expect(ops(w.kms, since, 'DisconnectCustomKeyStore', 'UpdateCustomKeyStore', 'ConnectCustomKeyStore')).toEqual(['UpdateCustomKeyStore']);
  });

  test('a new proxy endpoint disconnects, updates, reconnects', async () => {
    w = await world();
    await w.stack.deploy(synth([{ id: 'Xks', name: 'xks', kind: 'xks', endpoint: 'https://a.example.com' }]));
    const since = w.kms.calls.length;
    expect((await w.stack.deploy(synth([{ id: 'Xks', name: 'xks', kind: 'xks', endpoint: 'https://b.example.com' }]))).stackStatus).toBe('UPDATE_COMPLETE');
    expect(ops(w.kms, since, 'DisconnectCustomKeyStore', 'UpdateCustomKeyStore', 'ConnectCustomKeyStore')).toEqual(['DisconnectCustomKeyStore', 'UpdateCustomKeyStore', 'ConnectCustomKeyStore']);
  });

  test('connected: true -> false -> true disconnects and reconnects', async () => {
    w = await world();
    await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm' }]));
    await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm', connected: false }]));
    expect(states(w.kms)).toEqual({ hsm: 'DISCONNECTED' });
    await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm' }]));
    expect(states(w.kms)).toEqual({ hsm: 'CONNECTED' });
  });

  test('a new trust anchor under the same name fails before touching the store', async () => {
    w = await world();
    await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm' }]));
    const since = w.kms.calls.length;
    const report = await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm', trustAnchor: OTHER_TRUST_ANCHOR }]));
    expect(report.events.find((e) => e.status === 'UPDATE_FAILED')?.reason).toMatch(/^ReplacementNeedsNewName: .*Nothing was changed/);
    expect(report.stackStatus).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(ops(w.kms, since, 'CreateCustomKeyStore', 'DisconnectCustomKeyStore', 'UpdateCustomKeyStore', 'DeleteCustomKeyStore')).toEqual([]);
    expect(states(w.kms)).toEqual({ hsm: 'CONNECTED' });
  });

  test('a new store type with a new name replaces the store; CloudFormation then deletes the old one', async () => {
    w = await world();
    await w.stack.deploy(synth([{ id: 'Store', name: 'store-hsm', kind: 'hsm' }]));
    const [oldId] = w.stack.keyStoreIds();
    expect((await w.stack.deploy(synth([{ id: 'Store', name: 'store-xks', kind: 'xks' }]))).stackStatus).toBe('UPDATE_COMPLETE');
    expect(w.stack.keyStoreIds()[0]).not.toBe(oldId);
    expect(states(w.kms)).toEqual({ 'store-xks': 'CONNECTED' });
  });
});

describe('delete', () => {
  test('keys in the store fail the delete cleanly and leave it CONNECTED; once they are gone it is disconnected, then deleted', async () => {
    w = await world();
    await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm' }]));
    const [id] = w.stack.keyStoreIds();
    const kms = kmsClient(w.kms);
    const key = await kms.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: id }));
    // A second later KMS's reads show the new key (its visibility lag is over).
    w.kms.clock.advance(1_000);
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyMetadata?.KeyId, PendingWindowInDays: 7 }));

    const blocked = await w.stack.destroy();
    expect(blocked.stackStatus).toBe('DELETE_FAILED');
    const reason = blocked.events.find((e) => e.status === 'DELETE_FAILED')?.reason ?? '';
    expect(reason).toMatch(new RegExp(`^CustomKeyStoreHasCMKsException: custom key store ${id} \\('hsm'\\) still holds 1 KMS key, so it was not deleted: ${key.KeyMetadata?.KeyId} \\(PendingDeletion, deleted on `));
    expect(Buffer.byteLength(reason)).toBeLessThan(4096);
    expect(states(w.kms)).toEqual({ hsm: 'CONNECTED' });
    expect(w.kms.count('DisconnectCustomKeyStore')).toBe(0);

    w.kms.clock.advance(7 * DAY + 1000);
    const since = w.kms.calls.length;
    expect((await w.stack.destroy()).stackStatus).toBe('DELETE_COMPLETE');
    expect(ops(w.kms, since, 'DisconnectCustomKeyStore', 'DeleteCustomKeyStore')).toEqual(['DisconnectCustomKeyStore', 'DeleteCustomKeyStore']);
    expect(states(w.kms)).toEqual({});
  });

  test('a key created between the check and the delete: the store is reconnected before the delete fails', async () => {
    w = await world();
    await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm' }]));
    const [id] = w.stack.keyStoreIds();
    const { model } = w.kms;
    w.kms.beforeOperation = (op) => {
      if (op === 'DisconnectCustomKeyStore' && model.keysIn(id).length === 0) {
        model.CreateKey({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: id });
      }
    };
    const report = await w.stack.destroy();
    expect(report.stackStatus).toBe('DELETE_FAILED');
    expect(report.events.find((e) => e.status === 'DELETE_FAILED')?.reason).toMatch(/^CustomKeyStoreHasCMKsException: .*still holds 1 KMS key.*The store is CONNECTED, as it was before the delete/);
    expect(states(w.kms)).toEqual({ hsm: 'CONNECTED' });
    const teardown = w.kms.calls.filter((c) => ['DisconnectCustomKeyStore', 'DeleteCustomKeyStore', 'ConnectCustomKeyStore'].includes(c.operation)).slice(-3);
    expect(teardown.map((c) => `${c.operation}:${c.outcome}`)).toEqual(['DisconnectCustomKeyStore:ok', 'DeleteCustomKeyStore:CustomKeyStoreHasCMKsException', 'ConnectCustomKeyStore:ok']);
  });

  test('a DISCONNECTED store is deleted without a disconnect', async () => {
    w = await world();
    await w.stack.deploy(synth([{ id: 'Vpc', name: 'vpc', kind: 'vpc', connected: false }]));
    expect((await w.stack.destroy()).stackStatus).toBe('DELETE_COMPLETE');
    expect(w.kms.count('DisconnectCustomKeyStore')).toBe(0);
    expect(states(w.kms)).toEqual({});
  });

  test('a store deleted outside the stack is a successful delete', async () => {
    w = await world();
    await w.stack.deploy(synth([{ id: 'Vpc', name: 'vpc', kind: 'vpc', connected: false }]));
    w.kms.model.DeleteCustomKeyStore({ CustomKeyStoreId: w.stack.keyStoreIds()[0] });
    expect((await w.stack.destroy()).stackStatus).toBe('DELETE_COMPLETE');
  });

  test('RETAIN keeps the store', async () => {
    w = await world();
    await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm', retain: true }]));
    const report = await w.stack.destroy();
    expect(report.events.map((e) => e.status)).toEqual(['DELETE_SKIPPED']);
    expect(states(w.kms)).toEqual({ hsm: 'CONNECTED' });
  });
});

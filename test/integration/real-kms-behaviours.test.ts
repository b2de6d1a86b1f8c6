/**
 * Where real KMS is less convenient than a naive model, through the bundled handler over HTTP with
 * the real AWS SDK, each against the local endpoint behaving as KMS documents it (docs/kms-facts.md).
 * (The kmsuser password rotation is in store-lifecycle.test.ts and safety.test.ts.)
 */
import { CreateCustomKeyStoreCommand, CreateKeyCommand, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { callsOf, kmsClient, removeAssemblies, SECRETS, states, synth, TRUST_ANCHOR, World, world } from './harness';

const DAY = 86_400_000;
let w: World | undefined;

afterEach(async () => w?.kms.stop());
afterAll(removeAssemblies);

function reasonOf(report: { events: Array<{ status: string; reason?: string }> }, status: string): string {
  return report.events.find((e) => e.status === status)?.reason ?? '';
}

test('a proxy credential rejected at create: the hint (a new secret, pointed at) is what makes the next deploy work', async () => {
  const v2 = JSON.parse(SECRETS['it/xks-v2']) as { accessKeyId: string; secretAccessKey: string };
  w = await world({ proxies: { 'https://xks.example.com': { accessKeyId: v2.accessKeyId, secretAccessKey: v2.secretAccessKey } } });
  const failed = await w.stack.deploy(synth([{ id: 'Xks', name: 'xks', kind: 'xks', endpoint: 'https://xks.example.com' }]));
  // KMS tries the credential on the proxy before it creates the store: no store is made.
  expect(reasonOf(failed, 'CREATE_FAILED')).toMatch(/^XksProxyIncorrectAuthenticationCredentialException: .* no store was created\. .* in a new secret .* point proxyCredential at it and deploy/);
  expect(states(w.kms)).toEqual({});
  const fixed = await w.stack.deploy(synth([{ id: 'Xks', name: 'xks', kind: 'xks', endpoint: 'https://xks.example.com', credential: 'it/xks-v2' }]));
  expect(fixed.stackStatus).toMatch(/^(CREATE|UPDATE)_COMPLETE$/);
  expect(states(w.kms)).toEqual({ xks: 'CONNECTED' });
});

test('a new proxy endpoint takes a while to take effect: the handler reconnects until it does, within waitTimeout', async () => {
  w = await world({ xksPropagationMs: 400 });
  await w.stack.deploy(synth([{ id: 'Xks', name: 'xks', kind: 'xks', endpoint: 'https://old.example.com' }]));
  // The old proxy goes away as the store moves to the new one.
  w.kms.model.proxies.set('https://old.example.com', { reachable: false });
  const since = w.kms.calls.length;
  const report = await w.stack.deploy(synth([{ id: 'Xks', name: 'xks', kind: 'xks', endpoint: 'https://new.example.com' }]));
  expect(report.stackStatus).toBe('UPDATE_COMPLETE');
  expect(states(w.kms)).toEqual({ xks: 'CONNECTED' });
  // At least one connect met the old settings and failed; the handler disconnected and tried again.
  expect(w.stack.handlerLogs.join('\n')).toMatch(/"step":"retry-connect-after-xks-change","store":"cks-[0-9a-f]+","connectionErrorCode":"XKS_PROXY_NOT_REACHABLE"/);
  expect(callsOf(w.kms, since, 'ConnectCustomKeyStore').length).toBeGreaterThanOrEqual(2);
});

describe('keys whose key policy denies the handler DescribeKey', () => {
  test('an empty store is deleted even though the account holds an unreadable key', async () => {
    w = await world();
    await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm' }]));
    const elsewhere = await kmsClient(w.kms).send(new CreateKeyCommand({}));
    // KMS's reads show the new key once its visibility lag is over.
    w.kms.clock.advance(w.kms.model.keyVisibilityLagMs);
    w.kms.model.lockKey(elsewhere.KeyMetadata?.KeyId ?? '');
    expect((await w.stack.destroy()).stackStatus).toBe('DELETE_COMPLETE');
    expect(w.stack.handlerLogs.join('\n')).toMatch(/"step":"key-scan".*"found":0,"unreadable":1/);
  });

  test('an unreadable key in the store: DeleteCustomKeyStore has the last word, the store is reconnected and the key named', async () => {
    w = await world();
    await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm' }]));
    const [id] = w.stack.keyStoreIds();
    const key = await kmsClient(w.kms).send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: id }));
    const keyId = key.KeyMetadata?.KeyId ?? '';
    w.kms.model.lockKey(keyId);
    const report = await w.stack.destroy();
    expect(report.stackStatus).toBe('DELETE_FAILED');
    const reason = reasonOf(report, 'DELETE_FAILED');
    expect(reason).toMatch(new RegExp(`^CustomKeyStoreHasCMKsException: KMS refused to delete custom key store ${id} .* 1 key of the account could not be read .*: ${keyId}\\. The store is CONNECTING again`));
    expect(Buffer.byteLength(reason)).toBeLessThan(4096);
    w.kms.clock.advance(1_000); // past the reconnect, on the endpoint's clock
    expect(states(w.kms)).toEqual({ hsm: 'CONNECTED' });
  });
});

test('a rename of a FAILED store (KMS changes nothing in FAILED) disconnects it first; the old failure is left as it was', async () => {
  w = await world();
  await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm' }]));
  const [id] = w.stack.keyStoreIds();
  // Outside the stack: the cluster's network breaks and an operator reconnects the store.
  w.kms.model.clusters.set('cluster-2a23b4cdefg', { networkBlocked: true });
  w.kms.model.DisconnectCustomKeyStore({ CustomKeyStoreId: id });
  w.kms.clock.advance(1_000);
  w.kms.model.ConnectCustomKeyStore({ CustomKeyStoreId: id });
  w.kms.clock.advance(1_000);
  expect(states(w.kms)).toEqual({ hsm: 'FAILED' });
  const since = w.kms.calls.length;
  const report = await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm-renamed', kind: 'hsm' }]));
  expect(report.stackStatus).toBe('UPDATE_COMPLETE');
  expect(callsOf(w.kms, since, 'DisconnectCustomKeyStore', 'UpdateCustomKeyStore')).toEqual(['DisconnectCustomKeyStore:ok', 'UpdateCustomKeyStore:ok']);
  expect(Object.keys(states(w.kms))).toEqual(['hsm-renamed']);
});

test('reads that lag behind: create and update wait; a delete of a store reads cannot see yet still deletes it', async () => {
  w = await world({ visibilityLagMs: 300, clusters: { 'cluster-3b34c5defgh': { lineage: 'default' } } });
  expect((await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm' }, { id: 'Vpc', name: 'vpc', kind: 'vpc', connected: false }]))).stackStatus).toBe('CREATE_COMPLETE');
  expect((await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm', clusterId: 'cluster-3b34c5defgh' }, { id: 'Vpc', name: 'vpc', kind: 'vpc', connected: false }]))).stackStatus).toBe(
    'UPDATE_COMPLETE',
  );
  expect(states(w.kms)).toEqual({ hsm: 'CONNECTED', vpc: 'DISCONNECTED' });
  // Now reads lag a minute: both stores are too new for DescribeCustomKeyStores to show.
  w.kms.model.visibilityLagMs = 60_000;
  const since = w.kms.calls.length;
  expect((await w.stack.destroy()).stackStatus).toBe('DELETE_COMPLETE');
  expect(states(w.kms)).toEqual({});
  expect(callsOf(w.kms, since, 'DisconnectCustomKeyStore')).toEqual(['DisconnectCustomKeyStore:ok']);
});

test('a teardown right after a key was made: the scan misses it, reads still show CONNECTED after the disconnect; the store ends CONNECTED as it was, the key named', async () => {
  w = await world();
  expect((await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm', keys: [{ id: 'Orders' }] }]))).stackStatus).toBe('CREATE_COMPLETE');
  const { kms } = w;
  // Held with the endpoint's clock: ListKeys does not show the new key to the delete's first
  // scan, and once the store is disconnected, reads show CONNECTED (the state before the change).
  kms.model.keyVisibilityLagMs = 600_000;
  kms.model.visibilityLagMs = 60_000;
  // Two minutes on: the store's connect is old enough for reads to show it, the key is still new.
  kms.clock.advance(120_000);
  kms.clock.freeze();
  kms.beforeOperation = (op) => {
    // After onEvent's disconnect the key becomes visible; the first reconnect lets time run again.
    if (op === 'DisconnectCustomKeyStore') kms.model.keyVisibilityLagMs = 0;
    if (op === 'ConnectCustomKeyStore') {
      kms.model.visibilityLagMs = 0;
      kms.clock.thaw();
    }
  };
  const report = await w.stack.destroy();
  kms.clock.thaw();
  expect(report.stackStatus).toBe('DELETE_FAILED');
  expect(reasonOf(report, 'DELETE_FAILED')).toMatch(/^CustomKeyStoreHasCMKsException: .*still holds 1 KMS key.* \(Enabled\)\. The store is CONNECTED/);
  expect(states(kms)).toEqual({ hsm: 'CONNECTED' });
  expect(w.stack.handlerLogs.join('\n')).toMatch(/"step":"reconnect-after-stale-read"/);
});

test('a password update while reads still show CONNECTED: sent once, after KMS shows DISCONNECTED', async () => {
  w = await world({ visibilityLagMs: 500 });
  await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm' }]));
  w.kms.model.setKmsUserPassword('cluster-2a23b4cdefg', SECRETS['it/kmsuser-v2']);
  const since = w.kms.calls.length;
  expect((await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm', password: 'it/kmsuser-v2' }]))).stackStatus).toBe('UPDATE_COMPLETE');
  expect(callsOf(w.kms, since, 'UpdateCustomKeyStore')).toEqual(['UpdateCustomKeyStore:ok']);
  expect(states(w.kms)).toEqual({ hsm: 'CONNECTED' });
});

describe('a retried create finds its own store, and only its own', () => {
  test('external: the answer is lost, the retry meets XksProxyUriInUse, and the store is adopted', async () => {
    w = await world();
    w.kms.dropNextAfterEffect.add('CreateCustomKeyStore');
    expect((await w.stack.deploy(synth([{ id: 'Xks', name: 'xks', kind: 'xks' }]))).stackStatus).toBe('CREATE_COMPLETE');
    expect(callsOf(w.kms, 0, 'CreateCustomKeyStore')).toEqual(['CreateCustomKeyStore:dropped-after-effect', 'CreateCustomKeyStore:XksProxyUriInUseException']);
    expect(states(w.kms)).toEqual({ xks: 'CONNECTED' });
  });

  test('CloudHSM: the retry gets the same store id back from KMS, and keeps it', async () => {
    w = await world();
    w.kms.dropNextAfterEffect.add('CreateCustomKeyStore');
    expect((await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm' }]))).stackStatus).toBe('CREATE_COMPLETE');
    expect(w.kms.model.storeSnapshot()).toHaveLength(1);
  });

  test('CloudHSM: an older DISCONNECTED store with the same values is someone else\'s: refused, untouched', async () => {
    w = await world();
    // Made by someone else a day ago.
    w.kms.clock.advance(-DAY);
    const theirs = await kmsClient(w.kms).send(
      new CreateCustomKeyStoreCommand({ CustomKeyStoreName: 'hsm', CloudHsmClusterId: 'cluster-2a23b4cdefg', TrustAnchorCertificate: TRUST_ANCHOR, KeyStorePassword: SECRETS['it/kmsuser'] }),
    );
    w.kms.clock.advance(DAY);
    const report = await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm' }]));
    expect(report.stackStatus).toBe('ROLLBACK_COMPLETE');
    expect(reasonOf(report, 'CREATE_FAILED')).toMatch(new RegExp(`^CustomKeyStoreAlreadyExists: .* ${theirs.CustomKeyStoreId ?? ''}, which already existed .* Nothing was changed`));
    expect(w.kms.model.storeSnapshot()).toEqual([expect.objectContaining({ id: theirs.CustomKeyStoreId, state: 'DISCONNECTED' })]);
  });
});

describe('connection failures say what to fix for the store type', () => {
  test('CloudHSM SUBNET_NOT_FOUND: a cluster from a recent backup', async () => {
    w = await world({ clusters: { 'cluster-2a23b4cdefg': { subnetDeleted: true } } });
    const report = await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm' }]));
    expect(reasonOf(report, 'CREATE_FAILED')).toMatch(/SUBNET_NOT_FOUND\): .* create a cluster from a recent backup of this one .* change clusterId/);
  });

  test('external XKS_VPC_ENDPOINT_SERVICE_INVALID_CONFIGURATION: the allowed principal cks.kms.<region>.amazonaws.com', async () => {
    // KMS checks the service at create: it was in order then, and changed before the connect.
    w = await world();
    w.kms.beforeOperation = (operation) => {
      if (operation === 'ConnectCustomKeyStore') w?.kms.model.vpcEndpointServices.set('com.amazonaws.vpce.us-east-1.vpce-svc-0vpc', { allowsKms: false });
    };
    const report = await w.stack.deploy(synth([{ id: 'Vpc', name: 'vpc', kind: 'vpc' }]));
    expect(reasonOf(report, 'CREATE_FAILED')).toMatch(/XKS_VPC_ENDPOINT_SERVICE_INVALID_CONFIGURATION\): .*allowed principals must include cks\.kms\.<region>\.amazonaws\.com/);
  });
});

describe('the trust anchor', () => {
  test('a PEM on one line with trailing spaces is accepted by the construct and by KMS', async () => {
    w = await world();
    const oneLine = `${TRUST_ANCHOR.replace(/\n/g, ' ')}   `;
    expect((await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm', trustAnchor: oneLine }]))).stackStatus).toBe('CREATE_COMPLETE');
  });

  test('a new trust anchor on the same cluster fails before touching anything; with a new cluster and name it replaces the store', async () => {
    w = await world();
    await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm' }]));
    const [oldId] = w.stack.keyStoreIds();
    const other = TRUST_ANCHOR.replace('Q2FuYXJ5', 'T3RoZXJU');
    const since = w.kms.calls.length;
    const refused = await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm-v2', kind: 'hsm', trustAnchor: other }]));
    expect(reasonOf(refused, 'UPDATE_FAILED')).toMatch(/^ReplacementNeedsNewCluster: .*CloudHsmClusterInUseException\. Nothing was changed\./);
    expect(callsOf(w.kms, since, 'CreateCustomKeyStore', 'DisconnectCustomKeyStore', 'UpdateCustomKeyStore')).toEqual([]);
    const replaced = await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm-v2', kind: 'hsm', trustAnchor: other, clusterId: 'cluster-3b34c5defgh' }]));
    expect(replaced.stackStatus).toBe('UPDATE_COMPLETE');
    expect(w.stack.keyStoreIds()).not.toEqual([oldId]);
    expect(states(w.kms)).toEqual({ 'hsm-v2': 'CONNECTED' });
  });
});

test('a change of connectivity with the same endpoint fails before the live store is disconnected', async () => {
  w = await world();
  await w.stack.deploy(synth([{ id: 'Xks', name: 'xks', kind: 'xks', endpoint: 'https://proxy.example.com' }]));
  const since = w.kms.calls.length;
  const report = await w.stack.deploy(synth([{ id: 'Xks', name: 'xks', kind: 'vpc', endpoint: 'https://proxy.example.com' }]));
  expect(reasonOf(report, 'UPDATE_FAILED')).toMatch(/^InvalidConnectivityChange: .* from PUBLIC_ENDPOINT to VPC_ENDPOINT_SERVICE with the same proxyUriEndpoint .* Nothing was changed\./);
  expect(callsOf(w.kms, since, 'DisconnectCustomKeyStore', 'UpdateCustomKeyStore')).toEqual([]);
  expect(states(w.kms)).toEqual({ xks: 'CONNECTED' });
});

test('a CloudHSM store blocked by keys pending deletion: keep it connected while they wait', async () => {
  w = await world();
  await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm' }]));
  const kms = kmsClient(w.kms);
  const key = await kms.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: w.stack.keyStoreIds()[0] }));
  w.kms.clock.advance(w.kms.model.keyVisibilityLagMs);
  await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyMetadata?.KeyId, PendingWindowInDays: 7 }));
  const report = await w.stack.destroy();
  expect(reasonOf(report, 'DELETE_FAILED')).toMatch(/keep the store connected while they wait \(KMS deletes the key material from the cluster only while it is connected\)/);
  expect(states(w.kms)).toEqual({ hsm: 'CONNECTED' });
});

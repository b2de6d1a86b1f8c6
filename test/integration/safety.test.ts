/**
 * Replays, the account's DescribeCustomKeyStores quota, and secret canaries, through the bundled
 * handler over HTTP.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CANARY_ACCESS_KEY_ID, CANARY_PASSWORD, CANARY_SECRET_KEY } from '../fixtures/events';
import { removeAssemblies, SECRETS, states, StoreSpec, synth, World, world } from './harness';

let w: World | undefined;
afterEach(async () => w?.kms.stop());
afterAll(removeAssemblies);

describe('replaying an event gives the same end state', () => {
  const hsm: StoreSpec = { id: 'Hsm', name: 'hsm', kind: 'hsm' };

  test('Create', async () => {
    w = await world();
    await w.stack.deploy(synth([hsm]));
    const [id] = w.stack.keyStoreIds();
    const replay = await w.stack.replayLastEvent();
    expect(replay).toMatchObject({ status: 'SUCCESS', physicalResourceId: id });
    expect(states(w.kms)).toEqual({ hsm: 'CONNECTED' });
  });

  test('Update (needing a disconnect)', async () => {
    w = await world({ clusters: { 'cluster-3b34c5defgh': { lineage: 'default' } } });
    await w.stack.deploy(synth([hsm]));
    await w.stack.deploy(synth([{ ...hsm, clusterId: 'cluster-3b34c5defgh' }]));
    expect((await w.stack.replayLastEvent()).status).toBe('SUCCESS');
    expect(states(w.kms)).toEqual({ hsm: 'CONNECTED' });
  });

  test('Update of the kmsuser password, replayed after the stack settled: the rotated password is not overwritten', async () => {
    w = await world();
    await w.stack.deploy(synth([hsm]));
    w.kms.model.setKmsUserPassword('cluster-2a23b4cdefg', SECRETS['it/kmsuser-v2']);
    await w.stack.deploy(synth([{ ...hsm, password: 'it/kmsuser-v2' }]));
    const since = w.kms.calls.length;
    expect((await w.stack.replayLastEvent()).status).toBe('SUCCESS');
    expect(w.kms.calls.slice(since).filter((c) => c.operation === 'UpdateCustomKeyStore' || c.operation === 'DisconnectCustomKeyStore')).toEqual([]);
    expect(w.stack.handlerLogs.join('\n')).toMatch(/"step":"duplicate-ignored"/);
    expect(states(w.kms)).toEqual({ hsm: 'CONNECTED' });
  });

  test('Delete', async () => {
    w = await world();
    await w.stack.deploy(synth([hsm]));
    await w.stack.destroy();
    expect((await w.stack.replayLastEvent()).status).toBe('SUCCESS');
    expect(states(w.kms)).toEqual({});
  });

  test('Delete blocked by keys', async () => {
    w = await world();
    await w.stack.deploy(synth([hsm]));
    const client = new KMSClient(w.kms.clientConfig());
    await client.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: w.stack.keyStoreIds()[0] }));
    // Both deliveries come after KMS's reads show the key (its visibility lag is over).
    w.kms.clock.advance(w.kms.model.keyVisibilityLagMs);
    const first = (await w.stack.destroy()).events.find((e) => e.status === 'DELETE_FAILED');
    const again = await w.stack.replayLastEvent();
    expect(again.status).toBe('FAILED');
    expect(again.reason).toBe(first?.reason);
    expect(states(w.kms)).toEqual({ hsm: 'CONNECTED' });
  });
});

test('two stores deleted at once stay within 5 DescribeCustomKeyStores calls a second, unthrottled', async () => {
  // Poll once a second (the real interval is 10 s) while disconnecting takes 2.5 s.
  w = await world({ connectMs: 100, disconnectMs: 2500 }, 1000);
  await w.stack.deploy(synth([{ id: 'A', name: 'a', kind: 'hsm' }, { id: 'B', name: 'b', kind: 'xks' }]));
  await new Promise((r) => setTimeout(r, 1100)); // the deploy's own calls are out of the window
  const since = w.kms.calls.length;
  expect((await w.stack.destroy()).stackStatus).toBe('DELETE_COMPLETE');
  const describes = w.kms.calls.slice(since).filter((c) => c.operation === 'DescribeCustomKeyStores');
  expect(describes.length).toBeGreaterThanOrEqual(6);
  expect(w.kms.peakPerSecond('DescribeCustomKeyStores', since)).toBeLessThanOrEqual(5);
  expect(describes.filter((c) => c.outcome === 'ThrottlingException')).toEqual([]);
});

test('canary secret values never reach the template, cdk.out, the framework history, the handler log or an error', async () => {
  w = await world({
    // The cluster knows another password (so the update fails) and the proxy another credential.
    clusters: { 'cluster-2a23b4cdefg': { kmsUserPassword: CANARY_PASSWORD } },
  });
  const assembly = synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm' }, { id: 'Xks', name: 'xks', kind: 'xks' }]);
  await w.stack.deploy(assembly);
  const client = new KMSClient(w.kms.clientConfig());
  const hsmId = w.kms.model.storeSnapshot().find((s) => s.name === 'hsm')?.id;
  await client.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: hsmId }));
  // A failing update (INVALID_CREDENTIALS: KMS rotated the password away) and a blocked delete, so that error paths are covered too.
  await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm', password: 'it/kmsuser-v2' }, { id: 'Xks', name: 'xks', kind: 'xks', credential: 'it/xks-v2' }]));
  expect((await w.stack.destroy()).stackStatus).toBe('DELETE_FAILED');

  const canaries = [CANARY_PASSWORD, CANARY_ACCESS_KEY_ID, CANARY_SECRET_KEY, 'CANARX', 'Canarx'];
  const places: Record<string, string> = {
    'cdk.out': readTree(assembly),
    'framework history': w.stack.history.join('\n'),
    'handler log': w.stack.handlerLogs.join('\n'),
    'stack event reasons': w.stack.reasons.join('\n'),
  };
  // The places are not empty: the test looks where the secrets would be.
  expect(places['handler log']).toMatch(/"step":"update"/);
  expect(places['stack event reasons']).toMatch(/INVALID_CREDENTIALS/);
  expect(places['framework history']).toMatch(/KeyStorePasswordSecretArn/);
  for (const [where, text] of Object.entries(places)) {
    for (const canary of canaries) {
      expect({ where, found: text.includes(canary) }).toEqual({ where, found: false });
    }
  }
});

function readTree(dir: string): string {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .map((entry) => (entry.isDirectory() ? readTree(path.join(dir, entry.name)) : fs.readFileSync(path.join(dir, entry.name), 'utf8')))
    .join('\n');
}

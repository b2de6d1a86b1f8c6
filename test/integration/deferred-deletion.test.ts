/**
 * Deferred deletion end to end: a long-lived stack with the account's CustomKeyStoreJanitor, and a
 * stack whose store (deferDeletion: true) holds keys with RemovalPolicy.DESTROY. The bundled
 * handler and the janitor's bundle run in the local runner, over HTTP with the real SDK, under IAM
 * evaluation of their roles' policies; the keys' waiting period passes on the endpoint's clock.
 */
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { REGISTRY_PATH, STORES_STUCK_METRIC, STORES_WAITING_METRIC } from '../../lib/private/contract/deferred-deletion';
import { OPERATIONS_NAMESPACE } from '../../lib/private/contract/operations-metrics';
import { StackRunner } from '../../local';
import { JANITOR_STACK_NAME, removeAssemblies, states, synth, synthJanitor, World, world } from './harness';

const DAY = 86_400_000;
let w: World | undefined;
afterEach(async () => w?.kms.stop());
afterAll(removeAssemblies);

async function janitorStack(kms: World['kms']): Promise<StackRunner> {
  const janitor = new StackRunner(JANITOR_STACK_NAME, { kms, queryIntervalMs: 20 });
  expect((await janitor.deploy(synthJanitor())).stackStatus).toBe('CREATE_COMPLETE');
  return janitor;
}

async function registry(kms: World['kms']): Promise<string[]> {
  const ssm = new SSMClient(kms.clientConfig());
  const out = await ssm.send(new GetParametersByPathCommand({ Path: REGISTRY_PATH }));
  return (out.Parameters ?? []).map((p) => p.Name ?? '');
}

const latest = (kms: World['kms'], metric: string): number | undefined => kms.cloudWatch.datapoints(OPERATIONS_NAMESPACE, metric, {}).at(-1)?.value;

describe('cdk destroy of a store whose keys wait for their deletion date', () => {
  test('with a janitor: DELETE_COMPLETE at once; the store waits CONNECTED, and after the dates the janitor disconnects and deletes it', async () => {
    w = await world();
    const { kms } = w;
    const janitor = await janitorStack(kms);
    await janitor.runSchedules();
    expect((await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm', deferDeletion: true, keys: [{ id: 'Orders', destroy: true }] }]))).stackStatus).toBe('CREATE_COMPLETE');
    kms.clock.advance(1_000);
    const [storeId] = w.stack.keyStoreIds();
    const report = await w.stack.destroy();
    expect(report.stackStatus).toBe('DELETE_COMPLETE');
    // The store is released to the janitor: renamed, still CONNECTED, and in the registry.
    expect(states(kms)).toEqual({ [`released/KeyStoresIntegration/${report.events.find((e) => e.physicalId === storeId)?.logicalId ?? ''}/${storeId}`]: 'CONNECTED' });
    expect(await registry(kms)).toEqual([`${REGISTRY_PATH}/${storeId}`]);
    expect(w.stack.handlerLogs.join('\n')).toMatch(/"step":"deferred","store":"cks-[0-9a-f]+"/);

    // While the key waits, the janitor keeps a CloudHSM store connected (someone disconnects it).
    kms.model.DisconnectCustomKeyStore({ CustomKeyStoreId: storeId });
    kms.clock.advance(1_000);
    await janitor.runSchedules();
    kms.clock.advance(1_000);
    expect(Object.values(states(kms))).toEqual(['CONNECTED']);
    expect(latest(kms, STORES_WAITING_METRIC)).toBe(1);

    // After the key's deletion date: disconnect, then delete, then nothing left.
    kms.clock.advance(8 * DAY);
    await janitor.runSchedules();
    kms.clock.advance(1_000);
    await janitor.runSchedules();
    expect(states(kms)).toEqual({});
    expect(await registry(kms)).toEqual([]);
    expect(latest(kms, STORES_WAITING_METRIC)).toBe(0);
    const lines = janitor.functionLogs.join('\n');
    expect(lines).toMatch(/"outcome":"connecting"/);
    expect(lines).toMatch(/"outcome":"disconnecting"/);
    expect(lines).toMatch(/"outcome":"deleted"/);
  });

  test('without a janitor: DELETE_FAILED, cleanly, naming the keys and saying how to turn deferred deletion on', async () => {
    w = await world();
    await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm', keys: [{ id: 'Orders', destroy: true }] }]));
    w.kms.clock.advance(1_000);
    const report = await w.stack.destroy();
    expect(report.stackStatus).toBe('DELETE_FAILED');
    const reason = report.events.find((e) => e.status === 'DELETE_FAILED')?.reason ?? '';
    expect(reason).toMatch(/^CustomKeyStoreHasCMKsException: .*\(PendingDeletion, deleted on .*deploy a CustomKeyStoreJanitor once in this account and Region .* set deferDeletion: true/);
    expect(states(w.kms)).toEqual({ hsm: 'CONNECTED' });
  });

  test('deferDeletion without a janitor that runs: DELETE_FAILED, saying no janitor has run', async () => {
    w = await world();
    await w.stack.deploy(synth([{ id: 'Hsm', name: 'hsm', kind: 'hsm', deferDeletion: true, keys: [{ id: 'Orders', destroy: true }] }]));
    w.kms.clock.advance(1_000);
    const report = await w.stack.destroy();
    expect(report.stackStatus).toBe('DELETE_FAILED');
    expect(report.events.find((e) => e.status === 'DELETE_FAILED')?.reason).toMatch(/deferDeletion is on, but no CustomKeyStoreJanitor has run in this account and Region in the last 180 minutes \(none has ever run\)/);
    expect(states(w.kms)).toEqual({ hsm: 'CONNECTED' });
  });

  test('a key made in a waiting store stops the janitor: the store is never deleted, and the stuck metric says so', async () => {
    w = await world();
    const { kms } = w;
    const janitor = await janitorStack(kms);
    await janitor.runSchedules();
    await w.stack.deploy(synth([{ id: 'Xks', name: 'xks', kind: 'xks', deferDeletion: true, keys: [{ id: 'Orders', destroy: true }] }]));
    kms.clock.advance(1_000);
    const [storeId] = w.stack.keyStoreIds();
    expect((await w.stack.destroy()).stackStatus).toBe('DELETE_COMPLETE');
    await new KMSClient(kms.clientConfig()).send(new CreateKeyCommand({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId: storeId, XksKeyId: 'someone-elses-key' }));
    kms.clock.advance(8 * DAY);
    await janitor.runSchedules();
    await janitor.runSchedules();
    expect(Object.values(states(kms))).toEqual(['CONNECTED']);
    expect(latest(kms, STORES_STUCK_METRIC)).toBe(1);
    expect(janitor.functionLogs.join('\n')).toMatch(/"outcome":"stuck".*a key in the store is not pending deletion/);
  });
});

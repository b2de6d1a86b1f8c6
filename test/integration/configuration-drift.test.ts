/**
 * Configuration drift end to end: the stack's declarations written by the runner's CloudFormation
 * as SSM parameters, the watcher's bundle reading them over HTTP with the real SDK and comparing
 * them with what the local KMS shows, after changes made behind the stack's back with the SDK.
 */
import { DescribeCustomKeyStoresCommand, DescribeKeyCommand, DisableKeyCommand, EnableKeyCommand, KMSClient, UpdateCustomKeyStoreCommand } from '@aws-sdk/client-kms';
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { CONFIGURATION_DRIFT_METRIC, DRIFTED_KEYS_METRIC, OPERATIONS_NAMESPACE } from '../../lib/private/contract/operations-metrics';
import { CANARY_ACCESS_KEY_ID, CANARY_SECRET_KEY } from '../fixtures/events';
import { callsOf, removeAssemblies, SECRETS, STACK_NAME, synth, World, world } from './harness';

const CLUSTER = 'cluster-2a23b4cdefg';
let w: World | undefined;
afterEach(async () => w?.kms.stop());
afterAll(removeAssemblies);

const values = (name: string, storeId: string): number[] => (w?.kms.cloudWatch.datapoints(OPERATIONS_NAMESPACE, name, { CustomKeyStoreId: storeId }) ?? []).map((d) => d.value);
const driftLines = (): Array<Record<string, unknown>> =>
  (w?.stack.functionLogs ?? []).flatMap((l) => l.split('\n')).filter((l) => l.includes('"configurationDrift":"')).map((l) => JSON.parse(l.slice(l.indexOf('{'))) as Record<string, unknown>);

test('a console rename shows as drift naming the field and clears when put back; a disabled key shows as key drift; store drift costs no KMS call beyond the one DescribeCustomKeyStores, key drift one DescribeKey per key; no secret in any log or metric', async () => {
  w = await world({ clusters: { [CLUSTER]: {} }, quotas: false });
  const assembly = synth([
    { id: 'Hsm', name: 'hsm', kind: 'hsm', monitorConnection: true, keys: [{ id: 'Orders', description: 'orders' }] },
    { id: 'Xks', name: 'xks', kind: 'xks', monitorConnection: true },
  ]);
  expect((await w.stack.deploy(assembly)).stackStatus).toBe('CREATE_COMPLETE');
  // A second later KMS's reads show the new key (its visibility lag is over).
  w.kms.clock.advance(1_000);
  const kms = new KMSClient({ ...w.kms.clientConfig(), maxAttempts: 1 });
  const idOf = async (name: string): Promise<string> => (await kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreName: name }))).CustomKeyStores?.[0]?.CustomKeyStoreId ?? '';
  const [hsm, xks] = [await idOf('hsm'), await idOf('xks')];
  const [keyId] = w.stack.keyIds();

  let since = w.kms.calls.length;
  await w.stack.runSchedules();
  expect(callsOf(w.kms, since, 'DescribeCustomKeyStores', 'GenerateRandom', 'DescribeKey', 'GetParametersByPath').sort()).toEqual(['DescribeCustomKeyStores:ok', 'DescribeKey:ok', 'GenerateRandom:ok', 'GetParametersByPath:ok']);
  expect(values(CONFIGURATION_DRIFT_METRIC, hsm)).toEqual([0]);
  expect(values(CONFIGURATION_DRIFT_METRIC, xks)).toEqual([0]);
  expect(values(DRIFTED_KEYS_METRIC, hsm)).toEqual([0]);

  // Renamed in the console: KMS takes a new name while the store is connected.
  await kms.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: xks, NewCustomKeyStoreName: 'renamed-by-hand' }));
  since = w.kms.calls.length;
  await w.stack.runSchedules();
  expect(values(CONFIGURATION_DRIFT_METRIC, xks)).toEqual([0, 1]);
  expect(values(CONFIGURATION_DRIFT_METRIC, hsm)).toEqual([0, 0]);
  expect(driftLines()).toEqual([{ configurationDrift: xks, name: 'renamed-by-hand', fields: [{ field: 'CustomKeyStoreName', declared: 'xks', actual: 'renamed-by-hand' }], keys: [] }]);
  // Still one DescribeCustomKeyStores; the only other KMS calls are the CloudHSM probe and the declared key's DescribeKey.
  expect(callsOf(w.kms, since, 'DescribeCustomKeyStores', 'GenerateRandom', 'DescribeKey', 'Encrypt').sort()).toEqual(['DescribeCustomKeyStores:ok', 'DescribeKey:ok', 'GenerateRandom:ok']);

  await kms.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: xks, NewCustomKeyStoreName: 'xks' }));
  await w.stack.runSchedules();
  expect(values(CONFIGURATION_DRIFT_METRIC, xks)).toEqual([0, 1, 0]);

  // A key the stack declares enabled, disabled by hand.
  await kms.send(new DisableKeyCommand({ KeyId: keyId }));
  await w.stack.runSchedules();
  expect(values(CONFIGURATION_DRIFT_METRIC, hsm)).toEqual([0, 0, 0, 1]);
  expect(values(DRIFTED_KEYS_METRIC, hsm)).toEqual([0, 0, 0, 1]);
  expect(driftLines()[1]).toEqual({ configurationDrift: hsm, name: 'hsm', fields: [], keys: [{ keyId, differences: [{ field: 'KeyState', declared: 'Enabled', actual: 'Disabled' }] }] });
  await kms.send(new EnableKeyCommand({ KeyId: keyId }));
  expect((await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState).toBe('Enabled');
  await w.stack.runSchedules();
  expect(values(CONFIGURATION_DRIFT_METRIC, hsm)).toEqual([0, 0, 0, 1, 0]);

  const published = JSON.stringify(w.kms.cloudWatch.data) + w.stack.functionLogs.join('\n');
  for (const secret of [...Object.values(SECRETS), CANARY_SECRET_KEY]) expect(published).not.toContain(secret);
});

test("a deployment's own change is no drift: the declaration CloudFormation writes (store id resolved) follows the store's update", async () => {
  w = await world({ quotas: false });
  expect((await w.stack.deploy(synth([{ id: 'Xks', name: 'xks', kind: 'xks', monitorConnection: true }]))).stackStatus).toBe('CREATE_COMPLETE');
  const [xks] = w.stack.keyStoreIds();
  const ssm = new SSMClient({ ...w.kms.clientConfig(), maxAttempts: 1 });
  const declared = async (): Promise<unknown[]> =>
    ((await ssm.send(new GetParametersByPathCommand({ Path: `/cdk-kms-custom-key-store/declared/${STACK_NAME}` }))).Parameters ?? []).map((p) => JSON.parse(p.Value ?? '') as unknown);
  expect(await declared()).toEqual([expect.objectContaining({ kind: 'store', storeId: xks, name: 'xks', uriPath: '/kms/xks/v1' })]);

  expect((await w.stack.deploy(synth([{ id: 'Xks', name: 'xks-renamed', kind: 'xks', path: '/v2/kms/xks/v1', monitorConnection: true }]))).stackStatus).toBe('UPDATE_COMPLETE');
  expect(await declared()).toEqual([expect.objectContaining({ storeId: xks, name: 'xks-renamed', uriPath: '/v2/kms/xks/v1' })]);
  await w.stack.runSchedules();
  expect(values(CONFIGURATION_DRIFT_METRIC, xks)).toEqual([0]);
  expect(driftLines()).toEqual([]);
});

test("a proxy credential changed by hand is drift, logged by the access key ids' last four characters; the deployment's own credential change is not; the secret access key is never compared", async () => {
  w = await world({ quotas: false });
  expect((await w.stack.deploy(synth([{ id: 'Xks', name: 'xks', kind: 'xks', monitorConnection: true }]))).stackStatus).toBe('CREATE_COMPLETE');
  const [xks] = w.stack.keyStoreIds();
  await w.stack.runSchedules();
  expect(values(CONFIGURATION_DRIFT_METRIC, xks)).toEqual([0]);

  // An operator points the store at another credential of the proxy, with the CLI.
  const kms = new KMSClient({ ...w.kms.clientConfig(), maxAttempts: 1 });
  const byHand = 'BYHANDAKIDABCDEFGHIJ7654';
  await kms.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: xks, XksProxyAuthenticationCredential: { AccessKeyId: byHand, RawSecretAccessKey: 'ByHandSecretAccessKeyForTheLocalProxy0123456' } }));
  await w.stack.runSchedules();
  expect(values(CONFIGURATION_DRIFT_METRIC, xks)).toEqual([0, 1]);
  expect(driftLines()).toEqual([{ configurationDrift: xks, name: 'xks', fields: [{ field: 'XksProxyAccessKeyId', declared: `…${CANARY_ACCESS_KEY_ID.slice(-4)}`, actual: '…7654' }], keys: [] }]);

  // The stack's own move to the other secret: the declaration follows it, as CloudFormation resolves it again.
  expect((await w.stack.deploy(synth([{ id: 'Xks', name: 'xks', kind: 'xks', credential: 'it/xks-v2', monitorConnection: true }]))).stackStatus).toBe('UPDATE_COMPLETE');
  await w.stack.runSchedules();
  expect(values(CONFIGURATION_DRIFT_METRIC, xks)).toEqual([0, 1, 0]);

  const published = JSON.stringify(w.kms.cloudWatch.data) + w.stack.functionLogs.join('\n');
  for (const secret of [CANARY_ACCESS_KEY_ID, CANARY_SECRET_KEY, byHand]) expect(published).not.toContain(secret);
});

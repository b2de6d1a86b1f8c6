/** The watcher's availability probe with aws-sdk-client-mock: which call probes which store, and what each outcome publishes. */
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeCustomKeyStoresCommand, EncryptCommand, GenerateRandomCommand, KMSClient } from '@aws-sdk/client-kms';
import { handler as watcherHandler } from '../../../lambda/connection-watcher/index';
import { watchConnections } from '../../../lambda/connection-watcher/watch';
import { PROBE_KEYS_ENV, WATCHED_STORES_ENV } from '../../../lib/private/contract/operations-metrics';
import { awsError, kmsMock } from '../aws-mocks';
import { AT, cwMock, logs, published, resetOperationMocks, retry, store } from '../operations-fixtures';

beforeEach(resetOperationMocks);

const PROBE_KEY = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const hsm = (id: string, state = 'CONNECTED'): ReturnType<typeof store> => store(id, state, { CustomKeyStoreType: 'AWS_CLOUDHSM' });
const external = (id: string, state = 'CONNECTED'): ReturnType<typeof store> => store(id, state, { CustomKeyStoreType: 'EXTERNAL_KEY_STORE' });

/** A clock that moves 6 ms at each reading: 6 ms for one probe, 12 ms each for two probes run in parallel (start, start, end, end). */
function steppingClock(): () => number {
  let t = 1000;
  return () => (t += 6);
}

const deps = (): Parameters<typeof watchConnections>[1] => ({
  kms: new KMSClient({ region: 'us-east-1' }),
  cloudWatch: new CloudWatchClient({ region: 'us-east-1' }),
  retry,
  log: (l) => logs.push(l),
  now: () => AT,
  elapsedMs: steppingClock(),
});

test('a CONNECTED CloudHSM store is probed with GenerateRandom in its cluster; an external store with its probe key; a store not CONNECTED, or external without a key, is not probed', async () => {
  kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [hsm('cks-h'), external('cks-x'), external('cks-plain'), hsm('cks-off', 'DISCONNECTED')] });
  kmsMock.on(GenerateRandomCommand).resolves({ Plaintext: new Uint8Array(16) });
  kmsMock.on(EncryptCommand).resolves({ KeyId: PROBE_KEY });
  const report = await watchConnections(['cks-h', 'cks-x', 'cks-plain', 'cks-off'], deps(), { 'cks-x': PROBE_KEY, 'cks-off': PROBE_KEY });
  expect(kmsMock.commandCalls(GenerateRandomCommand).map((c) => c.args[0].input)).toEqual([{ NumberOfBytes: 16, CustomKeyStoreId: 'cks-h' }]);
  expect(kmsMock.commandCalls(EncryptCommand).map((c) => c.args[0].input.KeyId)).toEqual([PROBE_KEY]);
  expect(published()).toEqual([
    'Connected{CustomKeyStoreId=cks-h}=1',
    'Available{CustomKeyStoreId=cks-h}=1',
    'ProbeLatency{CustomKeyStoreId=cks-h}=12',
    'Connected{CustomKeyStoreId=cks-x}=1',
    'Available{CustomKeyStoreId=cks-x}=1',
    'ProbeLatency{CustomKeyStoreId=cks-x}=12',
    'Connected{CustomKeyStoreId=cks-plain}=1',
    'Connected{CustomKeyStoreId=cks-off}=0',
    'ConnectionError{CustomKeyStoreId=cks-off,ConnectionErrorCode=DISCONNECTED}=1',
  ]);
  const latency = cwMock.commandCalls(PutMetricDataCommand)[0].args[0].input.MetricData?.find((d) => d.MetricName === 'ProbeLatency');
  expect(latency?.Unit).toBe('Milliseconds');
  // One DescribeCustomKeyStores and one probe per probed store: no more.
  expect(report.kmsCalls).toBe(3);
});

test.each([
  ['KMSInternalException', 'no active HSM'],
  ['DependencyTimeoutException', 'timed out reaching'],
  ['AccessDeniedException', 'key policy'],
])('a failed probe (%s) publishes Available 0 and ProbeError by exception name while Connected stays 1, and logs what it means', async (name, meaning) => {
  kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [hsm('cks-h')] });
  kmsMock.on(GenerateRandomCommand).rejects(awsError(name, 'it failed'));
  await watchConnections(['cks-h'], deps());
  expect(kmsMock.commandCalls(GenerateRandomCommand)).toHaveLength(1); // no retry: a retry would hide a flaky store
  expect(published()).toEqual([
    'Connected{CustomKeyStoreId=cks-h}=1',
    'Available{CustomKeyStoreId=cks-h}=0',
    'ProbeLatency{CustomKeyStoreId=cks-h}=6',
    `ProbeError{CustomKeyStoreId=cks-h,ExceptionName=${name}}=1`,
  ]);
  const logged = JSON.parse(logs[0]) as { stores: Array<{ probe: { exceptionName: string; meaning: string } }> };
  expect(logged.stores[0].probe).toMatchObject({ available: false, exceptionName: name, meaning: expect.stringContaining(meaning) as unknown });
});

test.each([['ThrottlingException'], ['CustomKeyStoreInvalidStateException']])('an inconclusive probe (%s) publishes no Available datum, only ProbeError', async (name) => {
  kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [hsm('cks-h')] });
  kmsMock.on(GenerateRandomCommand).rejects(awsError(name, 'not now'));
  await watchConnections(['cks-h'], deps());
  expect(published()).toEqual(['Connected{CustomKeyStoreId=cks-h}=1', 'ProbeLatency{CustomKeyStoreId=cks-h}=6', `ProbeError{CustomKeyStoreId=cks-h,ExceptionName=${name}}=1`]);
});

test('the Lambda entry point reads the probe keys from its environment; a function deployed before probes existed has none', async () => {
  kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [external('cks-x')] });
  kmsMock.on(EncryptCommand).resolves({ KeyId: PROBE_KEY });
  const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    process.env[WATCHED_STORES_ENV] = JSON.stringify(['cks-x']);
    expect((await watcherHandler()).stores[0].probe).toBeUndefined();
    process.env[PROBE_KEYS_ENV] = JSON.stringify({ 'cks-x': PROBE_KEY });
    expect((await watcherHandler()).stores[0].probe).toMatchObject({ available: true });
  } finally {
    log.mockRestore();
    Reflect.deleteProperty(process.env, WATCHED_STORES_ENV);
    Reflect.deleteProperty(process.env, PROBE_KEYS_ENV);
  }
});

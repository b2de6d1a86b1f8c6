/** The connection watcher with aws-sdk-client-mock: what it reads and what it publishes. */
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeCustomKeyStoresCommand, KMSClient } from '@aws-sdk/client-kms';
import { handler as watcherHandler } from '../../../lambda/connection-watcher/index';
import { watchConnections } from '../../../lambda/connection-watcher/watch';
import { WATCHED_STORES_ENV } from '../../../lib/private/contract/operations-metrics';
import { awsError, kmsMock } from '../aws-mocks';
import { AT, cwMock, logs, published, resetOperationMocks, retry, store } from '../operations-fixtures';

beforeEach(resetOperationMocks);

describe('watchConnections', () => {
  const deps = (): Parameters<typeof watchConnections>[1] => ({ kms: new KMSClient({ region: 'us-east-1' }), cloudWatch: new CloudWatchClient({ region: 'us-east-1' }), retry, log: (l) => logs.push(l), now: () => AT });

  test('reads every page of the account once and publishes Connected, and ConnectionError with the code, for the watched stores only', async () => {
    kmsMock
      .on(DescribeCustomKeyStoresCommand, { Limit: 1000, Marker: undefined })
      .resolves({ CustomKeyStores: [store('cks-a', 'CONNECTED'), store('cks-other', 'FAILED')], Truncated: true, NextMarker: 'm2' })
      .on(DescribeCustomKeyStoresCommand, { Limit: 1000, Marker: 'm2' })
      .resolves({ CustomKeyStores: [store('cks-b', 'FAILED', { ConnectionErrorCode: 'USER_LOCKED_OUT' }), store('cks-c', 'DISCONNECTED')], Truncated: false });
    const report = await watchConnections(['cks-a', 'cks-b', 'cks-c', 'cks-gone', 'cks-a'], deps());
    expect(kmsMock.commandCalls(DescribeCustomKeyStoresCommand).map((c) => c.args[0].input)).toEqual([{ Limit: 1000 }, { Limit: 1000, Marker: 'm2' }]);
    expect(published()).toEqual([
      'Connected{CustomKeyStoreId=cks-a}=1',
      'Connected{CustomKeyStoreId=cks-b}=0',
      'ConnectionError{CustomKeyStoreId=cks-b,ConnectionErrorCode=USER_LOCKED_OUT}=1',
      'Connected{CustomKeyStoreId=cks-c}=0',
      'ConnectionError{CustomKeyStoreId=cks-c,ConnectionErrorCode=DISCONNECTED}=1',
      'Connected{CustomKeyStoreId=cks-gone}=0',
      'ConnectionError{CustomKeyStoreId=cks-gone,ConnectionErrorCode=NOT_FOUND}=1',
    ]);
    expect(cwMock.commandCalls(PutMetricDataCommand)[0].args[0].input.MetricData?.[0]).toMatchObject({ Unit: 'Count', Timestamp: AT });
    expect(report.calls).toBe(3);
    expect(JSON.parse(logs[0])).toMatchObject({ watched: 4, stores: expect.arrayContaining([{ id: 'cks-b', state: 'FAILED', connectionErrorCode: 'USER_LOCKED_OUT' }]) as unknown });
  });

  test('throttling is retried with backoff, not counted as a disconnected store', async () => {
    kmsMock.on(DescribeCustomKeyStoresCommand).rejectsOnce(awsError('ThrottlingException', 'Rate exceeded')).resolves({ CustomKeyStores: [store('cks-a', 'CONNECTED')] });
    await watchConnections(['cks-a'], deps());
    expect(kmsMock.commandCalls(DescribeCustomKeyStoresCommand)).toHaveLength(2);
    expect(published()).toEqual(['Connected{CustomKeyStoreId=cks-a}=1']);
  });

  test('a KMS failure that is not transient fails the run and publishes nothing (the alarm treats missing data as breaching)', async () => {
    kmsMock.on(DescribeCustomKeyStoresCommand).rejects(awsError('AccessDeniedException', 'not allowed'));
    await expect(watchConnections(['cks-a'], deps())).rejects.toThrow('not allowed');
    expect(published()).toEqual([]);
  });

  test('more than 1,000 data go out in several PutMetricData requests', async () => {
    const ids = Array.from({ length: 700 }, (_, i) => `cks-${i}`);
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [] });
    await watchConnections(ids, deps());
    expect(cwMock.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input.MetricData?.length)).toEqual([1000, 400]);
  });

  test('the Lambda entry point reads the watched ids from its environment', async () => {
    process.env[WATCHED_STORES_ENV] = JSON.stringify(['cks-a']);
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [store('cks-a', 'CONNECTED')] });
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      expect((await watcherHandler()).stores).toEqual([{ id: 'cks-a', state: 'CONNECTED' }]);
      process.env[WATCHED_STORES_ENV] = '{"not": "a list"}';
      await expect(watcherHandler()).rejects.toThrow(/must be a JSON array/);
    } finally {
      log.mockRestore();
      Reflect.deleteProperty(process.env, WATCHED_STORES_ENV);
    }
  });
});

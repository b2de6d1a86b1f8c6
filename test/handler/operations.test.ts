/**
 * The connection watcher and the proxy credential sync with aws-sdk-client-mock: what they read,
 * what they publish, what they change, and what they never show.
 */
import { CloudWatchClient, PutMetricDataCommand, PutMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { CustomKeyStoresListEntry, DescribeCustomKeyStoresCommand, KMSClient, UpdateCustomKeyStoreCommand } from '@aws-sdk/client-kms';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as watcherHandler } from '../../lambda/operations/connection-watcher-entry';
import { watchConnections } from '../../lambda/operations/connection-watcher';
import { handler as syncHandler } from '../../lambda/operations/proxy-credential-sync-entry';
import { SyncTrigger, syncProxyCredentials } from '../../lambda/operations/proxy-credential-sync';
import { SecretReader, SecretRedactor } from '../../lambda/secrets';
import { SYNC_TARGETS_ENV, WATCHED_STORES_ENV } from '../../lib/private/contract/operations-metrics';
import { CANARY_ACCESS_KEY_ID, CANARY_SECRET_KEY } from '../fixtures/events';
import { awsError } from './harness';

const kmsMock = mockClient(KMSClient);
const cwMock = mockClient(CloudWatchClient);
const smMock = mockClient(SecretsManagerClient);

const noSleep = async (): Promise<void> => Promise.resolve();
const retry = { sleep: noSleep, random: () => 0.5 };
const AT = new Date('2026-11-23T06:00:00Z');
const logs: string[] = [];

beforeEach(() => {
  kmsMock.reset();
  cwMock.reset();
  smMock.reset();
  cwMock.on(PutMetricDataCommand).resolves({});
  logs.length = 0;
});

const store = (id: string, state: string, extra: Partial<CustomKeyStoresListEntry> = {}): CustomKeyStoresListEntry => ({ CustomKeyStoreId: id, ConnectionState: state as CustomKeyStoresListEntry['ConnectionState'], ...extra });

/** Every datum published, as "Metric{dimensions}=value". */
function published(): string[] {
  return cwMock.commandCalls(PutMetricDataCommand).flatMap((c) => {
    const input: PutMetricDataCommandInput = c.args[0].input;
    expect(input.Namespace).toBe('KmsCustomKeyStores');
    return (input.MetricData ?? []).map((d) => `${d.MetricName}{${(d.Dimensions ?? []).map((x) => `${x.Name}=${x.Value}`).join(',')}}=${d.Value}`);
  });
}

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

describe('syncProxyCredentials', () => {
  const SECRET = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:xks/cred';
  const FULL_ARN = `${SECRET}-AbC123`;
  const NEW_KEY_ID = CANARY_ACCESS_KEY_ID.replace('CANARY', 'ROTATE');
  const NEW_SECRET = CANARY_SECRET_KEY.replace('Canary', 'Rotate');
  const targets = [{ storeId: 'cks-x', secretArn: SECRET }];
  const secretHolds = (accessKeyId: string, secretAccessKey: string): void => {
    smMock.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ accessKeyId, secretAccessKey }) });
  };
  const kmsHolds = (accessKeyId: string, state = 'CONNECTED'): void => {
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [store('cks-x', state, { XksProxyConfiguration: { AccessKeyId: accessKeyId } })] });
  };
  const run = async (trigger?: SyncTrigger): ReturnType<typeof syncProxyCredentials> => {
    const redactor = new SecretRedactor();
    const sm = new SecretsManagerClient({ region: 'us-east-1' });
    return syncProxyCredentials(targets, trigger, {
      kms: new KMSClient({ region: 'us-east-1' }),
      cloudWatch: new CloudWatchClient({ region: 'us-east-1' }),
      secrets: (r) => new SecretReader(sm, redactor, r),
      redactor,
      retry,
      log: (l) => logs.push(l),
      now: () => AT,
    });
  };
  const labelUpdated = (arn: string): SyncTrigger => ({ 'detail-type': 'Secret Label Updated', resources: [arn] });
  const everything = (): string => [logs.join('\n'), JSON.stringify(cwMock.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input))].join('\n');

  test('nothing to do when KMS holds the secret\'s access key id: no update, and 0 published', async () => {
    secretHolds(CANARY_ACCESS_KEY_ID, CANARY_SECRET_KEY);
    kmsHolds(CANARY_ACCESS_KEY_ID);
    expect(await run()).toEqual([{ storeId: 'cks-x', outcome: 'in-sync' }]);
    expect(kmsMock.commandCalls(UpdateCustomKeyStoreCommand)).toEqual([]);
    expect(published()).toEqual(['ProxyCredentialSyncFailed{CustomKeyStoreId=cks-x}=0']);
  });

  test('a new access key id in the secret is sent to KMS, with nothing else in the update', async () => {
    secretHolds(NEW_KEY_ID, NEW_SECRET);
    kmsHolds(CANARY_ACCESS_KEY_ID);
    kmsMock.on(UpdateCustomKeyStoreCommand).resolves({});
    expect(await run()).toEqual([{ storeId: 'cks-x', outcome: 'updated' }]);
    expect(kmsMock.commandCalls(UpdateCustomKeyStoreCommand)[0].args[0].input).toEqual({ CustomKeyStoreId: 'cks-x', XksProxyAuthenticationCredential: { AccessKeyId: NEW_KEY_ID, RawSecretAccessKey: NEW_SECRET } });
    expect(everything()).not.toContain(NEW_SECRET);
    expect(everything()).not.toContain(NEW_KEY_ID);
  });

  test('the secret\'s own event forces the update even when only the secret access key changed; an event for another secret does not', async () => {
    secretHolds(CANARY_ACCESS_KEY_ID, NEW_SECRET);
    kmsHolds(CANARY_ACCESS_KEY_ID);
    kmsMock.on(UpdateCustomKeyStoreCommand).resolves({});
    expect(await run(labelUpdated(`${SECRET}-other-AbC123`))).toEqual([{ storeId: 'cks-x', outcome: 'in-sync' }]);
    expect(await run(labelUpdated(`${SECRET}-AbC12`))).toEqual([{ storeId: 'cks-x', outcome: 'in-sync' }]);
    expect(await run(labelUpdated(FULL_ARN))).toEqual([{ storeId: 'cks-x', outcome: 'updated' }]);
    expect(kmsMock.commandCalls(UpdateCustomKeyStoreCommand)).toHaveLength(1);
  });

  test('a store that is connecting, disconnecting or FAILED is left for the next run, and nothing is published for it', async () => {
    secretHolds(NEW_KEY_ID, NEW_SECRET);
    for (const state of ['CONNECTING', 'DISCONNECTING', 'FAILED']) {
      kmsHolds(CANARY_ACCESS_KEY_ID, state);
      const [result] = await run();
      expect(result).toEqual({ storeId: 'cks-x', outcome: 'deferred', reason: expect.stringContaining(`the store is ${state}`) as unknown });
    }
    expect(kmsMock.commandCalls(UpdateCustomKeyStoreCommand)).toEqual([]);
    expect(published()).toEqual([]);
  });

  test('a disconnected store is updated too (KMS takes the credential in either state)', async () => {
    secretHolds(NEW_KEY_ID, NEW_SECRET);
    kmsHolds(CANARY_ACCESS_KEY_ID, 'DISCONNECTED');
    kmsMock.on(UpdateCustomKeyStoreCommand).resolves({});
    expect(await run()).toEqual([{ storeId: 'cks-x', outcome: 'updated' }]);
  });

  test('KMS rejecting the credential publishes 1, and the reason names the exception without any secret value, even when KMS echoes it', async () => {
    secretHolds(NEW_KEY_ID, NEW_SECRET);
    kmsHolds(CANARY_ACCESS_KEY_ID);
    kmsMock.on(UpdateCustomKeyStoreCommand).rejects(awsError('XksProxyIncorrectAuthenticationCredentialException', `The proxy rejected ${NEW_KEY_ID}`));
    const [result] = await run();
    expect(result).toEqual({
      storeId: 'cks-x',
      outcome: 'rejected',
      reason: `XksProxyIncorrectAuthenticationCredentialException: The proxy rejected ***** KMS kept the credential it had, and the store's connection state did not change. Make the XKS proxy accept the credential in secret ${SECRET} (or put back the one it accepts); the next run, within 5 minutes, tries again.`,
    });
    expect(published()).toEqual(['ProxyCredentialSyncFailed{CustomKeyStoreId=cks-x}=1']);
    expect(everything()).not.toContain(NEW_KEY_ID);
  });

  test('an unusable secret counts as a failure, with the secret\'s problem and no KMS call', async () => {
    smMock.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ accessKeyId: 'lower-case-is-not-allowed', secretAccessKey: NEW_SECRET }) });
    kmsHolds(CANARY_ACCESS_KEY_ID);
    const [result] = await run();
    expect(result).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(/'accessKeyId' in secret .* is not valid/) as unknown });
    expect(kmsMock.commandCalls(UpdateCustomKeyStoreCommand)).toEqual([]);
    expect(everything()).not.toContain(NEW_SECRET);
  });

  test('a store KMS does not show is reported as not-found, with nothing published for it', async () => {
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [] });
    expect(await run()).toEqual([{ storeId: 'cks-x', outcome: 'not-found' }]);
    expect(smMock.commandCalls(GetSecretValueCommand)).toEqual([]);
    expect(published()).toEqual([]);
  });

  test('the Lambda entry point reads its targets from its environment and passes the event on', async () => {
    process.env[SYNC_TARGETS_ENV] = JSON.stringify(targets);
    secretHolds(CANARY_ACCESS_KEY_ID, NEW_SECRET);
    kmsHolds(CANARY_ACCESS_KEY_ID);
    kmsMock.on(UpdateCustomKeyStoreCommand).resolves({});
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      expect(await syncHandler(labelUpdated(FULL_ARN))).toEqual([{ storeId: 'cks-x', outcome: 'updated' }]);
      expect(await syncHandler()).toEqual([{ storeId: 'cks-x', outcome: 'in-sync' }]);
      expect(log.mock.calls.join('\n')).not.toContain(NEW_SECRET);
    } finally {
      log.mockRestore();
      Reflect.deleteProperty(process.env, SYNC_TARGETS_ENV);
    }
  });
});

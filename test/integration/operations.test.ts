/**
 * The connection watcher and the proxy credential sync end to end: their bundled functions, as
 * synthesized into cdk.out, run by the local runner when their EventBridge rules would fire (the
 * schedule; Secrets Manager's "Secret Label Updated" event, matched against the rule's pattern),
 * with the real AWS SDK over HTTP against the local KMS, Secrets Manager and CloudWatch endpoint.
 */
import { ConnectCustomKeyStoreCommand, DisconnectCustomKeyStoreCommand } from '@aws-sdk/client-kms';
import { CONNECTED_METRIC, CONNECTION_ERROR_METRIC, CREDENTIAL_SYNC_FAILED_METRIC, OPERATIONS_NAMESPACE } from '../../lib/private/contract/operations-metrics';
import { SecretLabelUpdatedEvent } from '../../local';
import { CANARY_ACCESS_KEY_ID, CANARY_SECRET_KEY } from '../fixtures/events';
import { callsOf, kmsClient, removeAssemblies, SECRETS, synth, World, world } from './harness';

let w: World | undefined;
afterEach(async () => w?.kms.stop());
afterAll(removeAssemblies);

const metric = (kms: World['kms'], name: string, storeId: string, extra: Record<string, string> = {}): number[] =>
  kms.cloudWatch.datapoints(OPERATIONS_NAMESPACE, name, { CustomKeyStoreId: storeId, ...extra }).map((d) => d.value);

describe('connection watcher', () => {
  test('one scheduled run reads ten stores with one DescribeCustomKeyStores call and publishes each one as connected', async () => {
    w = await world({ quotas: false });
    const stores = Array.from({ length: 10 }, (_, i) => ({ id: `S${i}`, name: `s${i}`, kind: i % 2 ? ('xks' as const) : ('hsm' as const), clusterId: `cluster-${'abcdefghijk'.slice(0, 10)}${'mnpqrstuvw'[i]}`, monitorConnection: true }));
    expect((await w.stack.deploy(synth(stores))).stackStatus).toBe('CREATE_COMPLETE');
    const since = w.kms.calls.length;
    await w.stack.runSchedules();
    expect(callsOf(w.kms, since, 'DescribeCustomKeyStores', 'PutMetricData')).toEqual(['DescribeCustomKeyStores:ok', 'PutMetricData:ok']);
    for (const id of w.stack.keyStoreIds()) {
      expect(metric(w.kms, CONNECTED_METRIC, id)).toEqual([1]);
    }
    expect(w.kms.cloudWatch.datapoints(OPERATIONS_NAMESPACE, CONNECTION_ERROR_METRIC)).toEqual([]);
  });

  test('a store made to fail shows in the next run (one period): Connected 0 and its ConnectionErrorCode; a healthy store beside it stays 1', async () => {
    w = await world({ clusters: { 'cluster-2a23b4cdefg': {} }, quotas: false });
    const report = await w.stack.deploy(
      synth([
        { id: 'Hsm', name: 'hsm', kind: 'hsm', monitorConnection: true },
        { id: 'Xks', name: 'xks', kind: 'xks', monitorConnection: true },
      ]),
    );
    expect(report.stackStatus).toBe('CREATE_COMPLETE');
    const idOf = (construct: string): string => w?.stack.physicalId(w.stack.logicalIds().find((id) => id.startsWith(construct)) ?? '') ?? '';
    const [hsmId, xksId] = [idOf('Hsm'), idOf('Xks')];
    await w.stack.runSchedules();
    expect(metric(w.kms, CONNECTED_METRIC, hsmId)).toEqual([1]);

    // The cluster's security group now blocks KMS; an operator's reconnect fails.
    const client = kmsClient(w.kms);
    w.kms.clock.freeze();
    await client.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: hsmId }));
    w.kms.clock.advance(1_000);
    (w.kms.model.clusters.get('cluster-2a23b4cdefg') as { networkBlocked?: boolean }).networkBlocked = true;
    await client.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: hsmId }));
    w.kms.clock.advance(1_000);

    await w.stack.runSchedules();
    expect(metric(w.kms, CONNECTED_METRIC, hsmId)).toEqual([1, 0]);
    expect(metric(w.kms, CONNECTION_ERROR_METRIC, hsmId, { ConnectionErrorCode: 'NETWORK_ERRORS' })).toEqual([1]);
    expect(metric(w.kms, CONNECTED_METRIC, xksId)).toEqual([1, 1]);
    expect(w.stack.functionLogs.join('\n')).toMatch(/"state":"FAILED","connectionErrorCode":"NETWORK_ERRORS"/);
  });

  test('a store deleted outside the stack counts as not connected (NOT_FOUND)', async () => {
    w = await world({ quotas: false });
    await w.stack.deploy(synth([{ id: 'Xks', name: 'xks', kind: 'xks', monitorConnection: true }]));
    const [id] = w.stack.keyStoreIds();
    const client = kmsClient(w.kms);
    w.kms.clock.freeze();
    await client.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    w.kms.clock.advance(1_000);
    w.kms.model.DeleteCustomKeyStore({ CustomKeyStoreId: id });
    await w.stack.runSchedules();
    expect(metric(w.kms, CONNECTED_METRIC, id)).toEqual([0]);
    expect(metric(w.kms, CONNECTION_ERROR_METRIC, id, { ConnectionErrorCode: 'NOT_FOUND' })).toEqual([1]);
  });
});

describe('proxy credential sync', () => {
  const credential = (accessKeyId: string, secretAccessKey: string): string => JSON.stringify({ accessKeyId, secretAccessKey });
  const ROTATED = { accessKeyId: CANARY_ACCESS_KEY_ID.replace('CANARY', 'ROTATE'), secretAccessKey: CANARY_SECRET_KEY.replace('Canary', 'Rotate') };
  const WRONG = { accessKeyId: CANARY_ACCESS_KEY_ID.replace('CANARY', 'WRONGX'), secretAccessKey: CANARY_SECRET_KEY.replace('Canary', 'Wrongx') };

  /** An external key store whose credential follows it/xks, behind a proxy that accepts `accepted`. */
  async function syncedStore(accepted: { accessKeyId: string; secretAccessKey: string }): Promise<World & { id: string; events: SecretLabelUpdatedEvent[]; accessKeyId: () => string | undefined }> {
    w = await world({ proxies: { 'https://xks.example.com': { accessKeyId: CANARY_ACCESS_KEY_ID, secretAccessKey: CANARY_SECRET_KEY } }, quotas: false });
    const events: SecretLabelUpdatedEvent[] = [];
    w.kms.secrets.onLabelUpdated = (e) => events.push(e);
    const report = await w.stack.deploy(synth([{ id: 'Xks', name: 'xks', kind: 'xks', endpoint: 'https://xks.example.com', syncProxyCredential: true }]));
    expect(report.stackStatus).toBe('CREATE_COMPLETE');
    const [id] = w.stack.keyStoreIds();
    // The first scheduled run gives KMS the secret's current version once and remembers it (in the
    // state parameter, over HTTP); the next finds it in sync. What follows is measured from there.
    expect(await w.stack.runSchedules()).toEqual([[{ storeId: id, outcome: 'updated' }]]);
    expect(await w.stack.runSchedules()).toEqual([[{ storeId: id, outcome: 'in-sync' }]]);
    w.kms.cloudWatch.data.splice(0);
    // The proxy's operator rotates the credential on the proxy first.
    w.kms.model.proxies.set('https://xks.example.com', accepted);
    // Read from the model: what KMS holds, without a call that would show in the counts.
    const model = w.kms.model;
    const accessKeyId = (): string | undefined => {
      const out = model.DescribeCustomKeyStores({ CustomKeyStoreId: id }) as { CustomKeyStores: Array<{ XksProxyConfiguration?: { AccessKeyId?: string } }> };
      return out.CustomKeyStores[0].XksProxyConfiguration?.AccessKeyId;
    };
    return { ...w, id, events, accessKeyId };
  }

  test('a new current version reaches KMS when Secrets Manager reports it, while the store stays connected', async () => {
    const { kms, stack, id, events, accessKeyId } = await syncedStore(ROTATED);
    expect(accessKeyId()).toBe(CANARY_ACCESS_KEY_ID);
    kms.secrets.PutSecretValue({ SecretId: 'it/xks', SecretString: credential(ROTATED.accessKeyId, ROTATED.secretAccessKey) });
    expect(events).toHaveLength(1);
    const since = kms.calls.length;
    // The rule's pattern is matched against the event, as EventBridge would.
    const results = await stack.deliverEvent(events[0]);
    expect(results).toEqual([[{ storeId: id, outcome: 'updated' }]]);
    expect(callsOf(kms, since, 'UpdateCustomKeyStore', 'DisconnectCustomKeyStore')).toEqual(['UpdateCustomKeyStore:ok']);
    expect(accessKeyId()).toBe(ROTATED.accessKeyId);
    expect(kms.model.storeSnapshot()[0].state).toBe('CONNECTED');
    expect(metric(kms, CREDENTIAL_SYNC_FAILED_METRIC, id)).toEqual([0]);
    const everything = [stack.functionLogs.join('\n'), JSON.stringify(kms.cloudWatch.data), stack.history.join('\n')].join('\n');
    expect(everything).not.toContain(ROTATED.secretAccessKey);
    expect(everything).not.toContain(ROTATED.accessKeyId);
  });

  test('an event for another secret does not wake the sync', async () => {
    const { stack } = await syncedStore(ROTATED);
    const results = await stack.deliverEvent({
      'detail-type': 'Secret Label Updated',
      source: 'aws.secretsmanager',
      resources: ['arn:aws:secretsmanager:us-east-1:111122223333:secret:it/xks-other-AbCdEf'],
      detail: { name: 'it/xks-other', labelUpdated: 'AWSCURRENT', versionId: 'v' },
    });
    expect(results).toEqual([]);
  });

  test('without the event (lost, or before it came), the scheduled run finds the new version and updates the store', async () => {
    const { kms, stack, id, accessKeyId } = await syncedStore(ROTATED);
    kms.secrets.PutSecretValue({ SecretId: 'it/xks', SecretString: credential(ROTATED.accessKeyId, ROTATED.secretAccessKey) });
    const results = await stack.runSchedules();
    expect(results).toContainEqual([{ storeId: id, outcome: 'updated' }]);
    expect(accessKeyId()).toBe(ROTATED.accessKeyId);
    // The next run finds nothing to do and makes no update.
    const since = kms.calls.length;
    expect(await stack.runSchedules()).toContainEqual([{ storeId: id, outcome: 'in-sync' }]);
    expect(callsOf(kms, since, 'UpdateCustomKeyStore')).toEqual([]);
  });

  test('a rotation that comes while the store is disconnecting is deferred, and the next scheduled run catches it up', async () => {
    const { kms, stack, id, events, accessKeyId } = await syncedStore(ROTATED);
    kms.clock.freeze();
    await kmsClient(kms).send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    kms.secrets.PutSecretValue({ SecretId: 'it/xks', SecretString: credential(ROTATED.accessKeyId, ROTATED.secretAccessKey) });
    expect(await stack.deliverEvent(events[0])).toEqual([[{ storeId: id, outcome: 'deferred', reason: expect.stringContaining('the store is DISCONNECTING') as unknown }]]);
    expect(accessKeyId()).toBe(CANARY_ACCESS_KEY_ID);
    kms.clock.advance(1_000);
    expect(await stack.runSchedules()).toContainEqual([{ storeId: id, outcome: 'updated' }]);
    expect(accessKeyId()).toBe(ROTATED.accessKeyId);
  });

  test('a rotation that meets a proxy KMS cannot reach for a moment is deferred without raising the failure metric, and the next run catches it up', async () => {
    const { kms, stack, id, events, accessKeyId } = await syncedStore(ROTATED);
    kms.model.blipProxy('https://xks.example.com', 'unreachable', 1);
    kms.secrets.PutSecretValue({ SecretId: 'it/xks', SecretString: credential(ROTATED.accessKeyId, ROTATED.secretAccessKey) });
    expect(await stack.deliverEvent(events[0])).toEqual([[{ storeId: id, outcome: 'deferred', reason: expect.stringMatching(/^XksProxyUriUnreachableException: .*says nothing against the credential/) as unknown }]]);
    expect(metric(kms, CREDENTIAL_SYNC_FAILED_METRIC, id)).toEqual([]);
    expect(accessKeyId()).toBe(CANARY_ACCESS_KEY_ID);
    expect(await stack.runSchedules()).toContainEqual([{ storeId: id, outcome: 'updated' }]);
    expect(accessKeyId()).toBe(ROTATED.accessKeyId);
    expect(metric(kms, CREDENTIAL_SYNC_FAILED_METRIC, id)).toEqual([0]);
  });

  test('a new secret access key under the same access key id reaches KMS through the event', async () => {
    const sameId = { accessKeyId: CANARY_ACCESS_KEY_ID, secretAccessKey: ROTATED.secretAccessKey };
    const { kms, stack, id, events } = await syncedStore(sameId);
    kms.secrets.PutSecretValue({ SecretId: 'it/xks', SecretString: credential(sameId.accessKeyId, sameId.secretAccessKey) });
    expect(await stack.deliverEvent(events[0])).toEqual([[{ storeId: id, outcome: 'updated' }]]);
    // KMS now holds the new secret access key: a connect uses it and the proxy accepts it.
    const client = kmsClient(kms);
    kms.clock.freeze();
    await client.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    kms.clock.advance(10_000);
    await client.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    kms.clock.advance(10_000);
    expect(kms.model.storeSnapshot()[0]).toMatchObject({ state: 'CONNECTED' });
  });

  test('a credential the proxy rejects raises the alarm metric, leaves the store as it was, and no secret value appears anywhere', async () => {
    const { kms, stack, id, events, accessKeyId } = await syncedStore({ accessKeyId: CANARY_ACCESS_KEY_ID, secretAccessKey: CANARY_SECRET_KEY });
    kms.secrets.PutSecretValue({ SecretId: 'it/xks', SecretString: credential(WRONG.accessKeyId, WRONG.secretAccessKey) });
    const [result] = (await stack.deliverEvent(events[0])) as Array<Array<{ outcome: string; reason: string }>>;
    expect(result[0]).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(/^XksProxyIncorrectAuthenticationCredentialException: /) as unknown });
    expect(metric(kms, CREDENTIAL_SYNC_FAILED_METRIC, id)).toEqual([1]);
    expect(accessKeyId()).toBe(CANARY_ACCESS_KEY_ID);
    expect(kms.model.storeSnapshot()[0].state).toBe('CONNECTED');
    // Still rejected on the next scheduled run: the alarm stays up until the proxy or the secret is fixed.
    await stack.runSchedules();
    expect(metric(kms, CREDENTIAL_SYNC_FAILED_METRIC, id)).toEqual([1, 1]);

    const everything = [stack.functionLogs.join('\n'), JSON.stringify(kms.cloudWatch.data), stack.history.join('\n')].join('\n');
    for (const value of [WRONG.accessKeyId, WRONG.secretAccessKey, CANARY_SECRET_KEY, (JSON.parse(SECRETS['it/xks']) as { secretAccessKey: string }).secretAccessKey]) {
      expect(everything).not.toContain(value);
    }
    expect(stack.functionLogs.join('\n')).toMatch(/"outcome":"rejected"/);
  });

  test('a secret that does not hold a usable credential is reported, without any KMS update', async () => {
    const { kms, stack, id, events } = await syncedStore(ROTATED);
    kms.secrets.PutSecretValue({ SecretId: 'it/xks', SecretString: 'not json at all' });
    const since = kms.calls.length;
    const [result] = (await stack.deliverEvent(events[0])) as Array<Array<{ outcome: string; reason: string }>>;
    expect(result[0]).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(/does not hold JSON/) as unknown });
    expect(callsOf(kms, since, 'UpdateCustomKeyStore')).toEqual([]);
    expect(metric(kms, CREDENTIAL_SYNC_FAILED_METRIC, id)).toEqual([1]);
    expect(stack.functionLogs.join('\n')).not.toContain('not json at all');
  });
});

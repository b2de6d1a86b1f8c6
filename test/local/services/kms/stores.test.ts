/**
 * The local endpoint's CreateCustomKeyStore, DescribeCustomKeyStores and UpdateCustomKeyStore answer
 * as KMS documents them, through the real AWS SDK over HTTP: unique names, clusters and proxy URIs,
 * the store limit, what may change in which state, and reads that lag behind.
 */
import {
  ConnectCustomKeyStoreCommand,
  CustomKeyStoreInvalidStateException,
  CustomKeyStoreNameInUseException,
  CustomKeyStoreNotFoundException,
  DescribeCustomKeyStoresCommand,
  DisconnectCustomKeyStoreCommand,
  KMSClient,
  UpdateCustomKeyStoreCommand,
} from '@aws-sdk/client-kms';
import { LocalKms, startLocalKms } from '../../../../local';
import { hsm, xks } from './store-requests';

let kms: LocalKms;
let client: KMSClient;

beforeEach(async () => {
  kms = await startLocalKms({ connectMs: 30, disconnectMs: 30, quotas: false });
  client = new KMSClient({ ...kms.clientConfig(), maxAttempts: 1 });
});
afterEach(async () => kms.stop());

const state = async (id: string): Promise<string | undefined> => (await client.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: id }))).CustomKeyStores?.[0]?.ConnectionState;

test('names are unique, one cluster backs one store, ten stores at most, and fields are checked', async () => {
  await client.send(hsm('a'));
  await expect(client.send(hsm('a', 'cluster-3b34c5defgh'))).rejects.toBeInstanceOf(CustomKeyStoreNameInUseException);
  await expect(client.send(hsm('b'))).rejects.toMatchObject({ name: 'CloudHsmClusterInUseException' });
  for (let i = 1; i < 10; i++) await client.send(xks(`x${i}`, `https://x${i}.example.com`));
  await expect(client.send(xks('x10', 'https://x10.example.com'))).rejects.toMatchObject({ name: 'LimitExceededException' });
  await expect(client.send(xks('bad', 'https://bad.example.com:443'))).rejects.toMatchObject({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
});

test('DescribeCustomKeyStores by name, and paged', async () => {
  for (let i = 0; i < 3; i++) await client.send(xks(`s${i}`, `https://s${i}.example.com`));
  const byName = await client.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreName: 's1' }));
  expect(byName.CustomKeyStores?.map((s) => s.CustomKeyStoreName)).toEqual(['s1']);
  const first = await client.send(new DescribeCustomKeyStoresCommand({ Limit: 2 }));
  expect(first).toMatchObject({ Truncated: true });
  const rest = await client.send(new DescribeCustomKeyStoresCommand({ Limit: 2, Marker: first.NextMarker }));
  expect([...(first.CustomKeyStores ?? []), ...(rest.CustomKeyStores ?? [])].map((s) => s.CustomKeyStoreName)).toEqual(['s0', 's1', 's2']);
  expect(rest.Truncated).toBe(false);
});

describe('where real KMS is less convenient than a naive model', () => {
  const connect = async (id: string): Promise<{ ConnectionState?: string; ConnectionErrorCode?: string }> => {
    await client.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    kms.clock.advance(31);
    return (await client.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: id }))).CustomKeyStores?.[0] ?? {};
  };
  const disconnect = async (id: string): Promise<void> => {
    await client.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    kms.clock.advance(31);
  };
  beforeEach(() => { kms.clock.freeze(); });

  test('name, XKS path and credential change only in CONNECTED or DISCONNECTED; connectivity needs a new endpoint', async () => {
    kms.model.clusters.set('cluster-2a23b4cdefg', { networkBlocked: true });
    const { CustomKeyStoreId: id = '' } = await client.send(hsm('a'));
    expect(await connect(id)).toMatchObject({ ConnectionState: 'FAILED', ConnectionErrorCode: 'NETWORK_ERRORS' });
    await expect(client.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: id, NewCustomKeyStoreName: 'a2' }))).rejects.toBeInstanceOf(CustomKeyStoreInvalidStateException);
    const { CustomKeyStoreId: x = '' } = await client.send(xks('x', 'https://x.example.com'));
    await client.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: x }));
    await expect(client.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: x, XksProxyUriPath: '/p/kms/xks/v1' }))).rejects.toBeInstanceOf(CustomKeyStoreInvalidStateException);
    kms.clock.advance(31);
    await client.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: x, XksProxyUriPath: '/p/kms/xks/v1' })); // CONNECTED
    await disconnect(x);
    await expect(
      client.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: x, XksProxyConnectivity: 'VPC_ENDPOINT_SERVICE', XksProxyVpcEndpointServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0abc' })),
    ).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/requires a new XksProxyUriEndpoint/) as unknown });
  });

  test('a connected external key store\'s new credential is tried on the proxy: one it refuses is XksProxyIncorrectAuthenticationCredential and changes nothing', async () => {
    kms.model.proxies.set('https://x.example.com', { accessKeyId: 'ABCDEFGHIJKLMNOPQRST', secretAccessKey: 'a'.repeat(43) });
    const { CustomKeyStoreId: x = '' } = await client.send(xks('x', 'https://x.example.com'));
    expect(await connect(x)).toMatchObject({ ConnectionState: 'CONNECTED' });
    const wrong = { AccessKeyId: 'ZYXWVUTSRQPONMLKJIHG', RawSecretAccessKey: 'b'.repeat(43) };
    await expect(client.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: x, XksProxyAuthenticationCredential: wrong }))).rejects.toMatchObject({ name: 'XksProxyIncorrectAuthenticationCredentialException' });
    const described = await client.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: x }));
    expect(described.CustomKeyStores?.[0].XksProxyConfiguration?.AccessKeyId).toBe('ABCDEFGHIJKLMNOPQRST');
    // Once the proxy accepts the new credential, KMS takes it while connected.
    kms.model.proxies.set('https://x.example.com', { accessKeyId: wrong.AccessKeyId, secretAccessKey: wrong.RawSecretAccessKey });
    await client.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: x, XksProxyAuthenticationCredential: wrong }));
    expect((await client.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: x }))).CustomKeyStores?.[0]).toMatchObject({ ConnectionState: 'CONNECTED', XksProxyConfiguration: { AccessKeyId: wrong.AccessKeyId } });
  });

  test('reads are eventually consistent: a new store, and a new state, show only after the lag', async () => {
    kms.model.visibilityLagMs = 1000;
    const { CustomKeyStoreId: id = '' } = await client.send(hsm('a'));
    await expect(client.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: id }))).rejects.toBeInstanceOf(CustomKeyStoreNotFoundException);
    expect((await client.send(new DescribeCustomKeyStoresCommand({}))).CustomKeyStores).toEqual([]);
    kms.clock.advance(1000);
    expect(await state(id)).toBe('DISCONNECTED');
    await client.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
    kms.clock.advance(100);
    expect(await state(id)).toBe('DISCONNECTED'); // really CONNECTED by now
    expect(kms.model.storeSnapshot()[0].state).toBe('CONNECTED');
    kms.clock.advance(1000);
    expect(await state(id)).toBe('CONNECTED');
  });

  test('a retried create: XKS answers XksProxyUriInUse before NameInUse; a CloudHSM create matching a DISCONNECTED store returns its id', async () => {
    await client.send(xks('x', 'https://x.example.com'));
    await expect(client.send(xks('x', 'https://x.example.com'))).rejects.toMatchObject({ name: 'XksProxyUriInUseException' });
    // A cluster restored from a backup of a store's cluster shares its backup history: in use too.
    kms.model.clusters.set('cluster-5d56e7fghij', { lineage: 'payments' });
    kms.model.clusters.set('cluster-6e67f2ghijk', { lineage: 'payments' });
    await client.send(hsm('p', 'cluster-5d56e7fghij'));
    await expect(client.send(hsm('q', 'cluster-6e67f2ghijk'))).rejects.toMatchObject({ name: 'CloudHsmClusterInUseException' });
    const { CustomKeyStoreId: first } = await client.send(hsm('h'));
    expect((await client.send(hsm('h'))).CustomKeyStoreId).toBe(first);
    await connect(first ?? '');
    await expect(client.send(hsm('h'))).rejects.toBeInstanceOf(CustomKeyStoreNameInUseException);
  });
});

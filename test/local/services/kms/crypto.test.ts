/**
 * The local endpoint's GenerateRandom and Encrypt, through the real AWS SDK over HTTP: a CONNECTED
 * store whose backing broke stays CONNECTED while these calls fail, as KMS documents it.
 */
import {
  ConnectCustomKeyStoreCommand,
  CreateKeyCommand,
  CustomKeyStoreInvalidStateException,
  CustomKeyStoreNotFoundException,
  DependencyTimeoutException,
  DescribeCustomKeyStoresCommand,
  DisabledException,
  DisableKeyCommand,
  EncryptCommand,
  GenerateRandomCommand,
  KMSClient,
  KMSInternalException,
  KMSInvalidStateException,
  UnsupportedOperationException,
} from '@aws-sdk/client-kms';
import { LocalKms, startLocalKms } from '../../../../local';
import { hsm, xks } from './store-requests';

const CLUSTER = 'cluster-2a23b4cdefg';
const PROXY = 'https://xks.example.com';
let kms: LocalKms;
let client: KMSClient;

beforeEach(async () => {
  kms = await startLocalKms({ connectMs: 30, disconnectMs: 30, quotas: false, clusters: { [CLUSTER]: {} } });
  client = new KMSClient({ ...kms.clientConfig(), maxAttempts: 1 });
});
afterEach(async () => kms.stop());

async function connected(create: ReturnType<typeof hsm>): Promise<string> {
  const { CustomKeyStoreId: id = '' } = await client.send(create);
  await client.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
  kms.clock.advance(31);
  return id;
}

const stateOf = async (id: string): Promise<string | undefined> =>
  (await client.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: id }))).CustomKeyStores?.[0]?.ConnectionState;

test('GenerateRandom: in KMS, or in a CONNECTED CloudHSM store; refused for a store not connected, an external store, an unknown store, a bad length', async () => {
  expect((await client.send(new GenerateRandomCommand({ NumberOfBytes: 8 }))).Plaintext).toHaveLength(8);
  const { CustomKeyStoreId: id = '' } = await client.send(hsm('a'));
  await expect(client.send(new GenerateRandomCommand({ NumberOfBytes: 8, CustomKeyStoreId: id }))).rejects.toBeInstanceOf(CustomKeyStoreInvalidStateException);
  await client.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
  kms.clock.advance(31);
  expect((await client.send(new GenerateRandomCommand({ NumberOfBytes: 16, CustomKeyStoreId: id }))).Plaintext).toHaveLength(16);
  const external = await connected(xks('x', PROXY));
  await expect(client.send(new GenerateRandomCommand({ NumberOfBytes: 8, CustomKeyStoreId: external }))).rejects.toBeInstanceOf(UnsupportedOperationException);
  await expect(client.send(new GenerateRandomCommand({ NumberOfBytes: 8, CustomKeyStoreId: 'cks-1234567890abcdef0' }))).rejects.toBeInstanceOf(CustomKeyStoreNotFoundException);
  await expect(client.send(new GenerateRandomCommand({ NumberOfBytes: 1025 }))).rejects.toMatchObject({ name: 'ValidationException' });
});

test.each([
  ['a cluster without HSMs', { hsmCount: 0 }, KMSInternalException],
  ['kmsuser locked out', { kmsUserLocked: true }, KMSInternalException],
  ['a blocked network', { networkBlocked: true }, DependencyTimeoutException],
])('GenerateRandom: a CONNECTED CloudHSM store with %s stays CONNECTED while it fails, and serves again once fixed', async (_what, broken, exception) => {
  const id = await connected(hsm('a'));
  kms.model.clusters.set(CLUSTER, broken);
  await expect(client.send(new GenerateRandomCommand({ NumberOfBytes: 8, CustomKeyStoreId: id }))).rejects.toBeInstanceOf(exception);
  expect(await stateOf(id)).toBe('CONNECTED');
  kms.model.clusters.set(CLUSTER, {});
  expect((await client.send(new GenerateRandomCommand({ NumberOfBytes: 8, CustomKeyStoreId: id }))).Plaintext).toHaveLength(8);
});

test('Encrypt: a key in a CONNECTED external store goes through its proxy: a proxy that is down fails it while the store stays CONNECTED', async () => {
  const id = await connected(xks('x', PROXY));
  const keyId = (await client.send(new CreateKeyCommand({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId: id, XksKeyId: 'probe-key' }))).KeyMetadata?.KeyId;
  // The key is usable once KMS's reads show it (its visibility lag is over).
  kms.clock.advance(kms.model.keyVisibilityLagMs);
  const encrypt = (): Promise<unknown> => client.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('probe') }));
  await expect(encrypt()).resolves.toMatchObject({ EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' });
  kms.model.proxies.set(PROXY, { reachable: false });
  await expect(encrypt()).rejects.toBeInstanceOf(DependencyTimeoutException);
  expect(await stateOf(id)).toBe('CONNECTED');
  kms.model.proxies.set(PROXY, { deniesKms: true });
  await expect(encrypt()).rejects.toBeInstanceOf(KMSInvalidStateException);
  kms.model.proxies.set(PROXY, {});
  await expect(encrypt()).resolves.toMatchObject({ KeyId: expect.stringContaining(keyId ?? '-') as unknown });
  await client.send(new DisableKeyCommand({ KeyId: keyId }));
  await expect(encrypt()).rejects.toBeInstanceOf(DisabledException);
});

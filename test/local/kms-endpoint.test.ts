/**
 * The local KMS endpoint answers as KMS documents it, through the real AWS SDK over HTTP: the
 * integration tests and the demo are only as good as this model.
 */
import {
  CancelKeyDeletionCommand,
  ConnectCustomKeyStoreCommand,
  CreateCustomKeyStoreCommand,
  CreateKeyCommand,
  CustomKeyStoreHasCMKsException,
  CustomKeyStoreInvalidStateException,
  CustomKeyStoreNameInUseException,
  CustomKeyStoreNotFoundException,
  DeleteCustomKeyStoreCommand,
  DescribeCustomKeyStoresCommand,
  DescribeKeyCommand,
  DisconnectCustomKeyStoreCommand,
  KMSClient,
  ListKeysCommand,
  ScheduleKeyDeletionCommand,
  UpdateCustomKeyStoreCommand,
} from '@aws-sdk/client-kms';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { LocalKms, startLocalKms } from '../../local/kms-server';
import { TRUST_ANCHOR } from '../fixtures/events';

const DAY = 86_400_000;
let kms: LocalKms;
let client: KMSClient;

beforeEach(async () => {
  kms = await startLocalKms({ connectMs: 30, disconnectMs: 30, quotas: false });
  client = new KMSClient({ ...kms.clientConfig(), maxAttempts: 1 });
});
afterEach(async () => kms.stop());

const settle = (ms = 40): Promise<void> => new Promise((r) => setTimeout(r, ms));
const hsm = (name: string, cluster = 'cluster-2a23b4cdefg'): CreateCustomKeyStoreCommand =>
  new CreateCustomKeyStoreCommand({ CustomKeyStoreName: name, CloudHsmClusterId: cluster, TrustAnchorCertificate: TRUST_ANCHOR, KeyStorePassword: 'kmsuser-pw' });
const xks = (name: string, endpoint: string): CreateCustomKeyStoreCommand =>
  new CreateCustomKeyStoreCommand({
    CustomKeyStoreName: name,
    CustomKeyStoreType: 'EXTERNAL_KEY_STORE',
    XksProxyUriEndpoint: endpoint,
    XksProxyUriPath: '/kms/xks/v1',
    XksProxyConnectivity: 'PUBLIC_ENDPOINT',
    XksProxyAuthenticationCredential: { AccessKeyId: 'ABCDEFGHIJKLMNOPQRST', RawSecretAccessKey: 'a'.repeat(43) },
  });
const state = async (id: string): Promise<string | undefined> => (await client.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: id }))).CustomKeyStores?.[0]?.ConnectionState;

test('the connection states, with timed transitions and the documented InvalidState rules', async () => {
  const { CustomKeyStoreId: id } = await client.send(hsm('a'));
  expect(id).toMatch(/^cks-[0-9a-f]{17}$/);
  expect(await state(id ?? '')).toBe('DISCONNECTED');
  await expect(client.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }))).rejects.toBeInstanceOf(CustomKeyStoreInvalidStateException);
  await client.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
  expect(await state(id ?? '')).toBe('CONNECTING');
  await client.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id })); // accepted while CONNECTING
  await expect(client.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: id }))).rejects.toBeInstanceOf(CustomKeyStoreInvalidStateException);
  await settle();
  expect(await state(id ?? '')).toBe('CONNECTED');
  await expect(client.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: id, KeyStorePassword: 'another-pw' }))).rejects.toBeInstanceOf(CustomKeyStoreInvalidStateException);
  await client.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: id, NewCustomKeyStoreName: 'a2' })); // the name may change while connected
  await client.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
  expect(await state(id ?? '')).toBe('DISCONNECTING');
  await expect(client.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }))).rejects.toBeInstanceOf(CustomKeyStoreInvalidStateException);
  await settle();
  await client.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: id }));
  await expect(client.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: id }))).rejects.toBeInstanceOf(CustomKeyStoreNotFoundException);
});

test('a failed connection has a ConnectionErrorCode; connect is refused until a disconnect', async () => {
  kms.model.clusters.set('cluster-2a23b4cdefg', { kmsUserPassword: 'the-right-one' });
  const { CustomKeyStoreId: id = '' } = await client.send(hsm('a'));
  await client.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
  await settle();
  const [store] = (await client.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: id }))).CustomKeyStores ?? [];
  expect(store).toMatchObject({ ConnectionState: 'FAILED', ConnectionErrorCode: 'INVALID_CREDENTIALS' });
  await expect(client.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }))).rejects.toBeInstanceOf(CustomKeyStoreInvalidStateException);
  await client.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
});

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

test('keys: Unavailable while their store is disconnected; pending deletion still counts until the date passes', async () => {
  const { CustomKeyStoreId: id = '' } = await client.send(hsm('a'));
  await expect(client.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: id }))).rejects.toBeInstanceOf(CustomKeyStoreInvalidStateException);
  await client.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
  await settle();
  const keyId = (await client.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: id }))).KeyMetadata?.KeyId;
  await client.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
  await settle();
  expect((await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata).toMatchObject({ KeyState: 'Unavailable', CustomKeyStoreId: id, Origin: 'AWS_CLOUDHSM' });
  await expect(client.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: id }))).rejects.toBeInstanceOf(CustomKeyStoreHasCMKsException);

  await client.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
  expect((await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState).toBe('PendingDeletion');
  await client.send(new CancelKeyDeletionCommand({ KeyId: keyId }));
  await client.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
  kms.clock.advance(6 * DAY);
  await expect(client.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: id }))).rejects.toBeInstanceOf(CustomKeyStoreHasCMKsException);
  kms.clock.advance(DAY + 1000);
  await expect(client.send(new DescribeKeyCommand({ KeyId: keyId }))).rejects.toMatchObject({ name: 'NotFoundException' });
  await client.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: id }));
});

test('ListKeys pages with Marker', async () => {
  kms.model.addPlainKeys(5);
  const first = await client.send(new ListKeysCommand({ Limit: 3 }));
  const rest = await client.send(new ListKeysCommand({ Limit: 3, Marker: first.NextMarker }));
  expect([first.Keys?.length, first.Truncated, rest.Keys?.length, rest.Truncated]).toEqual([3, true, 2, false]);
});

test('faults: throttling at the quota, KMSInternalException, dropped connections', async () => {
  const limited = await startLocalKms({ faults: { seed: 7 } });
  const c = new KMSClient({ ...limited.clientConfig(), maxAttempts: 1 });
  try {
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => c.send(new DescribeCustomKeyStoresCommand({}))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { name: 'ThrottlingException' } });
    limited.setFaults({ internalErrorRate: 1 });
    await expect(c.send(new ListKeysCommand({}))).rejects.toMatchObject({ name: 'KMSInternalException', $metadata: { httpStatusCode: 500 } });
    limited.setFaults({ dropRate: 1, seed: 3 });
    await expect(c.send(new ListKeysCommand({}))).rejects.toThrow(/socket hang up/);
  } finally {
    await limited.stop();
  }
});

test('half the dropped connections drop after the call took effect: the caller hears nothing, KMS has the store', async () => {
  const dropping = await startLocalKms({ quotas: false, faults: { dropRate: 1, seed: 3 } });
  const c = new KMSClient({ ...dropping.clientConfig(), maxAttempts: 1 });
  try {
    for (let i = 0; i < 6; i++) {
      await expect(c.send(xks(`dropped-${i}`, `https://d${i}.example.com`))).rejects.toThrow(/socket hang up/);
    }
    const tookEffect = dropping.count('CreateCustomKeyStore', 'dropped-after-effect');
    expect(tookEffect).toBeGreaterThan(0);
    expect(tookEffect).toBeLessThan(6);
    expect(dropping.model.storeSnapshot()).toHaveLength(tookEffect);
  } finally {
    await dropping.stop();
  }
});

test('Secrets Manager: a secret is found by ARN, by ARN without its suffix, or by name', async () => {
  const { ARN } = kms.secrets.CreateSecret({ Name: 'team/secret', SecretString: 'value-1234' }) as { ARN: string };
  const sm = new SecretsManagerClient(kms.clientConfig());
  for (const id of [ARN, ARN.replace(/-[0-9a-f]{6}$/, ''), 'team/secret']) {
    expect((await sm.send(new GetSecretValueCommand({ SecretId: id }))).SecretString).toBe('value-1234');
  }
  await expect(sm.send(new GetSecretValueCommand({ SecretId: 'nope' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
});

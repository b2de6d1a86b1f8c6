/**
 * The local endpoint's keys in a custom key store answer as KMS documents them, through the real
 * AWS SDK over HTTP: Unavailable with their store, counted by DeleteCustomKeyStore until their
 * deletion date (or while their policy denies the caller), listed by ListKeys.
 */
import {
  CancelKeyDeletionCommand,
  ConnectCustomKeyStoreCommand,
  CreateKeyCommand,
  CustomKeyStoreHasCMKsException,
  CustomKeyStoreInvalidStateException,
  DeleteCustomKeyStoreCommand,
  DescribeCustomKeyStoresCommand,
  DescribeKeyCommand,
  DisconnectCustomKeyStoreCommand,
  KMSClient,
  ListKeysCommand,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { LocalKms, startLocalKms } from '../../../../local';
import { hsm } from './store-requests';

const DAY = 86_400_000;
let kms: LocalKms;
let client: KMSClient;

beforeEach(async () => {
  // New keys are readable at once here: their visibility lag has tests of its own (key-visibility.test.ts).
  kms = await startLocalKms({ connectMs: 30, disconnectMs: 30, quotas: false, keyVisibilityLagMs: 0 });
  client = new KMSClient({ ...kms.clientConfig(), maxAttempts: 1 });
});
afterEach(async () => kms.stop());

/** Past a 30 ms transition, on the endpoint's clock: no test waits on a real timer. */
const settle = (): void => { kms.clock.advance(31); };

test('keys: Unavailable while their store is disconnected; pending deletion still counts until the date passes', async () => {
  const { CustomKeyStoreId: id = '' } = await client.send(hsm('a'));
  await expect(client.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: id }))).rejects.toBeInstanceOf(CustomKeyStoreInvalidStateException);
  await client.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
  settle();
  const keyId = (await client.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: id }))).KeyMetadata?.KeyId;
  await client.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
  settle();
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

  test('a key whose policy denies the caller: ListKeys lists it, DescribeKey is AccessDenied, DeleteCustomKeyStore counts it', async () => {
    const { CustomKeyStoreId: id = '' } = await client.send(hsm('a'));
    await connect(id);
    const keyId = (await client.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: id }))).KeyMetadata?.KeyId ?? '';
    kms.model.lockKey(keyId);
    expect((await client.send(new ListKeysCommand({}))).Keys?.map((k) => k.KeyId)).toContain(keyId);
    await expect(client.send(new DescribeKeyCommand({ KeyId: keyId }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    await disconnect(id);
    await expect(client.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: id }))).rejects.toBeInstanceOf(CustomKeyStoreHasCMKsException);
  });
});

/**
 * New keys are eventually consistent, as in KMS: for keyVisibilityLagMs after CreateKey (on the
 * endpoint's clock), ListKeys omits the key and DescribeKey, ListResourceTags and the key operations
 * answer NotFoundException, while CreateKey's own checks see it at once. Over HTTP with the real SDK.
 */
import { CreateKeyCommand, DescribeKeyCommand, DisableKeyCommand, KMSClient, ListKeysCommand, ListResourceTagsCommand } from '@aws-sdk/client-kms';
import { LocalKms, startLocalKms } from '../../../../local';

let kms: LocalKms;
let client: KMSClient;
let xksStore: string;

beforeEach(async () => {
  kms = await startLocalKms({ quotas: false });
  client = new KMSClient({ ...kms.clientConfig(), maxAttempts: 1 });
  kms.clock.freeze();
  xksStore = kms.model.CreateCustomKeyStore({
    CustomKeyStoreName: 'xks',
    CustomKeyStoreType: 'EXTERNAL_KEY_STORE',
    XksProxyUriEndpoint: 'https://xks.example.com',
    XksProxyUriPath: '/kms/xks/v1',
    XksProxyConnectivity: 'PUBLIC_ENDPOINT',
    XksProxyAuthenticationCredential: { AccessKeyId: 'ABCDEFGHIJKLMNOPQRST', RawSecretAccessKey: 'a'.repeat(43) },
  }).CustomKeyStoreId as string;
  kms.model.ConnectCustomKeyStore({ CustomKeyStoreId: xksStore });
  kms.clock.advance(1000);
});
afterEach(async () => kms.stop());

const rejection = async (promise: Promise<unknown>): Promise<string> => promise.then(() => 'resolved', (err: unknown) => (err as Error).name);
const listed = async (): Promise<string[]> => ((await client.send(new ListKeysCommand({}))).Keys ?? []).map((k) => k.KeyId ?? '');

test('on by default: a new key is missing from reads until the lag is over, then shows everywhere', async () => {
  expect(kms.model.keyVisibilityLagMs).toBeGreaterThan(0);
  const lag = kms.model.keyVisibilityLagMs;
  const keyId = (await client.send(new CreateKeyCommand({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId: xksStore, XksKeyId: 'k-1' }))).KeyMetadata?.KeyId ?? '';
  expect(await listed()).not.toContain(keyId);
  expect(await rejection(client.send(new DescribeKeyCommand({ KeyId: keyId })))).toBe('NotFoundException');
  expect(await rejection(client.send(new ListResourceTagsCommand({ KeyId: keyId })))).toBe('NotFoundException');
  expect(await rejection(client.send(new DisableKeyCommand({ KeyId: keyId })))).toBe('NotFoundException');
  // The write side sees it at once: a second key on the same external key is refused.
  expect(await rejection(client.send(new CreateKeyCommand({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId: xksStore, XksKeyId: 'k-1' })))).toBe('XksKeyAlreadyInUseException');
  kms.clock.advance(lag);
  expect(await listed()).toContain(keyId);
  expect((await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState).toBe('Enabled');
  await client.send(new DisableKeyCommand({ KeyId: keyId }));
  expect((await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState).toBe('Disabled');
});

test('switchable: with keyVisibilityLagMs 0 a new key is read at once; inspection never lags', async () => {
  kms.model.keyVisibilityLagMs = 0;
  const keyId = (await client.send(new CreateKeyCommand({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId: xksStore, XksKeyId: 'k-2' }))).KeyMetadata?.KeyId ?? '';
  expect(await listed()).toContain(keyId);
  kms.model.keyVisibilityLagMs = 60_000;
  expect(await rejection(client.send(new DescribeKeyCommand({ KeyId: keyId })))).toBe('NotFoundException');
  const { model } = kms;
  expect((model.inspect(() => model.DescribeKey({ KeyId: keyId })).KeyMetadata as { KeyState: string }).KeyState).toBe('Enabled');
});

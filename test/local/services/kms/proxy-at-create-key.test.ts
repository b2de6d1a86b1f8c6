/**
 * CreateKey in a CONNECTED external key store calls its proxy: a proxy that rejects or fails the
 * request makes CreateKey answer CustomKeyStoreInvalidStateException while DescribeCustomKeyStores
 * still shows the store CONNECTED (Guide, "Monitor external key stores", top exceptions). Over HTTP
 * with the real SDK, the clock held.
 */
import { CreateKeyCommand, DescribeCustomKeyStoresCommand, KMSClient } from '@aws-sdk/client-kms';
import { LocalKms, startLocalKms } from '../../../../local';

const PROXY = 'https://xks.example.com';
let kms: LocalKms;
let client: KMSClient;
let store: string;

beforeEach(async () => {
  kms = await startLocalKms({ quotas: false });
  client = new KMSClient({ ...kms.clientConfig(), maxAttempts: 1 });
  kms.clock.freeze();
  store = kms.model.CreateCustomKeyStore({
    CustomKeyStoreName: 'xks',
    CustomKeyStoreType: 'EXTERNAL_KEY_STORE',
    XksProxyUriEndpoint: PROXY,
    XksProxyUriPath: '/kms/xks/v1',
    XksProxyConnectivity: 'PUBLIC_ENDPOINT',
    XksProxyAuthenticationCredential: { AccessKeyId: 'ABCDEFGHIJKLMNOPQRST', RawSecretAccessKey: 'a'.repeat(43) },
  }).CustomKeyStoreId as string;
  kms.model.ConnectCustomKeyStore({ CustomKeyStoreId: store });
  kms.clock.advance(1000);
});
afterEach(async () => kms.stop());

let n = 0;
const createKey = async (): Promise<{ name: string; message: string }> =>
  client.send(new CreateKeyCommand({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId: store, XksKeyId: `k-${++n}` })).then(
    () => ({ name: 'created', message: '' }),
    (err: unknown) => ({ name: (err as Error).name, message: (err as Error).message }),
  );
const state = async (): Promise<string | undefined> => (await client.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: store }))).CustomKeyStores?.[0]?.ConnectionState;

test.each([
  ['unreachable', { reachable: false }, 'XksProxyUnreachable'],
  ['without an available external key manager', { keyManagersAvailable: false }, 'DependencyTimeout'],
  ['answering garbled', { invalidResponses: true }, 'Internal'],
  ['serving another path', { uriPath: '/other/kms/xks/v1' }, 'InvalidUriPath'],
  ['refusing the credential KMS holds', { accessKeyId: 'ZZZZZZZZZZZZZZZZZZZZ' }, 'AuthenticationFailed'],
  ['denying KMS', { deniesKms: true }, 'AccessDenied'],
])('a proxy %s: CreateKey is CustomKeyStoreInvalidStateException naming the proxy error, while the store stays CONNECTED', async (_what, spec, proxyError) => {
  kms.model.proxies.set(PROXY, spec);
  const answer = await createKey();
  expect(answer.name).toBe('CustomKeyStoreInvalidStateException');
  expect(answer.message).toContain(`(${proxyError}) for custom key store '${store}'`);
  expect(await state()).toBe('CONNECTED');
  expect(kms.model.keysIn(store)).toEqual([]);
  kms.model.proxies.delete(PROXY);
  expect((await createKey()).name).toBe('created');
});

test('a passing proxy condition fails the CreateKey calls it meets, then a key is made', async () => {
  kms.model.blipProxy(PROXY, 'unreachable', 2);
  expect((await createKey()).name).toBe('CustomKeyStoreInvalidStateException');
  expect((await createKey()).name).toBe('CustomKeyStoreInvalidStateException');
  expect((await createKey()).name).toBe('created');
});

test('a store that is not connected still answers with its state, whatever the proxy', async () => {
  kms.model.proxies.set(PROXY, { reachable: false });
  kms.model.DisconnectCustomKeyStore({ CustomKeyStoreId: store });
  kms.clock.advance(1000);
  const answer = await createKey();
  expect(answer).toEqual({ name: 'CustomKeyStoreInvalidStateException', message: `CreateKey is not allowed while custom key store '${store}' is DISCONNECTED.` });
});

test('the switch turns the proxy call off (a model whose proxy never fails a key request)', async () => {
  expect(kms.model.checkProxyAtCreateKey).toBe(true);
  kms.model.checkProxyAtCreateKey = false;
  kms.model.proxies.set(PROXY, { deniesKms: true });
  expect((await createKey()).name).toBe('created');
});

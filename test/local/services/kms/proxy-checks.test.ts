/**
 * KMS checks an external key store's proxy at CreateCustomKeyStore and UpdateCustomKeyStore, not
 * only at connect: each condition answers with the exception the kms model lists for it, nothing is
 * created or changed, and a passing condition (a blip) answers again once it has passed.
 */
import { CreateCustomKeyStoreCommand, DescribeCustomKeyStoresCommand, KMSClient, UpdateCustomKeyStoreCommand } from '@aws-sdk/client-kms';
import { LocalKms, startLocalKms } from '../../../../local';
import { xks } from './store-requests';

let kms: LocalKms;
let client: KMSClient;

beforeEach(async () => {
  kms = await startLocalKms({ connectMs: 30, disconnectMs: 30, quotas: false });
  client = new KMSClient({ ...kms.clientConfig(), maxAttempts: 1 });
});
afterEach(async () => kms.stop());

const storeNames = async (): Promise<string[]> => ((await client.send(new DescribeCustomKeyStoresCommand({}))).CustomKeyStores ?? []).map((s) => s.CustomKeyStoreName ?? '');

const vpc = (name: string, endpoint: string, service: string, path = '/kms/xks/v1'): CreateCustomKeyStoreCommand =>
  new CreateCustomKeyStoreCommand({
    CustomKeyStoreName: name,
    CustomKeyStoreType: 'EXTERNAL_KEY_STORE',
    XksProxyUriEndpoint: endpoint,
    XksProxyUriPath: path,
    XksProxyConnectivity: 'VPC_ENDPOINT_SERVICE',
    XksProxyVpcEndpointServiceName: service,
    XksProxyAuthenticationCredential: { AccessKeyId: 'ABCDEFGHIJKLMNOPQRST', RawSecretAccessKey: 'a'.repeat(43) },
  });

test('a create whose proxy is not in service is refused with the exception for its cause, and no store is made', async () => {
  const cases: Array<[string, () => void, string]> = [
    ['https://down.example.com', () => kms.model.proxies.set('https://down.example.com', { reachable: false }), 'XksProxyUriUnreachableException'],
    ['https://nokm.example.com', () => kms.model.proxies.set('https://nokm.example.com', { keyManagersAvailable: false }), 'XksProxyUriUnreachableException'],
    ['https://garbled.example.com', () => kms.model.proxies.set('https://garbled.example.com', { invalidResponses: true }), 'XksProxyInvalidResponseException'],
    ['https://path.example.com', () => kms.model.proxies.set('https://path.example.com', { uriPath: '/other/kms/xks/v1' }), 'XksProxyInvalidConfigurationException'],
    ['https://cred.example.com', () => kms.model.proxies.set('https://cred.example.com', { accessKeyId: 'ZZZZZZZZZZZZZZZZZZZZ' }), 'XksProxyIncorrectAuthenticationCredentialException'],
  ];
  for (const [endpoint, arrange, name] of cases) {
    arrange();
    await expect(client.send(xks(endpoint, endpoint))).rejects.toMatchObject({ name });
  }
  kms.model.vpcEndpointServices.set('com.amazonaws.vpce.us-east-1.vpce-svc-0gone', { exists: false });
  await expect(client.send(vpc('v1', 'https://v1.example.com', 'com.amazonaws.vpce.us-east-1.vpce-svc-0gone'))).rejects.toMatchObject({ name: 'XksProxyVpcEndpointServiceNotFoundException' });
  kms.model.vpcEndpointServices.set('com.amazonaws.vpce.us-east-1.vpce-svc-0deny', { allowsKms: false });
  await expect(client.send(vpc('v2', 'https://v2.example.com', 'com.amazonaws.vpce.us-east-1.vpce-svc-0deny'))).rejects.toMatchObject({ name: 'XksProxyVpcEndpointServiceInvalidConfigurationException' });
  expect(await storeNames()).toEqual([]);
});

test('a passing proxy condition fails the checks it meets, then the create succeeds', async () => {
  kms.model.blipProxy('https://blip.example.com', 'unreachable', 1);
  await expect(client.send(xks('blip', 'https://blip.example.com'))).rejects.toMatchObject({ name: 'XksProxyUriUnreachableException' });
  kms.model.blipProxy('https://blip.example.com', 'invalid-response', 1);
  await expect(client.send(xks('blip', 'https://blip.example.com'))).rejects.toMatchObject({ name: 'XksProxyInvalidResponseException' });
  await client.send(xks('blip', 'https://blip.example.com'));
  expect(await storeNames()).toEqual(['blip']);
});

test('an update of the proxy settings is checked with the new settings; nothing changes when the check fails', async () => {
  const { CustomKeyStoreId: id = '' } = await client.send(xks('x', 'https://x.example.com'));
  kms.model.proxies.set('https://y.example.com', { reachable: false });
  await expect(client.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: id, XksProxyUriEndpoint: 'https://y.example.com' }))).rejects.toMatchObject({ name: 'XksProxyUriUnreachableException' });
  kms.model.proxies.set('https://x.example.com', { uriPath: '/kms/xks/v1' });
  await expect(client.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: id, XksProxyUriPath: '/kms/xks/v2' }))).rejects.toMatchObject({ name: 'XksProxyInvalidConfigurationException' });
  const seen = (await client.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: id }))).CustomKeyStores?.[0]?.XksProxyConfiguration;
  expect(seen).toMatchObject({ UriEndpoint: 'https://x.example.com', UriPath: '/kms/xks/v1' });
  // A rename does not touch the proxy: it goes through whatever the proxy's state.
  kms.model.proxies.set('https://x.example.com', { reachable: false });
  await client.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: id, NewCustomKeyStoreName: 'x2' }));
  expect(await storeNames()).toEqual(['x2']);
});

test('a VPC endpoint service store needs a proxy URI endpoint of its own: XksProxyUriEndpointInUse, whatever the path', async () => {
  await client.send(vpc('a', 'https://shared.example.com', 'com.amazonaws.vpce.us-east-1.vpce-svc-0aaa'));
  await expect(client.send(vpc('b', 'https://shared.example.com', 'com.amazonaws.vpce.us-east-1.vpce-svc-0bbb', '/b/kms/xks/v1'))).rejects.toMatchObject({ name: 'XksProxyUriEndpointInUseException' });
});

test('the switch turns the checks off (for a model of a store made before the proxy broke)', async () => {
  kms.model.checkProxyAtCreateAndUpdate = false;
  kms.model.proxies.set('https://down.example.com', { reachable: false });
  await client.send(xks('down', 'https://down.example.com'));
  expect(await storeNames()).toEqual(['down']);
});

/**
 * The local endpoint's ConnectCustomKeyStore and DisconnectCustomKeyStore answer as KMS documents
 * them, through the real AWS SDK over HTTP: the connection states with their timed transitions and
 * InvalidState rules, kmsuser's password rotation, and the ConnectionErrorCode of each failure.
 * The integration tests and the demo are only as good as this model.
 */
import {
  ConnectCustomKeyStoreCommand,
  CreateCustomKeyStoreCommand,
  CustomKeyStoreInvalidStateException,
  CustomKeyStoreNotFoundException,
  DeleteCustomKeyStoreCommand,
  DescribeCustomKeyStoresCommand,
  DisconnectCustomKeyStoreCommand,
  KMSClient,
  UpdateCustomKeyStoreCommand,
} from '@aws-sdk/client-kms';
import { LocalKms, startLocalKms } from '../../../../local';
import { TRUST_ANCHOR } from '../../../fixtures/events';
import { hsm, xks } from './store-requests';

let kms: LocalKms;
let client: KMSClient;

beforeEach(async () => {
  kms = await startLocalKms({ connectMs: 30, disconnectMs: 30, quotas: false });
  client = new KMSClient({ ...kms.clientConfig(), maxAttempts: 1 });
});
afterEach(async () => kms.stop());

/** Past a 30 ms transition, on the endpoint's clock: no test waits on a real timer. */
const settle = (): void => { kms.clock.advance(31); };
const state = async (id: string): Promise<string | undefined> => (await client.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: id }))).CustomKeyStores?.[0]?.ConnectionState;

test('the connection states, with timed transitions and the documented InvalidState rules', async () => {
  // The clock is held, so each state is asserted while it lasts, however slow the machine.
  kms.clock.freeze();
  const step = (): void => { kms.clock.advance(31); };
  const { CustomKeyStoreId: id = '' } = await client.send(hsm('a'));
  expect(id).toMatch(/^cks-[0-9a-f]{17}$/);
  expect(await state(id)).toBe('DISCONNECTED');
  await expect(client.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }))).rejects.toBeInstanceOf(CustomKeyStoreInvalidStateException);
  await client.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
  expect(await state(id)).toBe('CONNECTING');
  await client.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id })); // accepted while CONNECTING
  step();
  expect(await state(id)).toBe('CONNECTED');
  await expect(client.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: id, KeyStorePassword: 'another-pw' }))).rejects.toBeInstanceOf(CustomKeyStoreInvalidStateException);
  await client.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: id, NewCustomKeyStoreName: 'a2' })); // the name may change while connected
  await client.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
  expect(await state(id)).toBe('DISCONNECTING');
  await expect(client.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }))).rejects.toBeInstanceOf(CustomKeyStoreInvalidStateException);
  await expect(client.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: id, NewCustomKeyStoreName: 'a3' }))).rejects.toBeInstanceOf(CustomKeyStoreInvalidStateException);
  await expect(client.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: id }))).rejects.toBeInstanceOf(CustomKeyStoreInvalidStateException);
  step();
  expect(await state(id)).toBe('DISCONNECTED');
  await client.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: id }));
  await expect(client.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: id }))).rejects.toBeInstanceOf(CustomKeyStoreNotFoundException);
});

test('a failed connection has a ConnectionErrorCode; connect is refused until a disconnect', async () => {
  kms.model.clusters.set('cluster-2a23b4cdefg', { kmsUserPassword: 'the-right-one' });
  const { CustomKeyStoreId: id = '' } = await client.send(hsm('a'));
  await client.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
  settle();
  const [store] = (await client.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: id }))).CustomKeyStores ?? [];
  expect(store).toMatchObject({ ConnectionState: 'FAILED', ConnectionErrorCode: 'INVALID_CREDENTIALS' });
  await expect(client.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }))).rejects.toBeInstanceOf(CustomKeyStoreInvalidStateException);
  await client.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
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

  test('KMS rotates kmsuser\'s password on every connect: the create-time password works once', async () => {
    const { CustomKeyStoreId: id = '' } = await client.send(hsm('a'));
    expect(await connect(id)).toMatchObject({ ConnectionState: 'CONNECTED' });
    const rotated = kms.model.kmsUserPassword('cluster-2a23b4cdefg');
    expect(rotated).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(rotated).not.toBe('kmsuser-pw');
    await disconnect(id);
    expect(await connect(id)).toMatchObject({ ConnectionState: 'CONNECTED' }); // KMS knows the rotated one
    expect(kms.model.kmsUserPassword('cluster-2a23b4cdefg')).not.toBe(rotated);
    await disconnect(id);
    // Telling KMS the bootstrap password again breaks the store: the cluster no longer has it.
    await client.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: id, KeyStorePassword: 'kmsuser-pw' }));
    expect(await connect(id)).toMatchObject({ ConnectionState: 'FAILED', ConnectionErrorCode: 'INVALID_CREDENTIALS' });
    // An operator resets kmsuser's password in the cluster and tells KMS: it connects again.
    await disconnect(id);
    kms.model.setKmsUserPassword('cluster-2a23b4cdefg', 'reset-by-operator');
    await client.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: id, KeyStorePassword: 'reset-by-operator' }));
    expect(await connect(id)).toMatchObject({ ConnectionState: 'CONNECTED' });
    const off = await startLocalKms({ rotateKmsUserPassword: false, quotas: false });
    try {
      off.model.CreateCustomKeyStore({ CustomKeyStoreName: 'b', CloudHsmClusterId: 'cluster-2a23b4cdefg', TrustAnchorCertificate: TRUST_ANCHOR, KeyStorePassword: 'kmsuser-pw' });
      off.model.ConnectCustomKeyStore({ CustomKeyStoreId: off.model.storeSnapshot()[0].id });
      expect(off.model.kmsUserPassword('cluster-2a23b4cdefg')).toBe('kmsuser-pw');
    } finally {
      await off.stop();
    }
  });

  test('external key store changes take a while to take effect: a connect meanwhile uses the old settings', async () => {
    kms.model.xksPropagationMs = 5 * 60_000;
    const { CustomKeyStoreId: id = '' } = await client.send(xks('x', 'https://old.example.com'));
    kms.model.proxies.set('https://old.example.com', { reachable: false });
    await client.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: id, XksProxyUriEndpoint: 'https://new.example.com' }));
    // Reads show the new endpoint at once; connects use the old one for up to five minutes.
    expect((await client.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: id }))).CustomKeyStores?.[0].XksProxyConfiguration?.UriEndpoint).toBe('https://new.example.com');
    expect(await connect(id)).toMatchObject({ ConnectionState: 'FAILED', ConnectionErrorCode: 'XKS_PROXY_NOT_REACHABLE' });
    await disconnect(id);
    kms.clock.advance(5 * 60_000);
    expect(await connect(id)).toMatchObject({ ConnectionState: 'CONNECTED' });
  });

  test('each cause of a failed connection gets the ConnectionErrorCode KMS gives it', async () => {
    const cases: Array<[string, () => void, string]> = [
      ['cluster-2a23b4cdefg', () => kms.model.clusters.set('cluster-2a23b4cdefg', { subnetDeleted: true }), 'SUBNET_NOT_FOUND'],
      ['cluster-3b34c5defgh', () => kms.model.clusters.set('cluster-3b34c5defgh', { exists: true, kmsUserLoggedIn: true }), 'USER_LOGGED_IN'],
      ['cluster-4c45d6efghi', () => kms.model.clusters.set('cluster-4c45d6efghi', { kmsUserExists: false }), 'USER_NOT_FOUND'],
    ];
    for (const [cluster, arrange, code] of cases) {
      const { CustomKeyStoreId: id = '' } = await client.send(hsm(cluster, cluster));
      arrange();
      expect(await connect(id)).toMatchObject({ ConnectionState: 'FAILED', ConnectionErrorCode: code });
    }
    // KMS checks the proxy at create: each condition arises after the store was made.
    const { CustomKeyStoreId: v = '' } = await client.send(
      new CreateCustomKeyStoreCommand({
        CustomKeyStoreName: 'v',
        CustomKeyStoreType: 'EXTERNAL_KEY_STORE',
        XksProxyUriEndpoint: 'https://v.example.com',
        XksProxyUriPath: '/kms/xks/v1',
        XksProxyConnectivity: 'VPC_ENDPOINT_SERVICE',
        XksProxyVpcEndpointServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0abc',
        XksProxyAuthenticationCredential: { AccessKeyId: 'ABCDEFGHIJKLMNOPQRST', RawSecretAccessKey: 'a'.repeat(43) },
      }),
    );
    kms.model.vpcEndpointServices.set('com.amazonaws.vpce.us-east-1.vpce-svc-0abc', { allowsKms: false });
    expect(await connect(v)).toMatchObject({ ConnectionErrorCode: 'XKS_VPC_ENDPOINT_SERVICE_INVALID_CONFIGURATION' });
    const { CustomKeyStoreId: w = '' } = await client.send(xks('w', 'https://w.example.com'));
    kms.model.proxies.set('https://w.example.com', { accessKeyId: 'ZZZZZZZZZZZZZZZZZZZZ' });
    expect(await connect(w)).toMatchObject({ ConnectionErrorCode: 'INVALID_CREDENTIALS' });
  });
});

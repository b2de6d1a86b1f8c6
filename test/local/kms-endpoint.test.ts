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
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DescribeSecretCommand, GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { LocalKms, startLocalKms } from '../../local';
import { TRUST_ANCHOR } from '../fixtures/events';

const DAY = 86_400_000;
let kms: LocalKms;
let client: KMSClient;

beforeEach(async () => {
  kms = await startLocalKms({ connectMs: 30, disconnectMs: 30, quotas: false });
  client = new KMSClient({ ...kms.clientConfig(), maxAttempts: 1 });
});
afterEach(async () => kms.stop());

/** Past a 30 ms transition, on the endpoint's clock: no test waits on a real timer. */
const settle = (): void => { kms.clock.advance(31); };
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
    kms.model.vpcEndpointServices.set('com.amazonaws.vpce.us-east-1.vpce-svc-0abc', { allowsKms: false });
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
    expect(await connect(v)).toMatchObject({ ConnectionErrorCode: 'XKS_VPC_ENDPOINT_SERVICE_INVALID_CONFIGURATION' });
    kms.model.proxies.set('https://w.example.com', { accessKeyId: 'ZZZZZZZZZZZZZZZZZZZZ' });
    const { CustomKeyStoreId: w = '' } = await client.send(xks('w', 'https://w.example.com'));
    expect(await connect(w)).toMatchObject({ ConnectionErrorCode: 'INVALID_CREDENTIALS' });
  });

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

test('CloudFormation DescribeStacks, in the query protocol, tells the stack status the runner set', async () => {
  const cfn = new CloudFormationClient({ ...kms.clientConfig(), maxAttempts: 1 });
  const stackId = 'arn:aws:cloudformation:us-east-1:111122223333:stack/S/1';
  kms.cloudFormation.setStackStatus(stackId, 'S', 'UPDATE_ROLLBACK_IN_PROGRESS');
  expect((await cfn.send(new DescribeStacksCommand({ StackName: stackId }))).Stacks?.[0]).toMatchObject({ StackName: 'S', StackStatus: 'UPDATE_ROLLBACK_IN_PROGRESS' });
  await expect(cfn.send(new DescribeStacksCommand({ StackName: 'nope' }))).rejects.toMatchObject({ name: 'ValidationError' });
});

test('Secrets Manager: PutSecretValue makes a new AWSCURRENT and moves AWSPREVIOUS; DescribeSecret shows stages, never values', async () => {
  const sm = new SecretsManagerClient(kms.clientConfig());
  const { ARN } = kms.secrets.CreateSecret({ Name: 'rotating', SecretString: 'first-value' }) as { ARN: string };
  const put = await sm.send(new PutSecretValueCommand({ SecretId: ARN, SecretString: 'second-value' }));
  expect((await sm.send(new GetSecretValueCommand({ SecretId: ARN }))).SecretString).toBe('second-value');
  expect((await sm.send(new GetSecretValueCommand({ SecretId: ARN, VersionStage: 'AWSPREVIOUS' }))).SecretString).toBe('first-value');
  const described = await sm.send(new DescribeSecretCommand({ SecretId: ARN }));
  expect(described.VersionIdsToStages?.[put.VersionId ?? '']).toEqual(['AWSCURRENT']);
  expect(JSON.stringify(described)).not.toMatch(/first-value|second-value/);
});

test('Secrets Manager sends "Secret Label Updated" when AWSCURRENT moves, naming the secret by full ARN and name, never its value', async () => {
  const sm = new SecretsManagerClient(kms.clientConfig());
  const seen: unknown[] = [];
  kms.secrets.onLabelUpdated = (e) => seen.push(e);
  const { ARN } = kms.secrets.CreateSecret({ Name: 'rotating', SecretString: 'first-value' }) as { ARN: string };
  expect(seen).toEqual([]);
  const put = await sm.send(new PutSecretValueCommand({ SecretId: 'rotating', SecretString: 'second-value' }));
  expect(seen).toEqual([
    expect.objectContaining({ source: 'aws.secretsmanager', 'detail-type': 'Secret Label Updated', resources: [ARN], detail: { name: 'rotating', labelUpdated: 'AWSCURRENT', versionId: put.VersionId } }),
  ]);
  expect(JSON.stringify(seen)).not.toMatch(/first-value|second-value/);
});

test('CloudWatch PutMetricData, in the JSON 1.0 protocol, keeps each datum; AWS/ namespaces and values that are not numbers are refused', async () => {
  const cw = new CloudWatchClient({ ...kms.clientConfig(), maxAttempts: 1 });
  const at = new Date(Math.floor(kms.clock.now() / 1000) * 1000 - 60_000);
  await cw.send(new PutMetricDataCommand({ Namespace: 'KmsCustomKeyStores', MetricData: [{ MetricName: 'Connected', Value: 0, Unit: 'Count', Timestamp: at, Dimensions: [{ Name: 'CustomKeyStoreId', Value: 'cks-1' }] }] }));
  expect(kms.cloudWatch.datapoints('KmsCustomKeyStores', 'Connected', { CustomKeyStoreId: 'cks-1' })).toEqual([
    { namespace: 'KmsCustomKeyStores', metricName: 'Connected', dimensions: { CustomKeyStoreId: 'cks-1' }, value: 0, unit: 'Count', at: at.getTime() },
  ]);
  expect(kms.cloudWatch.datapoints('KmsCustomKeyStores', 'Connected', { CustomKeyStoreId: 'cks-2' })).toEqual([]);
  await expect(cw.send(new PutMetricDataCommand({ Namespace: 'AWS/KMS', MetricData: [{ MetricName: 'M', Value: 1 }] }))).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
  await expect(cw.send(new PutMetricDataCommand({ Namespace: 'X', MetricData: [] }))).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
  await expect(cw.send(new PutMetricDataCommand({ Namespace: 'X', MetricData: [{ MetricName: 'M', Dimensions: [{ Name: 'D', Value: '' }], Value: 1 }] }))).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
  // CloudWatch takes data from two weeks back to two hours ahead only.
  for (const off of [new Date(kms.clock.now() - 15 * DAY), new Date(kms.clock.now() + 3 * 3_600_000)]) {
    await expect(cw.send(new PutMetricDataCommand({ Namespace: 'X', MetricData: [{ MetricName: 'M', Value: 1, Timestamp: off }] }))).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
  }
  expect(kms.cloudWatch.data).toHaveLength(1);
});

test('SSM Parameter Store: PutParameter makes a parameter or, with Overwrite, a new version; GetParameter reads it; an unknown one is ParameterNotFound', async () => {
  const ssm = new SSMClient({ ...kms.clientConfig(), maxAttempts: 1 });
  await expect(ssm.send(new GetParameterCommand({ Name: 'state' }))).rejects.toMatchObject({ name: 'ParameterNotFound' });
  expect(await ssm.send(new PutParameterCommand({ Name: 'state', Value: 'none', Type: 'String' }))).toMatchObject({ Version: 1 });
  await expect(ssm.send(new PutParameterCommand({ Name: 'state', Value: 'v2' }))).rejects.toMatchObject({ name: 'ParameterAlreadyExists' });
  expect(await ssm.send(new PutParameterCommand({ Name: 'state', Value: 'v2', Overwrite: true }))).toMatchObject({ Version: 2 });
  expect((await ssm.send(new GetParameterCommand({ Name: 'state' }))).Parameter).toMatchObject({ Name: 'state', Value: 'v2', Version: 2, Type: 'String' });
});

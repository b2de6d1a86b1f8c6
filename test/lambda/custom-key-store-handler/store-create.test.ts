/** A store's Create: onEvent creates (or adopts its own earlier attempt's store), isComplete connects. */
import { ConnectCustomKeyStoreCommand, CreateCustomKeyStoreCommand, CustomKeyStoreNameInUseException, CustomKeyStoreNotFoundException, DescribeCustomKeyStoresCommand, KMSInternalException } from '@aws-sdk/client-kms';
import 'aws-sdk-client-mock-jest';
import { CANARY_ACCESS_KEY_ID, CANARY_PASSWORD, CANARY_SECRET_KEY, cloudHsmProps, createEvent, externalProps, withResult } from '../../fixtures/events';
import { awsError, harness, kmsCalls, kmsMock, resetMocks, store, storeStates } from './harness';

const ID = 'cks-1234567890abcdef0';
const meta = { $metadata: {} };
const T0 = Date.parse('2026-11-22T12:00:00Z');

beforeEach(resetMocks);

describe('Create', () => {
  test('creates a CloudHSM store with the password read from Secrets Manager and uses its id as PhysicalResourceId', async () => {
    kmsMock.on(CreateCustomKeyStoreCommand).resolves({ CustomKeyStoreId: ID });
    const h = harness();
    const result = await h.onEvent(createEvent(cloudHsmProps()));
    expect(result.PhysicalResourceId).toBe(ID);
    expect(kmsMock).toHaveReceivedCommandWith(CreateCustomKeyStoreCommand, {
      CustomKeyStoreName: 'payments-hsm',
      CustomKeyStoreType: 'AWS_CLOUDHSM',
      CloudHsmClusterId: 'cluster-2a23b4cdefg',
      KeyStorePassword: CANARY_PASSWORD,
    });
    // The read after the create: a CloudHSM create may answer with an existing store's id.
    expect(kmsCalls()).toEqual(['CreateCustomKeyStore', 'DescribeCustomKeyStores']);
  });

  test('creates an external store with the proxy credential from the secret JSON', async () => {
    kmsMock.on(CreateCustomKeyStoreCommand).resolves({ CustomKeyStoreId: ID });
    await harness().onEvent(createEvent(externalProps()));
    expect(kmsMock).toHaveReceivedCommandWith(CreateCustomKeyStoreCommand, {
      CustomKeyStoreType: 'EXTERNAL_KEY_STORE',
      XksProxyUriEndpoint: 'https://xks.example.com',
      XksProxyUriPath: '/payments/kms/xks/v1',
      XksProxyConnectivity: 'PUBLIC_ENDPOINT',
      XksProxyAuthenticationCredential: { AccessKeyId: CANARY_ACCESS_KEY_ID, RawSecretAccessKey: CANARY_SECRET_KEY },
    });
  });

  test('isComplete connects a DISCONNECTED store, waits through CONNECTING and completes at CONNECTED', async () => {
    storeStates(ID, 'DISCONNECTED', 'CONNECTING', 'CONNECTED');
    const h = harness();
    const event = withResult(createEvent(cloudHsmProps()), { PhysicalResourceId: ID, StartedAt: new Date(h.now).toISOString() });
    expect(await h.isComplete(event)).toEqual({ IsComplete: false });
    expect(kmsMock).toHaveReceivedCommandTimes(ConnectCustomKeyStoreCommand, 1);
    expect(await h.isComplete(event)).toEqual({ IsComplete: false });
    expect(await h.isComplete(event)).toEqual({ IsComplete: true, Data: { CustomKeyStoreId: ID, ConnectionState: 'CONNECTED' } });
    expect(kmsMock).toHaveReceivedCommandTimes(ConnectCustomKeyStoreCommand, 1);
  });

  test('a FAILED connection fails with the ConnectionErrorCode and what to fix', async () => {
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [store(ID, 'FAILED', { ConnectionErrorCode: 'INVALID_CREDENTIALS' })] });
    const h = harness();
    await expect(h.isComplete(withResult(createEvent(cloudHsmProps()), { PhysicalResourceId: ID }))).rejects.toThrow(
      /failed to connect \(ConnectionErrorCode INVALID_CREDENTIALS\): KMS could not log in as kmsuser: .* in a new secret .* The store exists and is FAILED/,
    );
  });

  test('connected: false completes at DISCONNECTED without connecting', async () => {
    storeStates(ID, 'DISCONNECTED');
    const result = await harness().isComplete(withResult(createEvent(cloudHsmProps({ Connected: 'false' })), { PhysicalResourceId: ID }));
    expect(result.IsComplete).toBe(true);
    expect(kmsMock).not.toHaveReceivedCommand(ConnectCustomKeyStoreCommand);
  });

  test('a retried create that finds its own fresh store by name adopts it instead of failing', async () => {
    kmsMock
      .on(CreateCustomKeyStoreCommand)
      .rejectsOnce(new KMSInternalException({ message: 'internal', ...meta }))
      .rejects(new CustomKeyStoreNameInUseException({ message: 'name in use', ...meta }));
    kmsMock.on(DescribeCustomKeyStoresCommand, { CustomKeyStoreName: 'payments-hsm' }).resolves({ CustomKeyStores: [store(ID, 'DISCONNECTED', { CreationDate: new Date('2026-11-22T11:59:58Z') })] });
    const result = await harness().onEvent(createEvent(cloudHsmProps()));
    expect(result.PhysicalResourceId).toBe(ID);
  });

  test.each([
    ['backed by another cluster', { CloudHsmClusterId: 'cluster-7zzzzzzzzzz' }],
    ['made an hour ago', { CreationDate: new Date('2026-11-22T11:00:00Z') }],
  ])('a name taken by a store %s is not adopted', async (_what, extra) => {
    kmsMock.on(CreateCustomKeyStoreCommand).rejects(new CustomKeyStoreNameInUseException({ message: 'name in use', ...meta }));
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [store(ID, 'CONNECTED', extra)] });
    await expect(harness().onEvent(createEvent(cloudHsmProps()))).rejects.toThrow(/^CustomKeyStoreNameInUseException: name in use .*no store was created.*choose another customKeyStoreName/);
  });

  test('a replayed create adopts the store the first delivery made, whatever its state', async () => {
    kmsMock.on(CreateCustomKeyStoreCommand).rejects(new CustomKeyStoreNameInUseException({ message: 'name in use', ...meta }));
    kmsMock.on(DescribeCustomKeyStoresCommand, { CustomKeyStoreName: 'payments-hsm' }).resolves({ CustomKeyStores: [store(ID, 'CONNECTED')] });
    expect((await harness().onEvent(createEvent(cloudHsmProps()))).PhysicalResourceId).toBe(ID);
  });

  test('throttling is retried with backoff in onEvent', async () => {
    kmsMock
      .on(CreateCustomKeyStoreCommand)
      .rejectsOnce(awsError('ThrottlingException', 'Rate exceeded'))
      .rejectsOnce(awsError('ThrottlingException', 'Rate exceeded'))
      .resolves({ CustomKeyStoreId: ID });
    const h = harness();
    expect((await h.onEvent(createEvent(cloudHsmProps()))).PhysicalResourceId).toBe(ID);
    expect(kmsMock).toHaveReceivedCommandTimes(CreateCustomKeyStoreCommand, 3);
  });

  test('a throttled or failing DescribeCustomKeyStores in isComplete means "not yet", never a failure', async () => {
    kmsMock.on(DescribeCustomKeyStoresCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    const result = await harness().isComplete(withResult(createEvent(cloudHsmProps()), { PhysicalResourceId: ID }));
    expect(result).toEqual({ IsComplete: false });
  });

  test('gives up with the store state once the wait timeout has passed', async () => {
    storeStates(ID, 'CONNECTING');
    const h = harness();
    const event = withResult(createEvent(cloudHsmProps({ WaitTimeoutSeconds: '600' })), { PhysicalResourceId: ID, StartedAt: new Date(h.now - 11 * 60_000).toISOString() });
    await expect(h.isComplete(event)).rejects.toThrow(/^WaitTimedOut: custom key store cks-1234567890abcdef0 did not reach .* within 10 minutes; it is CONNECTING/);
  });
});

describe('Create: less travelled branches', () => {
  test('a connect KMS rejects outright fails with advice', async () => {
    storeStates(ID, 'DISCONNECTED');
    kmsMock.on(ConnectCustomKeyStoreCommand).rejects(awsError('CloudHsmClusterNotActiveException', 'not active'));
    await expect(harness().isComplete(withResult(createEvent(cloudHsmProps()), { PhysicalResourceId: ID }))).rejects.toThrow(/it stays DISCONNECTED\. Activate the cluster and deploy again/);
  });

  test('a store that disappears while connecting', async () => {
    kmsMock.on(DescribeCustomKeyStoresCommand).rejects(new CustomKeyStoreNotFoundException({ message: 'gone', ...meta }));
    await expect(harness().isComplete(withResult(createEvent(cloudHsmProps()), { PhysicalResourceId: ID }))).rejects.toThrow(/disappeared while waiting for it/);
  });

  test.each([
    ['LimitExceededException', /already has 10 custom key stores/],
    ['IncorrectTrustAnchorException', /Fix the CloudHSM cluster/],
    ['AccessDeniedException', /Fix the cause and deploy again/],
  ])('%s on create says what to do', async (name, advice) => {
    kmsMock.on(CreateCustomKeyStoreCommand).rejects(awsError(name, 'rejected'));
    await expect(harness().onEvent(createEvent(cloudHsmProps()))).rejects.toThrow(advice);
  });

  test('an external store of ours from an earlier attempt is adopted by its proxy URI', async () => {
    kmsMock.on(CreateCustomKeyStoreCommand).rejects(awsError('CustomKeyStoreNameInUseException', 'in use'));
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({
      CustomKeyStores: [store(ID, 'DISCONNECTED', { CustomKeyStoreType: 'EXTERNAL_KEY_STORE', XksProxyConfiguration: { UriEndpoint: 'https://xks.example.com', UriPath: '/payments/kms/xks/v1' } })],
    });
    expect((await harness().onEvent(createEvent(externalProps()))).PhysicalResourceId).toBe(ID);
  });
});

describe('a retried create finds its own store, and only its own', () => {
  test('external: XksProxyUriInUse from the first attempt\'s store is adopted', async () => {
    kmsMock.on(CreateCustomKeyStoreCommand).rejects(awsError('XksProxyUriInUseException', 'in use'));
    kmsMock.on(DescribeCustomKeyStoresCommand, { CustomKeyStoreName: 'payments-xks' }).resolves({
      CustomKeyStores: [store(ID, 'DISCONNECTED', { CustomKeyStoreName: 'payments-xks', CustomKeyStoreType: 'EXTERNAL_KEY_STORE', XksProxyConfiguration: { UriEndpoint: 'https://xks.example.com', UriPath: '/payments/kms/xks/v1' } })],
    });
    const h = harness();
    expect((await h.onEvent(createEvent(externalProps()))).PhysicalResourceId).toBe(ID);
    expect(h.logs.join('\n')).toMatch(/"step":"adopted"/);
  });

  test('external: a store of another name holding the proxy URI is not adopted', async () => {
    kmsMock.on(CreateCustomKeyStoreCommand).rejects(awsError('XksProxyUriInUseException', 'in use'));
    // The store holding the proxy URI is another stack's, under another name: a listing shows it,
    // a lookup by our name finds nothing.
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({
      CustomKeyStores: [store('cks-0fedcba9876543210', 'CONNECTED', { CustomKeyStoreName: 'other-xks', CustomKeyStoreType: 'EXTERNAL_KEY_STORE', XksProxyConfiguration: { UriEndpoint: 'https://xks.example.com', UriPath: '/payments/kms/xks/v1' } })],
    });
    kmsMock.on(DescribeCustomKeyStoresCommand, { CustomKeyStoreName: 'payments-xks' }).rejects(new CustomKeyStoreNotFoundException({ message: 'no such name', ...meta }));
    await expect(harness().onEvent(createEvent(externalProps()))).rejects.toThrow(/^XksProxyUriInUseException: in use \(creating custom key store 'payments-xks'; no store was created\. Another external key store/);
  });

  test.each([
    ['14 minutes old: adopted', 14, true],
    ['16 minutes old: someone else\'s', 16, false],
  ])('a store of our name, type and cluster %s (the adoption window is 15 minutes)', async (_name, minutes, adopted) => {
    kmsMock.on(CreateCustomKeyStoreCommand).rejects(awsError('CustomKeyStoreNameInUseException', 'in use'));
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [store(ID, 'DISCONNECTED', { CreationDate: new Date(T0 - minutes * 60_000) })] });
    const outcome = harness().onEvent(createEvent(cloudHsmProps()));
    if (adopted) {
      expect((await outcome).PhysicalResourceId).toBe(ID);
    } else {
      await expect(outcome).rejects.toThrow(/^CustomKeyStoreNameInUseException: in use \(creating custom key store 'payments-hsm'; no store was created/);
    }
  });

  test('CloudHSM: KMS answers with an older matching store: refused, nothing adopted', async () => {
    kmsMock.on(CreateCustomKeyStoreCommand).resolves({ CustomKeyStoreId: ID });
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [store(ID, 'DISCONNECTED', { CreationDate: new Date(T0 - 86_400_000) })] });
    await expect(harness().onEvent(createEvent(cloudHsmProps()))).rejects.toThrow(/^CustomKeyStoreAlreadyExists: .* cks-1234567890abcdef0, which already existed \(made 2026-11-21T12:00:00\.000Z\)/);
  });
});

describe('reads that lag behind a create', () => {
  test('a store not visible yet right after its create is "not yet"; after the grace period it is gone', async () => {
    kmsMock.on(DescribeCustomKeyStoresCommand).rejects(new CustomKeyStoreNotFoundException({ message: 'not found', ...meta }));
    const fresh = withResult(createEvent(cloudHsmProps()), { PhysicalResourceId: ID, StartedAt: new Date(T0 - 60_000).toISOString() });
    expect(await harness().isComplete(fresh)).toEqual({ IsComplete: false });
    const old = withResult(createEvent(cloudHsmProps()), { PhysicalResourceId: ID, StartedAt: new Date(T0 - 6 * 60_000).toISOString() });
    await expect(harness().isComplete(old)).rejects.toThrow(/^CustomKeyStoreNotFoundException: .* disappeared while waiting for it/);
  });
});

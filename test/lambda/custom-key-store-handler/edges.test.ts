/** The handler's less travelled branches: each one a situation a real deployment can meet. */
import {
  ConnectCustomKeyStoreCommand,
  CreateCustomKeyStoreCommand,
  CustomKeyStoreHasCMKsException,
  CustomKeyStoreInvalidStateException,
  CustomKeyStoreNotFoundException,
  DeleteCustomKeyStoreCommand,
  DescribeCustomKeyStoresCommand,
  DescribeKeyCommand,
  DisconnectCustomKeyStoreCommand,
  KMSClient,
  ListKeysCommand,
  UpdateCustomKeyStoreCommand,
} from '@aws-sdk/client-kms';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import 'aws-sdk-client-mock-jest';
import { capBytes, explain } from '../../../lambda/shared/errors';
import * as handler from '../../../lambda/custom-key-store-handler/index';
import { findKeysInStore } from '../../../lambda/custom-key-store-handler/key-scanner';
import { RateLimiter } from '../../../lambda/custom-key-store-handler/rate-limiter';
import { CallStats, isTransient, withRetry } from '../../../lambda/shared/retry';
import { cloudHsmProps, createEvent, CREDENTIAL_ARN, deleteEvent, externalProps, PASSWORD_ARN, updateEvent, withResult } from '../../fixtures/events';
import { awsError, harness, kmsCalls, kmsMock, resetMocks, smMock, store, storeStates } from './harness';

const ID = 'cks-1234567890abcdef0';
const meta = { $metadata: {} };
const hasCmks = (): Error => new CustomKeyStoreHasCMKsException({ message: 'has keys', ...meta });
const invalidState = (): Error => new CustomKeyStoreInvalidStateException({ message: 'state', ...meta });

beforeEach(resetMocks);

describe('entry points', () => {
  test('index.onEvent and index.isComplete run a create with the module\'s own clients', async () => {
    kmsMock.on(CreateCustomKeyStoreCommand).resolves({ CustomKeyStoreId: ID });
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [store(ID, 'CONNECTED', { CreationDate: new Date() })] });
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    process.env.AWS_REGION = 'us-east-1';
    const event = createEvent(cloudHsmProps());
    const result = await handler.onEvent(event);
    expect(await handler.isComplete(withResult(event, result))).toEqual({ IsComplete: true, Data: { CustomKeyStoreId: ID, ConnectionState: 'CONNECTED' } });
    expect(log.mock.calls.map((c) => String(c[0])).join('\n')).toMatch(/"phase":"onEvent"/);
    log.mockRestore();
  });

  test('an unexpected error is reported with the request, the phase and what to do', async () => {
    kmsMock.on(DescribeCustomKeyStoresCommand).rejects(new TypeError('socket exploded'));
    await expect(harness().onEvent(deleteEvent(ID, cloudHsmProps()))).rejects.toThrow(
      /^TypeError: socket exploded \(during Delete onEvent of cks-1234567890abcdef0; the store is as the last completed step left it, see the handler's log, and the deployment can be retried\)$/,
    );
  });

  test('isComplete with an unknown RequestType', async () => {
    await expect(harness().isComplete({ ...createEvent(cloudHsmProps()), RequestType: 'Replace' })).rejects.toThrow(/RequestType 'Replace' is not Create, Update or Delete/);
  });
});

describe('update', () => {
  test('isComplete after a replacement waits on the new store as a create does', async () => {
    storeStates('cks-00000000000000new', 'DISCONNECTED');
    const h = harness();
    const event = withResult(updateEvent(ID, cloudHsmProps(), cloudHsmProps({ CustomKeyStoreName: 'n2' })), { PhysicalResourceId: 'cks-00000000000000new', Replacement: true });
    expect((await h.isComplete(event)).IsComplete).toBe(false);
    expect(kmsMock).toHaveReceivedCommandWith(ConnectCustomKeyStoreCommand, { CustomKeyStoreId: 'cks-00000000000000new' });
  });

  test('a throttled poll is "not yet"; a store deleted meanwhile is a clear failure', async () => {
    const event = withResult(updateEvent(ID, cloudHsmProps(), cloudHsmProps({ Connected: 'false' })), { PhysicalResourceId: ID });
    // Throttled on every retry of this poll.
    kmsMock.on(DescribeCustomKeyStoresCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    const h = harness();
    expect(await h.isComplete(event)).toEqual({ IsComplete: false });
    kmsMock.on(DescribeCustomKeyStoresCommand).rejects(new CustomKeyStoreNotFoundException({ message: 'gone', ...meta }));
    await expect(h.isComplete(event)).rejects.toThrow(/^CustomKeyStoreNotFoundException: custom key store cks-1234567890abcdef0 \('payments-hsm'\) no longer exists, so it cannot be updated/);
  });

  test('onEvent for a store that no longer exists changes nothing and says so', async () => {
    kmsMock.on(DescribeCustomKeyStoresCommand).rejects(new CustomKeyStoreNotFoundException({ message: 'gone', ...meta }));
    await expect(harness().onEvent(updateEvent(ID, cloudHsmProps(), cloudHsmProps({ CustomKeyStoreName: 'x' })))).rejects.toThrow(/no longer exists, so it cannot be updated; nothing was changed/);
  });

  test('KMS still shows the old settings while CONNECTED: disconnect again', async () => {
    storeStates(ID, 'CONNECTED');
    const event = withResult(updateEvent(ID, cloudHsmProps(), cloudHsmProps({ CloudHsmClusterId: 'cluster-3b34c5defgh' })), { PhysicalResourceId: ID, PriorConnectionState: 'CONNECTED', UpdateApplied: false });
    expect((await harness().isComplete(event)).IsComplete).toBe(false);
    expect(kmsMock).toHaveReceivedCommandTimes(DisconnectCustomKeyStoreCommand, 1);
    expect(kmsMock).not.toHaveReceivedCommand(UpdateCustomKeyStoreCommand);
  });

  test('KMS says the store is not DISCONNECTED after all: try the update next poll', async () => {
    storeStates(ID, 'DISCONNECTED');
    kmsMock.on(UpdateCustomKeyStoreCommand).rejects(invalidState());
    const event = withResult(updateEvent(ID, cloudHsmProps(), cloudHsmProps({ CloudHsmClusterId: 'cluster-3b34c5defgh' })), { PhysicalResourceId: ID, PriorConnectionState: 'CONNECTED' });
    expect((await harness().isComplete(event)).IsComplete).toBe(false);
    expect(kmsMock).not.toHaveReceivedCommand(ConnectCustomKeyStoreCommand);
  });

  test('an unrelated cluster: the store is reconnected with its old settings before the update fails', async () => {
    storeStates(ID, 'DISCONNECTED');
    kmsMock.on(UpdateCustomKeyStoreCommand).rejects(awsError('CloudHsmClusterNotRelatedException', 'not related'));
    const event = withResult(updateEvent(ID, cloudHsmProps(), cloudHsmProps({ CloudHsmClusterId: 'cluster-3b34c5defgh' })), { PhysicalResourceId: ID, PriorConnectionState: 'CONNECTED' });
    await expect(harness().isComplete(event)).rejects.toThrow(/^CloudHsmClusterNotRelatedException: not related .*must share the backup lineage.* The store is being reconnected with its previous settings/);
    expect(kmsMock).toHaveReceivedCommandTimes(ConnectCustomKeyStoreCommand, 1);
  });

  test('a rename the account cannot take fails in onEvent, naming the cause', async () => {
    storeStates(ID, 'CONNECTED');
    kmsMock.on(UpdateCustomKeyStoreCommand).rejects(awsError('CustomKeyStoreNameInUseException', 'in use'));
    await expect(harness().onEvent(updateEvent(ID, cloudHsmProps(), cloudHsmProps({ CustomKeyStoreName: 'taken' })))).rejects.toThrow(/which is CONNECTED; the update was not applied\. Another custom key store has the new name/);
  });

  test('a store FAILED before a rename is disconnected for it (KMS changes nothing in FAILED), renamed, and left FAILED if it fails again', async () => {
    let renamed = false;
    const states = ['FAILED', 'DISCONNECTING', 'DISCONNECTED', 'CONNECTING', 'FAILED'];
    let call = 0;
    kmsMock.on(DescribeCustomKeyStoresCommand).callsFake(() => {
      const state = states[Math.min(call++, states.length - 1)];
      return { CustomKeyStores: [store(ID, state, { CustomKeyStoreName: renamed ? 'renamed' : 'payments-hsm', ...(state === 'FAILED' ? { ConnectionErrorCode: 'NETWORK_ERRORS' } : {}) })] };
    });
    kmsMock.on(UpdateCustomKeyStoreCommand).callsFake(() => {
      renamed = true;
      return {};
    });
    const h = harness();
    const event = updateEvent(ID, cloudHsmProps(), cloudHsmProps({ CustomKeyStoreName: 'renamed' }));
    const result = await h.onEvent(event);
    expect(result).toMatchObject({ PriorConnectionState: 'FAILED', UpdateApplied: false });
    expect(kmsMock).toHaveReceivedCommandTimes(DisconnectCustomKeyStoreCommand, 1);
    expect(kmsMock).not.toHaveReceivedCommand(UpdateCustomKeyStoreCommand);
    const next = withResult(event, result);
    expect((await h.isComplete(next)).IsComplete).toBe(false); // DISCONNECTED: rename, connect
    expect(kmsMock).toHaveReceivedCommandWith(UpdateCustomKeyStoreCommand, { CustomKeyStoreId: ID, NewCustomKeyStoreName: 'renamed' });
    expect((await h.isComplete(next)).IsComplete).toBe(false); // CONNECTING
    expect(await h.isComplete(next)).toEqual({ IsComplete: true, Data: { CustomKeyStoreId: ID, ConnectionState: 'FAILED' } });
    expect(kmsMock).toHaveReceivedCommandTimes(UpdateCustomKeyStoreCommand, 1);
  });

  test('moving a VPC endpoint service back to this account sends the stack\'s account as the owner', async () => {
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [store(ID, 'DISCONNECTED', { CustomKeyStoreType: 'EXTERNAL_KEY_STORE' })] });
    const vpc = { XksProxyConnectivity: 'VPC_ENDPOINT_SERVICE', XksProxyVpcEndpointServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0', Connected: 'false' };
    await harness().onEvent(updateEvent(ID, externalProps({ ...vpc, XksProxyVpcEndpointServiceOwner: '444455556666' }), externalProps(vpc)));
    expect(kmsMock).toHaveReceivedCommandWith(UpdateCustomKeyStoreCommand, {
      XksProxyConnectivity: 'VPC_ENDPOINT_SERVICE',
      XksProxyVpcEndpointServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0',
      XksProxyVpcEndpointServiceOwner: '111122223333',
    });
  });

  test('onEvent waits, gently, until KMS shows the disconnect it asked for', async () => {
    storeStates(ID, 'CONNECTED', 'CONNECTED', 'CONNECTED', 'DISCONNECTING');
    const result = await harness().onEvent(updateEvent(ID, cloudHsmProps(), cloudHsmProps({ CloudHsmClusterId: 'cluster-3b34c5defgh' })));
    expect(result.PriorConnectionState).toBe('CONNECTED');
    // The state check, then one look a settle interval until KMS stops showing CONNECTED.
    expect(kmsCalls()).toEqual(['DescribeCustomKeyStores', 'DisconnectCustomKeyStore', 'DescribeCustomKeyStores', 'DescribeCustomKeyStores', 'DescribeCustomKeyStores']);
  });

  test('a disconnect KMS rejects for another reason is reported with the store unchanged', async () => {
    storeStates(ID, 'CONNECTED');
    kmsMock.on(DisconnectCustomKeyStoreCommand).rejects(awsError('AccessDeniedException', 'no'));
    await expect(harness().onEvent(updateEvent(ID, cloudHsmProps(), cloudHsmProps({ Connected: 'false', CloudHsmClusterId: 'cluster-3b34c5defgh' })))).rejects.toThrow(
      /^AccessDeniedException: no \(disconnecting custom key store cks-1234567890abcdef0; its connection state did not change\)/,
    );
  });
});

describe('create', () => {
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

  test('secrets that cannot be used', async () => {
    smMock.on(GetSecretValueCommand, { SecretId: PASSWORD_ARN }).resolves({ SecretBinary: new Uint8Array([1]) });
    await expect(harness().onEvent(createEvent(cloudHsmProps()))).rejects.toThrow(/has no SecretString \(binary secrets are not supported\)/);
    smMock.on(GetSecretValueCommand, { SecretId: CREDENTIAL_ARN }).resolves({ SecretString: JSON.stringify({ accessKeyId: 'lowercase-is-wrong-here', secretAccessKey: 'x'.repeat(43) }) });
    await expect(harness().onEvent(createEvent(externalProps()))).rejects.toThrow(/'accessKeyId' in secret .* is not valid: the value does not match; expected 20-30 characters of \[A-Z2-7\]/);
  });

  test.each([
    [{ XksProxyConnectivity: 'INTERNET' }, /XksProxyConnectivity is 'INTERNET'; expected PUBLIC_ENDPOINT or VPC_ENDPOINT_SERVICE/],
    [{ WaitTimeoutSeconds: '7200' }, /WaitTimeoutSeconds is '7200'; expected a whole number of seconds from 60 to 3300/],
  ])('malformed %j', async (override, message) => {
    await expect(harness().onEvent(createEvent(externalProps(override)))).rejects.toThrow(message);
  });
});

describe('delete', () => {
  test('a throttled poll is "not yet"', async () => {
    kmsMock.on(DescribeCustomKeyStoresCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    expect(await harness().isComplete(withResult(deleteEvent(ID, cloudHsmProps()), { PriorConnectionState: 'CONNECTED' }))).toEqual({ IsComplete: false });
  });

  test('a store FAILED before the delete: keys found after the disconnect leave it DISCONNECTED, and say why', async () => {
    storeStates(ID, 'DISCONNECTED');
    kmsMock.on(DeleteCustomKeyStoreCommand).rejects(hasCmks());
    kmsMock.on(ListKeysCommand).resolves({ Keys: [{ KeyId: 'k1' }] });
    kmsMock.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: 'k1', CustomKeyStoreId: ID, KeyState: 'Unavailable' } });
    await expect(harness().isComplete(withResult(deleteEvent(ID, cloudHsmProps()), { PriorConnectionState: 'FAILED' }))).rejects.toThrow(
      /k1 \(Unavailable\)\. The store is DISCONNECTED \(it was FAILED before the delete and cannot be put back in that state\)/,
    );
    expect(kmsMock).not.toHaveReceivedCommand(ConnectCustomKeyStoreCommand);
  });

  test('KMS still shows CONNECTED after the disconnect and no key is there: disconnect again', async () => {
    storeStates(ID, 'CONNECTED');
    expect((await harness().isComplete(withResult(deleteEvent(ID, cloudHsmProps()), { PriorConnectionState: 'CONNECTED' }))).IsComplete).toBe(false);
    expect(kmsMock).toHaveReceivedCommandTimes(DisconnectCustomKeyStoreCommand, 1);
  });

  test('a delete that finds the store already gone, and one KMS refuses', async () => {
    storeStates(ID, 'DISCONNECTED');
    kmsMock.on(DeleteCustomKeyStoreCommand).rejectsOnce(new CustomKeyStoreNotFoundException({ message: 'gone', ...meta })).rejects(awsError('AccessDeniedException', 'no'));
    const h = harness();
    const event = withResult(deleteEvent(ID, cloudHsmProps()), { PriorConnectionState: 'DISCONNECTED' });
    expect((await h.isComplete(event)).IsComplete).toBe(true);
    await expect(h.isComplete(event)).rejects.toThrow(/^AccessDeniedException: no \(deleting custom key store cks-1234567890abcdef0, which is DISCONNECTED; it was not deleted/);
  });

  test('the wait timeout applies to deletes, even when the properties cannot be read', async () => {
    storeStates(ID, 'DISCONNECTING');
    const h = harness();
    const started = new Date(h.now - 50 * 60_000).toISOString();
    await expect(h.isComplete(withResult(deleteEvent(ID, cloudHsmProps()), { StartedAt: started }))).rejects.toThrow(/^WaitTimedOut: .* within 45 minutes; it is DISCONNECTING/);
    expect(await h.isComplete(withResult(deleteEvent(ID, { Broken: 'yes' }), { StartedAt: started }))).toEqual({ IsComplete: false });
  });
});

describe('building blocks', () => {
  test('capBytes and explain keep messages short and named', () => {
    const long = 'é'.repeat(4000);
    const capped = capBytes(long, 3000);
    expect(Buffer.byteLength(capped)).toBeLessThanOrEqual(3000);
    expect(capped.endsWith(' [...]')).toBe(true);
    expect(explain('a string was thrown', 'while testing').message).toBe('Error: a string was thrown (while testing)');
  });

  test('the key scan pages through ListKeys, skips keys deleted meanwhile and stops on other errors', async () => {
    kmsMock.on(ListKeysCommand).resolvesOnce({ Keys: [{ KeyId: 'a' }, { KeyId: 'gone' }], Truncated: true, NextMarker: 'm1' }).resolves({ Keys: [{ KeyId: 'b' }], Truncated: false });
    kmsMock.on(DescribeKeyCommand).callsFake((input: { KeyId: string }) => {
      if (input.KeyId === 'gone') throw awsError('NotFoundException', 'deleted');
      return { KeyMetadata: { KeyId: input.KeyId, CustomKeyStoreId: ID, KeyState: 'Enabled' } };
    });
    const kms = new KMSClient({ region: 'us-east-1' });
    const result = await findKeysInStore(kms, ID, { describeRatePerSecond: 100_000 });
    expect(result.keys.map((k) => k.keyId)).toEqual(['a', 'b']);
    expect(result.scanned).toBe(2);
    expect(kmsMock).toHaveReceivedCommandWith(ListKeysCommand, { Marker: 'm1' });

    kmsMock.on(DescribeKeyCommand).rejects(awsError('KMSInvalidStateException', 'no'));
    await expect(findKeysInStore(kms, ID, { describeRatePerSecond: 100_000 })).rejects.toThrow('no');
  });

  test('the key scan counts keys whose key policy denies DescribeKey, and goes on', async () => {
    kmsMock.on(ListKeysCommand).resolves({ Keys: [{ KeyId: 'a' }, { KeyId: 'locked-2' }, { KeyId: 'b' }, { KeyId: 'locked-1' }], Truncated: false });
    kmsMock.on(DescribeKeyCommand).callsFake((input: { KeyId: string }) => {
      if (input.KeyId.startsWith('locked')) throw awsError('AccessDeniedException', 'no resource-based policy allows the kms:DescribeKey action');
      return { KeyMetadata: { KeyId: input.KeyId, CustomKeyStoreId: input.KeyId === 'a' ? ID : undefined, KeyState: 'Enabled' } };
    });
    const result = await findKeysInStore(new KMSClient({ region: 'us-east-1' }), ID, { describeRatePerSecond: 100_000 });
    expect(result.keys.map((k) => k.keyId)).toEqual(['a']);
    expect(result.unreadable).toEqual(['locked-1', 'locked-2']);
    expect(result.scanned).toBe(2);
  });

  test('the rate limiter spaces calls to its rate', async () => {
    let now = 0;
    const limiter = new RateLimiter(100, () => now, (ms) => {
      now += ms;
      return Promise.resolve();
    });
    for (let i = 0; i < 12; i++) await limiter.acquire();
    // Slots 10 ms apart; an idle limiter lends two slots of burst: the 12th call starts at 90 ms.
    expect(now).toBe(90);
    expect(() => new RateLimiter(0)).toThrow('ratePerSecond must be positive');
  });

  test('retries: what is transient, and when to give up', async () => {
    expect(isTransient('text')).toBe(false);
    expect(isTransient({ code: 'ECONNRESET' })).toBe(true);
    expect(isTransient({ $metadata: { httpStatusCode: 503 } })).toBe(true);
    expect(isTransient({ name: 'Error', $metadata: { attempts: 1 } })).toBe(true); // no HTTP response at all
    expect(isTransient({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } })).toBe(false);
    const stats = new CallStats();
    const delays: number[] = [];
    const failing = (): Promise<never> => Promise.reject(awsError('ThrottlingException', 'Rate exceeded'));
    await expect(withRetry(failing, { stats, policy: { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 250 }, random: () => 0.999, sleep: (ms) => { delays.push(ms); return Promise.resolve(); } })).rejects.toThrow('Rate exceeded');
    expect(stats).toMatchObject({ calls: 4, retries: 3, throttled: 3 });
    expect(delays).toEqual([99, 199, 249]);
  });
});

import {
  ConnectCustomKeyStoreCommand,
  CreateCustomKeyStoreCommand,
  CustomKeyStoreHasCMKsException,
  CustomKeyStoreInvalidStateException,
  CustomKeyStoreNameInUseException,
  CustomKeyStoreNotFoundException,
  DeleteCustomKeyStoreCommand,
  DescribeCustomKeyStoresCommand,
  DisconnectCustomKeyStoreCommand,
  KMSInternalException,
  UpdateCustomKeyStoreCommand,
} from '@aws-sdk/client-kms';
import 'aws-sdk-client-mock-jest';
import {
  CANARY_ACCESS_KEY_ID,
  CANARY_PASSWORD,
  CANARY_SECRET_KEY,
  cloudHsmProps,
  createEvent,
  deleteEvent,
  externalProps,
  NEW_CREDENTIAL_ARN,
  NEW_PASSWORD_ARN,
  OTHER_TRUST_ANCHOR,
  updateEvent,
  withResult,
} from '../../fixtures/events';
import { accountKeys, awsError, harness, kmsCalls, kmsMock, resetMocks, store, storeStates } from './harness';

const ID = 'cks-1234567890abcdef0';
const meta = { $metadata: {} };

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

describe('Update', () => {
  test('a new name is changed in place while connected', async () => {
    storeStates(ID, 'CONNECTED');
    const h = harness();
    const event = updateEvent(ID, cloudHsmProps(), cloudHsmProps({ CustomKeyStoreName: 'payments-hsm-2' }));
    const result = await h.onEvent(event);
    expect(result.PhysicalResourceId).toBe(ID);
    expect(kmsMock).toHaveReceivedCommandWith(UpdateCustomKeyStoreCommand, { CustomKeyStoreId: ID, NewCustomKeyStoreName: 'payments-hsm-2' });
    expect(kmsMock.commandCalls(UpdateCustomKeyStoreCommand)[0].args[0].input).not.toHaveProperty('KeyStorePassword');
    expect(kmsMock).not.toHaveReceivedCommand(DisconnectCustomKeyStoreCommand);
    expect((await h.isComplete(withResult(event, result))).IsComplete).toBe(true);
  });

  test('an external store changes its path and credential while connected', async () => {
    storeStates(ID, 'CONNECTED');
    await harness().onEvent(updateEvent(ID, externalProps(), externalProps({ XksProxyUriPath: '/v2/kms/xks/v1', XksProxyCredentialSecretArn: NEW_CREDENTIAL_ARN })));
    const input = kmsMock.commandCalls(UpdateCustomKeyStoreCommand)[0].args[0].input;
    expect(input.XksProxyUriPath).toBe('/v2/kms/xks/v1');
    expect(input.XksProxyAuthenticationCredential?.AccessKeyId).toBe(CANARY_ACCESS_KEY_ID.replace('CANARY', 'CANARX'));
    expect(input.XksProxyUriEndpoint).toBeUndefined();
    expect(kmsMock).not.toHaveReceivedCommand(DisconnectCustomKeyStoreCommand);
  });

  test('a new password: onEvent disconnects, waits for DISCONNECTED and sends it once; isComplete reconnects', async () => {
    storeStates(ID, 'CONNECTED', 'DISCONNECTING', 'DISCONNECTING', 'DISCONNECTED', 'DISCONNECTED', 'CONNECTED');
    const h = harness();
    const event = updateEvent(ID, cloudHsmProps(), cloudHsmProps({ KeyStorePasswordSecretArn: NEW_PASSWORD_ARN }));
    const result = await h.onEvent(event);
    expect(kmsCalls()).toEqual(['DescribeCustomKeyStores', 'DisconnectCustomKeyStore', 'DescribeCustomKeyStores', 'DescribeCustomKeyStores', 'DescribeCustomKeyStores', 'UpdateCustomKeyStore']);
    expect(kmsMock).toHaveReceivedCommandWith(UpdateCustomKeyStoreCommand, { CustomKeyStoreId: ID, KeyStorePassword: `${CANARY_PASSWORD}-new` });
    expect(result).toMatchObject({ PriorConnectionState: 'CONNECTED', UpdateApplied: true, Rollback: false });
    const next = withResult(event, result);
    expect((await h.isComplete(next)).IsComplete).toBe(false); // DISCONNECTED: connect
    expect(kmsMock).toHaveReceivedCommandTimes(ConnectCustomKeyStoreCommand, 1);
    expect((await h.isComplete(next)).IsComplete).toBe(true); // CONNECTED
    expect(kmsMock).toHaveReceivedCommandTimes(UpdateCustomKeyStoreCommand, 1);
  });

  test('a password is never sent from isComplete, even when a read shows the store CONNECTED before the disconnect', async () => {
    // The stale read: onEvent applied the password; isComplete must not apply it again.
    storeStates(ID, 'CONNECTED', 'DISCONNECTED', 'CONNECTED');
    const h = harness();
    const event = updateEvent(ID, cloudHsmProps(), cloudHsmProps({ KeyStorePasswordSecretArn: NEW_PASSWORD_ARN }));
    const next = withResult(event, await h.onEvent(event));
    expect(await h.isComplete(next)).toEqual({ IsComplete: true, Data: { CustomKeyStoreId: ID, ConnectionState: 'CONNECTED' } });
    expect(kmsMock).toHaveReceivedCommandTimes(UpdateCustomKeyStoreCommand, 1);
  });

  test('a password update whose disconnect does not show in time fails without sending it, and reconnects the store', async () => {
    storeStates(ID, 'CONNECTED', 'DISCONNECTING');
    const h = harness();
    kmsMock.on(DisconnectCustomKeyStoreCommand).callsFake(() => {
      h.now += 60_000;
      return {};
    });
    const event = updateEvent(ID, cloudHsmProps({ WaitTimeoutSeconds: '60' }), cloudHsmProps({ WaitTimeoutSeconds: '60', KeyStorePasswordSecretArn: NEW_PASSWORD_ARN }));
    await expect(h.onEvent(event)).rejects.toThrow(/^DisconnectTimedOut: custom key store .* did not reach DISCONNECTED within 60 s, so KeyStorePassword was not updated .* The store is DISCONNECTING and is being reconnected/);
    expect(kmsMock).not.toHaveReceivedCommand(UpdateCustomKeyStoreCommand);
    expect(kmsMock).toHaveReceivedCommandTimes(ConnectCustomKeyStoreCommand, 1);
  });

  test('a store already DISCONNECTED gets the offline change in onEvent, then isComplete connects it', async () => {
    storeStates(ID, 'DISCONNECTED', 'DISCONNECTED', 'CONNECTED');
    const h = harness();
    const event = updateEvent(ID, cloudHsmProps(), cloudHsmProps({ CloudHsmClusterId: 'cluster-3b34c5defgh' }));
    const result = await h.onEvent(event);
    expect(result.UpdateApplied).toBe(true);
    expect(kmsMock).toHaveReceivedCommandWith(UpdateCustomKeyStoreCommand, { CloudHsmClusterId: 'cluster-3b34c5defgh' });
    expect((await h.isComplete(withResult(event, result))).IsComplete).toBe(false);
    expect(kmsMock).toHaveReceivedCommandTimes(UpdateCustomKeyStoreCommand, 1);
    expect(kmsMock).toHaveReceivedCommandTimes(ConnectCustomKeyStoreCommand, 1);
  });

  test('an external endpoint change is sent with its connectivity while disconnected', async () => {
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [store(ID, 'DISCONNECTED', { CustomKeyStoreType: 'EXTERNAL_KEY_STORE' })] });
    await harness().onEvent(updateEvent(ID, externalProps({ Connected: 'false' }), externalProps({ Connected: 'false', XksProxyUriEndpoint: 'https://xks2.example.com' })));
    expect(kmsMock).toHaveReceivedCommandWith(UpdateCustomKeyStoreCommand, { XksProxyUriEndpoint: 'https://xks2.example.com', XksProxyConnectivity: 'PUBLIC_ENDPOINT' });
  });

  test('connected true -> false disconnects and waits for DISCONNECTED', async () => {
    storeStates(ID, 'CONNECTED', 'CONNECTED', 'DISCONNECTING', 'DISCONNECTED');
    const h = harness();
    const event = updateEvent(ID, cloudHsmProps(), cloudHsmProps({ Connected: 'false' }));
    const next = withResult(event, await h.onEvent(event));
    expect((await h.isComplete(next)).IsComplete).toBe(false);
    expect(kmsMock).toHaveReceivedCommandTimes(DisconnectCustomKeyStoreCommand, 1);
    expect((await h.isComplete(next)).IsComplete).toBe(false);
    expect(await h.isComplete(next)).toEqual({ IsComplete: true, Data: { CustomKeyStoreId: ID, ConnectionState: 'DISCONNECTED' } });
    expect(kmsMock).not.toHaveReceivedCommand(UpdateCustomKeyStoreCommand);
  });

  test('a new store type with the same name fails before changing anything', async () => {
    storeStates(ID, 'CONNECTED');
    await expect(harness().onEvent(updateEvent(ID, cloudHsmProps(), externalProps({ CustomKeyStoreName: 'payments-hsm' })))).rejects.toThrow(
      /^ReplacementNeedsNewName: changing the store type .* Nothing was changed\. Change customKeyStoreName/,
    );
    expect(kmsCalls()).toEqual(['DescribeCustomKeyStores']);
  });

  test('the rollback of that failed update is an in-place no-op, not a second failure', async () => {
    storeStates(ID, 'CONNECTED');
    const h = harness();
    // CloudFormation's rollback: the old properties come back as the desired ones.
    const rollback = updateEvent(ID, externalProps({ CustomKeyStoreName: 'payments-hsm' }), cloudHsmProps());
    const result = await h.onEvent(rollback);
    expect(result.PhysicalResourceId).toBe(ID);
    expect((await h.isComplete(withResult(rollback, result))).IsComplete).toBe(true);
    expect(kmsCalls().filter((c) => c !== 'DescribeCustomKeyStores')).toEqual([]);
  });

  test('a new trust anchor with a new name and a new cluster creates a new store and returns its id', async () => {
    storeStates(ID, 'CONNECTED');
    kmsMock.on(CreateCustomKeyStoreCommand).resolves({ CustomKeyStoreId: 'cks-00000000000000new' });
    const result = await harness().onEvent(
      updateEvent(ID, cloudHsmProps(), cloudHsmProps({ CustomKeyStoreName: 'payments-hsm-v2', TrustAnchorCertificate: OTHER_TRUST_ANCHOR, CloudHsmClusterId: 'cluster-3b34c5defgh' })),
    );
    expect(result).toMatchObject({ PhysicalResourceId: 'cks-00000000000000new', Replacement: true });
    expect(kmsCalls()).toEqual(['DescribeCustomKeyStores', 'CreateCustomKeyStore', 'DescribeCustomKeyStores']);
  });

  test('a new trust anchor on the same cluster fails before touching anything: the old store holds the cluster', async () => {
    storeStates(ID, 'CONNECTED');
    await expect(
      harness().onEvent(updateEvent(ID, cloudHsmProps(), cloudHsmProps({ CustomKeyStoreName: 'payments-hsm-v2', TrustAnchorCertificate: OTHER_TRUST_ANCHOR }))),
    ).rejects.toThrow(/^ReplacementNeedsNewCluster: .* cluster cluster-2a23b4cdefg backs custom key store .* CloudHsmClusterInUseException\. Nothing was changed\./);
    expect(kmsCalls()).toEqual(['DescribeCustomKeyStores']);
  });
});

describe('Delete', () => {
  test('a PhysicalResourceId that is not a store id succeeds without a KMS call', async () => {
    const h = harness();
    const event = deleteEvent('AWSCDK::CustomResourceProviderFramework::CREATE_FAILED', cloudHsmProps());
    await h.onEvent(event);
    expect((await h.isComplete(event)).IsComplete).toBe(true);
    expect(kmsCalls()).toEqual([]);
  });

  test('a store that no longer exists is a successful delete', async () => {
    kmsMock.on(DescribeCustomKeyStoresCommand).rejects(new CustomKeyStoreNotFoundException({ message: 'not found', ...meta }));
    const h = harness();
    const event = deleteEvent(ID, cloudHsmProps());
    kmsMock.on(DeleteCustomKeyStoreCommand).rejects(new CustomKeyStoreNotFoundException({ message: 'not found', ...meta }));
    await h.onEvent(event);
    expect((await h.isComplete(event)).IsComplete).toBe(true);
    // A read may lag behind a create: only the delete itself says a store is gone.
    expect(kmsCalls()).toEqual(['DescribeCustomKeyStores', 'DeleteCustomKeyStore', 'DescribeCustomKeyStores', 'DeleteCustomKeyStore']);
  });

  test('a DISCONNECTED store is deleted at once', async () => {
    storeStates(ID, 'DISCONNECTED');
    await harness().onEvent(deleteEvent(ID, cloudHsmProps()));
    expect(kmsCalls()).toEqual(['DescribeCustomKeyStores', 'DeleteCustomKeyStore']);
  });

  test('keys in a CONNECTED store fail the delete cleanly, naming them, without disconnecting', async () => {
    storeStates(ID, 'CONNECTED');
    accountKeys([
      { id: '1234abcd-12ab-34cd-56ef-1234567890ab', store: ID },
      { id: '0987dcba-09fe-87dc-65ba-ab0987654321', store: ID, state: 'PendingDeletion', deletionDate: new Date('2026-12-01T00:00:00Z') },
      { id: 'ffffffff-0000-0000-0000-000000000000' },
      { id: 'eeeeeeee-0000-0000-0000-000000000000', store: 'cks-other0000000000' },
    ]);
    const error = await harness().onEvent(deleteEvent(ID, cloudHsmProps())).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^CustomKeyStoreHasCMKsException: custom key store cks-1234567890abcdef0 \('payments-hsm'\) still holds 2 KMS keys/);
    expect((error as Error).message).toContain('0987dcba-09fe-87dc-65ba-ab0987654321 (PendingDeletion, deleted on 2026-12-01T00:00:00.000Z)');
    expect((error as Error).message).toContain('1234abcd-12ab-34cd-56ef-1234567890ab (Enabled)');
    expect((error as Error).message).not.toContain('ffffffff');
    expect((error as Error).message).toContain('The store is CONNECTED, as it was before the delete; nothing was changed');
    expect(kmsMock).not.toHaveReceivedCommand(DisconnectCustomKeyStoreCommand);
    expect(kmsMock).not.toHaveReceivedCommand(DeleteCustomKeyStoreCommand);
  });

  test('an empty CONNECTED store is disconnected, waited for, then deleted', async () => {
    storeStates(ID, 'CONNECTED', 'DISCONNECTING', 'DISCONNECTED');
    const h = harness();
    const event = deleteEvent(ID, cloudHsmProps());
    const next = withResult(event, await h.onEvent(event));
    expect(kmsCalls()).toEqual(['DescribeCustomKeyStores', 'ListKeys', 'DisconnectCustomKeyStore']);
    expect((await h.isComplete(next)).IsComplete).toBe(false);
    expect((await h.isComplete(next)).IsComplete).toBe(true);
    expect(kmsCalls().slice(-2)).toEqual(['DescribeCustomKeyStores', 'DeleteCustomKeyStore']);
  });

  test('a key created between the check and the delete: the store is reconnected, then the delete fails cleanly', async () => {
    storeStates(ID, 'CONNECTED', 'DISCONNECTED', 'CONNECTING', 'CONNECTED');
    kmsMock.on(DeleteCustomKeyStoreCommand).rejects(new CustomKeyStoreHasCMKsException({ message: 'has keys', ...meta }));
    const h = harness();
    const event = deleteEvent(ID, cloudHsmProps());
    const next = withResult(event, await h.onEvent(event)); // no keys yet: disconnect
    accountKeys([{ id: 'late-key-0000-0000-0000-000000000000', store: ID }]);
    expect((await h.isComplete(next)).IsComplete).toBe(false); // DISCONNECTED: delete -> HasCMKs -> reconnect
    expect(kmsMock).toHaveReceivedCommandTimes(ConnectCustomKeyStoreCommand, 1);
    expect((await h.isComplete(next)).IsComplete).toBe(false); // CONNECTING
    await expect(h.isComplete(next)).rejects.toThrow(/^CustomKeyStoreHasCMKsException: .*late-key-0000-0000-0000-000000000000 \(Enabled\).*The store is CONNECTED, as it was before the delete/);
    expect(kmsMock).toHaveReceivedCommandTimes(DisconnectCustomKeyStoreCommand, 1);
  });

  test('a DISCONNECTED store with keys fails with the keys and stays DISCONNECTED', async () => {
    storeStates(ID, 'DISCONNECTED');
    kmsMock.on(DeleteCustomKeyStoreCommand).rejects(new CustomKeyStoreHasCMKsException({ message: 'has keys', ...meta }));
    accountKeys([{ id: 'k1', store: ID }]);
    await expect(harness().onEvent(deleteEvent(ID, cloudHsmProps()))).rejects.toThrow(/^CustomKeyStoreHasCMKsException: .*k1 \(Enabled\).*The store is DISCONNECTED/);
    expect(kmsMock).not.toHaveReceivedCommand(ConnectCustomKeyStoreCommand);
  });

  test('the key list is capped so the Reason stays under 4 KB', async () => {
    storeStates(ID, 'CONNECTED');
    accountKeys(Array.from({ length: 500 }, (_, i) => ({ id: `${String(i).padStart(8, '0')}-aaaa-bbbb-cccc-dddddddddddd`, store: ID })));
    const error = (await harness().onEvent(deleteEvent(ID, cloudHsmProps())).catch((e: unknown) => e)) as Error;
    expect(Buffer.byteLength(error.message)).toBeLessThanOrEqual(3000);
    expect(error.message).toMatch(/still holds 500 KMS keys/);
    expect(error.message).toMatch(/ and \d+ more\. The store is CONNECTED/);
    expect(error.stack).toBe(error.message);
  });

  test('a disconnect that KMS rejects as already under way is not an error', async () => {
    storeStates(ID, 'CONNECTED', 'DISCONNECTING');
    kmsMock.on(DisconnectCustomKeyStoreCommand).rejects(new CustomKeyStoreInvalidStateException({ message: 'state', ...meta }));
    const result = await harness().onEvent(deleteEvent(ID, cloudHsmProps()));
    expect(result.PriorConnectionState).toBe('CONNECTED');
  });
});

/** A store's Update: in place, offline (disconnected first), a replacement, and their less travelled branches. */
import { ConnectCustomKeyStoreCommand, CreateCustomKeyStoreCommand, CustomKeyStoreInvalidStateException, CustomKeyStoreNotFoundException, DescribeCustomKeyStoresCommand, DisconnectCustomKeyStoreCommand, UpdateCustomKeyStoreCommand } from '@aws-sdk/client-kms';
import 'aws-sdk-client-mock-jest';
import { CANARY_ACCESS_KEY_ID, CANARY_PASSWORD, cloudHsmProps, externalProps, NEW_CREDENTIAL_ARN, NEW_PASSWORD_ARN, OTHER_TRUST_ANCHOR, updateEvent, withResult } from '../../fixtures/events';
import { awsError, harness, kmsCalls, kmsMock, resetMocks, store, storeStates } from './harness';

const ID = 'cks-1234567890abcdef0';
const meta = { $metadata: {} };
const invalidState = (): Error => new CustomKeyStoreInvalidStateException({ message: 'state', ...meta });

beforeEach(resetMocks);

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

describe('Update: less travelled branches', () => {
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

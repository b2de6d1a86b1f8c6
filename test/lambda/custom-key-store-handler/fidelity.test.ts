/**
 * The handler against KMS as it really behaves, with aws-sdk-client-mock: rollbacks and late
 * duplicates of password updates, settings that take a while to take effect, keys the handler
 * cannot read, reads that lag, retried creates, and advice that depends on the store type.
 */
import {
  ConnectCustomKeyStoreCommand,
  ConnectionErrorCodeType,
  CreateCustomKeyStoreCommand,
  CustomKeyStoreHasCMKsException,
  CustomKeyStoreInvalidStateException,
  CustomKeyStoreNotFoundException,
  DeleteCustomKeyStoreCommand,
  DescribeCustomKeyStoresCommand,
  DescribeKeyCommand,
  DisconnectCustomKeyStoreCommand,
  ListKeysCommand,
  UpdateCustomKeyStoreCommand,
} from '@aws-sdk/client-kms';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import 'aws-sdk-client-mock-jest';
import { connectionHint } from '../../../lambda/custom-key-store-handler/store/messages';
import { cloudHsmProps, createEvent, deleteEvent, externalProps, NEW_PASSWORD_ARN, updateEvent, withResult } from '../../fixtures/events';
import { accountKeys, awsError, cfMock, harness, kmsCalls, kmsMock, resetMocks, stackStatus, store, storeStates } from './harness';

const ID = 'cks-1234567890abcdef0';
const meta = { $metadata: {} };
const T0 = Date.parse('2026-11-22T12:00:00Z');

beforeEach(resetMocks);

describe('kmsuser password: KMS rotates it on every connect', () => {
  const passwordUpdate = updateEvent(ID, cloudHsmProps(), cloudHsmProps({ KeyStorePasswordSecretArn: NEW_PASSWORD_ARN }));
  const rollback = updateEvent(ID, cloudHsmProps({ KeyStorePasswordSecretArn: NEW_PASSWORD_ARN }), cloudHsmProps());

  test('a rollback of a password change never sends the old password back', async () => {
    stackStatus('UPDATE_ROLLBACK_IN_PROGRESS');
    storeStates(ID, 'DISCONNECTED', 'CONNECTED');
    const h = harness();
    const result = await h.onEvent(rollback);
    expect(result).toMatchObject({ Rollback: true, UpdateApplied: false });
    expect(kmsMock).not.toHaveReceivedCommand(UpdateCustomKeyStoreCommand);
    expect(cfMock).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: rollback.StackId });
    expect(h.logs.join('\n')).toMatch(/"step":"rollback-keeps-password"/);
  });

  test('a rollback that finds the store FAILED by the forward update leaves it DISCONNECTED, without another login', async () => {
    stackStatus('UPDATE_ROLLBACK_IN_PROGRESS');
    storeStates(ID, 'FAILED', 'FAILED', 'DISCONNECTING', 'DISCONNECTED');
    const h = harness();
    const next = withResult(rollback, await h.onEvent(rollback));
    expect((await h.isComplete(next)).IsComplete).toBe(false); // FAILED: disconnect
    expect(kmsMock).toHaveReceivedCommandTimes(DisconnectCustomKeyStoreCommand, 1);
    expect((await h.isComplete(next)).IsComplete).toBe(false);
    expect(await h.isComplete(next)).toEqual({ IsComplete: true, Data: { CustomKeyStoreId: ID, ConnectionState: 'DISCONNECTED' } });
    expect(kmsMock).not.toHaveReceivedCommand(ConnectCustomKeyStoreCommand);
    expect(kmsMock).not.toHaveReceivedCommand(UpdateCustomKeyStoreCommand);
  });

  test('a rollback whose reconnect fails completes with the store disconnecting, rather than strand the stack', async () => {
    const event = withResult(updateEvent(ID, cloudHsmProps({ CloudHsmClusterId: 'cluster-3b34c5defgh' }), cloudHsmProps()), { PriorConnectionState: 'CONNECTED', Rollback: true, UpdateApplied: true });
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [store(ID, 'FAILED', { ConnectionErrorCode: 'NETWORK_ERRORS' })] });
    expect(await harness().isComplete(event)).toEqual({ IsComplete: true, Data: { CustomKeyStoreId: ID, ConnectionState: 'DISCONNECTING' } });
    expect(kmsMock).toHaveReceivedCommandTimes(DisconnectCustomKeyStoreCommand, 1);
  });

  test('a forward password update that KMS cannot log in with says what to do, and why the rollback will not undo it', async () => {
    const event = withResult(passwordUpdate, { PriorConnectionState: 'CONNECTED', UpdateApplied: true, Rollback: false, StartedAt: new Date(T0).toISOString() });
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [store(ID, 'FAILED', { ConnectionErrorCode: 'INVALID_CREDENTIALS' })] });
    await expect(harness().isComplete(event)).rejects.toThrow(
      new RegExp(
        `^CustomKeyStoreConnectionFailed: after the kmsuser password update, .* cluster-2a23b4cdefg \\(ConnectionErrorCode INVALID_CREDENTIALS\\)\\. KMS now holds the password from secret ${NEW_PASSWORD_ARN}; .* rotated by KMS .* cannot be sent again, so CloudFormation's rollback leaves the password as it is .* set kmsuser's password in the cluster to the value of secret`,
      ),
    );
  });

  test('a password update delivered again after the stack settled is a late duplicate: nothing is sent', async () => {
    stackStatus('UPDATE_COMPLETE');
    storeStates(ID, 'CONNECTED');
    const h = harness();
    const result = await h.onEvent(passwordUpdate);
    expect(result).toMatchObject({ Duplicate: true });
    expect(await h.isComplete(withResult(passwordUpdate, result))).toEqual({ IsComplete: true, Data: { CustomKeyStoreId: ID, ConnectionState: 'CONNECTED' } });
    expect(kmsCalls()).toEqual(['DescribeCustomKeyStores', 'DescribeCustomKeyStores']);
  });

  test('without the stack status (DescribeStacks denied) an update is a forward one', async () => {
    cfMock.on(DescribeStacksCommand).rejects(awsError('AccessDenied', 'not authorized'));
    storeStates(ID, 'CONNECTED', 'DISCONNECTED');
    const h = harness();
    expect(await h.onEvent(passwordUpdate)).toMatchObject({ Rollback: false, UpdateApplied: true });
    expect(kmsMock).toHaveReceivedCommandTimes(UpdateCustomKeyStoreCommand, 1);
    expect(h.logs.join('\n')).toMatch(/"step":"stack-status-unknown","error":"AccessDenied"/);
  });
});

describe('external key store changes take up to five minutes to take effect', () => {
  const endpointChange = updateEvent(ID, externalProps(), externalProps({ XksProxyUriEndpoint: 'https://xks2.example.com' }));
  const xksStore = (state: string, code?: ConnectionErrorCodeType): void => {
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({
      CustomKeyStores: [
        store(ID, state, {
          CustomKeyStoreName: 'payments-xks',
          CustomKeyStoreType: 'EXTERNAL_KEY_STORE',
          XksProxyConfiguration: { UriEndpoint: 'https://xks2.example.com', UriPath: '/payments/kms/xks/v1', Connectivity: 'PUBLIC_ENDPOINT' },
          ...(code ? { ConnectionErrorCode: code } : {}),
        }),
      ],
    });
  };

  test('a connect that fails soon after the change is retried: disconnect, then connect again', async () => {
    xksStore('FAILED', 'XKS_PROXY_NOT_REACHABLE');
    const h = harness();
    const event = withResult(endpointChange, { PriorConnectionState: 'CONNECTED', UpdateApplied: true, StartedAt: new Date(T0 - 60_000).toISOString() });
    expect((await h.isComplete(event)).IsComplete).toBe(false);
    expect(kmsMock).toHaveReceivedCommandTimes(DisconnectCustomKeyStoreCommand, 1);
    expect(h.logs.join('\n')).toMatch(/"step":"retry-connect-after-xks-change"/);
  });

  test('after the propagation window the failure is final, with the external store\'s advice', async () => {
    xksStore('FAILED', 'XKS_PROXY_NOT_REACHABLE');
    const event = withResult(endpointChange, { PriorConnectionState: 'CONNECTED', UpdateApplied: true, StartedAt: new Date(T0 - 7 * 60_000).toISOString() });
    await expect(harness().isComplete(event)).rejects.toThrow(/ConnectionErrorCode XKS_PROXY_NOT_REACHABLE\): KMS cannot reach the XKS proxy/);
  });

  test.each([
    ['5 min 59 s after the change, waitTimeout 45 min: retried', 359, '2700', undefined],
    ['6 min 1 s after the change: final', 361, '2700', /ConnectionErrorCode XKS_PROXY_NOT_REACHABLE/],
    ['3 min after the change, waitTimeout 2 min: final (the wait\'s deadline comes first)', 180, '120', /^WaitTimedOut: /],
  ])('the propagation window is six minutes, within waitTimeout: %s', async (_name, secondsAgo, waitTimeout, final) => {
    xksStore('FAILED', 'XKS_PROXY_NOT_REACHABLE');
    const change = updateEvent(ID, externalProps({ WaitTimeoutSeconds: waitTimeout }), externalProps({ WaitTimeoutSeconds: waitTimeout, XksProxyUriEndpoint: 'https://xks2.example.com' }));
    const event = withResult(change, { PriorConnectionState: 'CONNECTED', UpdateApplied: true, StartedAt: new Date(T0 - secondsAgo * 1000).toISOString() });
    const outcome = harness().isComplete(event);
    if (final) {
      await expect(outcome).rejects.toThrow(final);
      expect(kmsMock).not.toHaveReceivedCommand(DisconnectCustomKeyStoreCommand);
    } else {
      expect((await outcome).IsComplete).toBe(false);
      expect(kmsMock).toHaveReceivedCommandTimes(DisconnectCustomKeyStoreCommand, 1);
    }
  });

  test('a failure no stale setting explains (INTERNAL_ERROR) is not retried', async () => {
    xksStore('FAILED', 'INTERNAL_ERROR');
    const event = withResult(endpointChange, { PriorConnectionState: 'CONNECTED', UpdateApplied: true, StartedAt: new Date(T0 - 60_000).toISOString() });
    await expect(harness().isComplete(event)).rejects.toThrow(/INTERNAL_ERROR/);
  });

  test('switching connectivity without a new endpoint fails before the store is touched', async () => {
    const vpc = { XksProxyConnectivity: 'VPC_ENDPOINT_SERVICE', XksProxyVpcEndpointServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0' };
    await expect(harness().onEvent(updateEvent(ID, externalProps(), externalProps(vpc)))).rejects.toThrow(/^InvalidConnectivityChange: .* Nothing was changed\./);
    expect(kmsCalls()).toEqual([]);
  });
});

describe('keys whose key policy denies the handler DescribeKey', () => {
  const locked = (ids: string[], inStore: string[] = []): void => {
    kmsMock.on(ListKeysCommand).resolves({ Keys: ids.map((KeyId) => ({ KeyId })), Truncated: false });
    kmsMock.on(DescribeKeyCommand).callsFake((input: { KeyId: string }) => {
      if (input.KeyId.startsWith('locked')) throw awsError('AccessDeniedException', 'denied');
      return { KeyMetadata: { KeyId: input.KeyId, CustomKeyStoreId: inStore.includes(input.KeyId) ? ID : undefined, KeyState: 'Enabled' } };
    });
  };

  test('they do not stop the delete of a store with no readable key in it', async () => {
    locked(['plain-1', 'locked-1']);
    storeStates(ID, 'CONNECTED');
    await harness().onEvent(deleteEvent(ID, cloudHsmProps()));
    expect(kmsMock).toHaveReceivedCommandTimes(DisconnectCustomKeyStoreCommand, 1);
  });

  test('a readable key in the store is named, with the unreadable ones that may be there too', async () => {
    locked(['in-store', 'locked-1'], ['in-store']);
    storeStates(ID, 'CONNECTED');
    await expect(harness().onEvent(deleteEvent(ID, cloudHsmProps()))).rejects.toThrow(
      /^CustomKeyStoreHasCMKsException: .* still holds 1 KMS key, so it was not deleted: in-store \(Enabled\)\. The store is CONNECTED, as it was before the delete; nothing was changed\. The handler's role could not read 1 more key .*: locked-1\./,
    );
  });

  test('DeleteCustomKeyStore refuses: the store is reconnected and the unreadable keys are named at once', async () => {
    locked(['locked-1']);
    storeStates(ID, 'DISCONNECTED');
    kmsMock.on(DeleteCustomKeyStoreCommand).rejects(new CustomKeyStoreHasCMKsException({ message: 'has keys', ...meta }));
    const event = withResult(deleteEvent(ID, cloudHsmProps()), { PriorConnectionState: 'CONNECTED', StartedAt: new Date(T0).toISOString() });
    await expect(harness().isComplete(event)).rejects.toThrow(/^CustomKeyStoreHasCMKsException: KMS refused to delete .* could not be read .*: locked-1\. The store is CONNECTING again: it was DISCONNECTED for the delete and is being reconnected, as it was before\./);
    expect(kmsMock).toHaveReceivedCommandTimes(ConnectCustomKeyStoreCommand, 1);
  });

  test('a store found DISCONNECTED stays so, and the refusal names the unreadable keys', async () => {
    locked(['locked-1']);
    storeStates(ID, 'DISCONNECTED');
    kmsMock.on(DeleteCustomKeyStoreCommand).rejects(new CustomKeyStoreHasCMKsException({ message: 'has keys', ...meta }));
    await expect(harness().onEvent(deleteEvent(ID, cloudHsmProps()))).rejects.toThrow(/The store is DISCONNECTED, as it was before the delete; nothing was changed\./);
    expect(kmsMock).not.toHaveReceivedCommand(ConnectCustomKeyStoreCommand);
  });
});

describe('reads that lag behind', () => {
  test('a store not visible yet right after its create is "not yet"; after the grace period it is gone', async () => {
    kmsMock.on(DescribeCustomKeyStoresCommand).rejects(new CustomKeyStoreNotFoundException({ message: 'not found', ...meta }));
    const fresh = withResult(createEvent(cloudHsmProps()), { PhysicalResourceId: ID, StartedAt: new Date(T0 - 60_000).toISOString() });
    expect(await harness().isComplete(fresh)).toEqual({ IsComplete: false });
    const old = withResult(createEvent(cloudHsmProps()), { PhysicalResourceId: ID, StartedAt: new Date(T0 - 6 * 60_000).toISOString() });
    await expect(harness().isComplete(old)).rejects.toThrow(/^CustomKeyStoreNotFoundException: .* disappeared while waiting for it/);
  });

  test('a delete of a store reads do not show yet goes through the delete itself', async () => {
    kmsMock.on(DescribeCustomKeyStoresCommand).rejects(new CustomKeyStoreNotFoundException({ message: 'not found', ...meta }));
    kmsMock.on(DeleteCustomKeyStoreCommand).rejectsOnce(new CustomKeyStoreInvalidStateException({ message: 'CONNECTED', ...meta })).resolves({});
    const h = harness();
    const event = deleteEvent(ID, cloudHsmProps());
    const result = await h.onEvent(event);
    expect(result).toMatchObject({ PriorConnectionState: 'CONNECTED' });
    expect(kmsMock).toHaveReceivedCommandTimes(DisconnectCustomKeyStoreCommand, 1);
    expect((await h.isComplete(withResult(event, result))).IsComplete).toBe(true);
    expect(kmsMock).toHaveReceivedCommandTimes(DeleteCustomKeyStoreCommand, 2);
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
    kmsMock.on(DescribeCustomKeyStoresCommand).rejects(new CustomKeyStoreNotFoundException({ message: 'no such name', ...meta }));
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

describe('advice depends on the store type', () => {
  test.each([
    ['AWS_CLOUDHSM', 'INVALID_CREDENTIALS', /kmsuser.*new secret.*keyStorePassword/],
    ['EXTERNAL_KEY_STORE', 'INVALID_CREDENTIALS', /proxy authentication credential.*new secret.*proxyCredential/],
    ['AWS_CLOUDHSM', 'SUBNET_NOT_FOUND', /create a cluster from a recent backup/],
    ['AWS_CLOUDHSM', 'NETWORK_ERRORS', /security group/],
    ['EXTERNAL_KEY_STORE', 'NETWORK_ERRORS', /network path to the proxy/],
    ['EXTERNAL_KEY_STORE', 'XKS_VPC_ENDPOINT_SERVICE_INVALID_CONFIGURATION', /cks\.kms\.<region>\.amazonaws\.com/],
    ['AWS_CLOUDHSM', 'SOMETHING_NEW', /see ConnectionErrorCode in the KMS Developer Guide/],
  ])('%s %s', (type, code, advice) => {
    expect(connectionHint(type, code)).toMatch(advice);
  });

  test('no hint says to update a secret in place: a new value under the same ARN never reaches KMS', () => {
    for (const type of ['AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE']) {
      for (const code of ['INVALID_CREDENTIALS', 'USER_LOCKED_OUT', 'USER_NOT_FOUND', 'USER_LOGGED_IN', 'XKS_PROXY_ACCESS_DENIED']) {
        expect(connectionHint(type, code)).not.toMatch(/update the secret|in the secret and deploy/);
      }
    }
  });

  test('a CloudHSM store blocked by keys: keep it connected while they wait; an external store is not told so', async () => {
    accountKeys([{ id: 'k1', store: ID }]);
    storeStates(ID, 'CONNECTED');
    await expect(harness().onEvent(deleteEvent(ID, cloudHsmProps()))).rejects.toThrow(/keep the store connected while they wait/);
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [store(ID, 'CONNECTED', { CustomKeyStoreType: 'EXTERNAL_KEY_STORE' })] });
    const error = (await harness().onEvent(deleteEvent(ID, externalProps())).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/^CustomKeyStoreHasCMKsException/);
    expect(error.message).not.toMatch(/keep the store connected/);
  });
});

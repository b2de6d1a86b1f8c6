/** A store's Update of the kmsuser password, which KMS rotates on every connect: rollbacks, late duplicates and failed logins. */
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { ConnectCustomKeyStoreCommand, DescribeCustomKeyStoresCommand, DisconnectCustomKeyStoreCommand, UpdateCustomKeyStoreCommand } from '@aws-sdk/client-kms';
import 'aws-sdk-client-mock-jest';
import { cloudHsmProps, NEW_PASSWORD_ARN, updateEvent, withResult } from '../../fixtures/events';
import { awsError, cfMock, harness, kmsCalls, kmsMock, resetMocks, stackStatus, store, storeStates } from './harness';

const ID = 'cks-1234567890abcdef0';
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

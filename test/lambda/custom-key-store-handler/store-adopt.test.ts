/**
 * adoptExisting: a Create takes over a store of the declared name made outside the stack, after
 * checking it is the same kind of store; the rollback of that Create gives it back as it was.
 */
import {
  ConnectCustomKeyStoreCommand,
  CreateCustomKeyStoreCommand,
  CustomKeyStoresListEntry,
  DeleteCustomKeyStoreCommand,
  DescribeCustomKeyStoresCommand,
  DisconnectCustomKeyStoreCommand,
  UpdateCustomKeyStoreCommand,
} from '@aws-sdk/client-kms';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { DeleteParameterCommand, GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import 'aws-sdk-client-mock-jest';
import { CANARY_ACCESS_KEY_ID, CANARY_PASSWORD, CANARY_SECRET_KEY, cloudHsmProps, createEvent, deleteEvent, externalProps, OTHER_TRUST_ANCHOR, STACK_ID, withResult } from '../../fixtures/events';
import { awsError, harness, kmsCalls, kmsMock, resetMocks, smMock, ssmMock, stackStatus, store } from './harness';

const ID = 'cks-0123456789abcdef0';
const RECORD = `/cdk-kms-custom-key-store/adopted/KeyStores/${ID}`;
const hsm = (extra: Record<string, string> = {}): Record<string, string> => cloudHsmProps({ AdoptExisting: 'true', ...extra });
const xks = (extra: Record<string, string> = {}): Record<string, string> => externalProps({ AdoptExisting: 'true', ...extra });

function xksStore(state: string, config: Partial<NonNullable<CustomKeyStoresListEntry['XksProxyConfiguration']>> = {}): CustomKeyStoresListEntry {
  return store(ID, state, {
    CustomKeyStoreName: 'payments-xks',
    CustomKeyStoreType: 'EXTERNAL_KEY_STORE',
    CloudHsmClusterId: undefined,
    TrustAnchorCertificate: undefined,
    XksProxyConfiguration: { Connectivity: 'PUBLIC_ENDPOINT', AccessKeyId: CANARY_ACCESS_KEY_ID, UriEndpoint: 'https://xks.example.com', UriPath: '/payments/kms/xks/v1', ...config },
  });
}

/** KMS shows `views` one per DescribeCustomKeyStores call (by name or id), then keeps the last. */
function kmsShows(...views: CustomKeyStoresListEntry[]): void {
  let call = 0;
  kmsMock.on(DescribeCustomKeyStoresCommand).callsFake(() => ({ CustomKeyStores: [views[Math.min(call++, views.length - 1)]] }));
}

/** Parameter Store with a memory. */
function parameters(initial: Record<string, string> = {}): Map<string, string> {
  const memory = new Map(Object.entries(initial));
  ssmMock.on(GetParameterCommand).callsFake((input: { Name: string }) => {
    const value = memory.get(input.Name);
    if (value === undefined) throw awsError('ParameterNotFound', 'not found');
    return { Parameter: { Name: input.Name, Value: value } };
  });
  ssmMock.on(PutParameterCommand).callsFake((input: { Name: string; Value: string }) => {
    memory.set(input.Name, input.Value);
    return { Version: 1 };
  });
  ssmMock.on(DeleteParameterCommand).callsFake((input: { Name: string }) => {
    if (!memory.delete(input.Name)) throw awsError('ParameterNotFound', 'not found');
    return {};
  });
  return memory;
}

const record = (priorState: string): string => JSON.stringify({ stackId: STACK_ID, logicalId: 'Store', priorState, adoptedAt: '2026-11-22T12:00:00.000Z' });

beforeEach(resetMocks);

describe('Create with adoptExisting', () => {
  test('no store of that name: a new store is created as usual, and nothing is recorded', async () => {
    kmsMock.on(DescribeCustomKeyStoresCommand, { CustomKeyStoreName: 'payments-hsm' }).rejects(awsError('CustomKeyStoreNotFoundException', 'none'));
    kmsMock.on(DescribeCustomKeyStoresCommand, { CustomKeyStoreId: ID }).resolves({ CustomKeyStores: [store(ID, 'DISCONNECTED', { CreationDate: new Date('2026-11-22T12:00:00Z') })] });
    kmsMock.on(CreateCustomKeyStoreCommand).resolves({ CustomKeyStoreId: ID });
    const memory = parameters();
    const result = await harness().onEvent(createEvent(hsm()));
    expect(result).toMatchObject({ PhysicalResourceId: ID });
    expect(result.Adopted).toBeUndefined();
    expect(kmsMock).toHaveReceivedCommandTimes(CreateCustomKeyStoreCommand, 1);
    expect(memory.size).toBe(0);
  });

  test('a matching CloudHSM store is adopted: its id is the resource id, its state recorded, and nothing is sent to it', async () => {
    kmsShows(store(ID, 'CONNECTED'));
    const memory = parameters();
    const result = await harness().onEvent(createEvent(hsm()));
    expect(result).toMatchObject({ PhysicalResourceId: ID, Adopted: true });
    expect(kmsCalls()).toEqual(['DescribeCustomKeyStores']);
    expect(smMock).not.toHaveReceivedCommand(GetSecretValueCommand);
    expect(JSON.parse(memory.get(RECORD) ?? '{}')).toMatchObject({ stackId: STACK_ID, logicalId: 'Store', priorState: 'CONNECTED' });
  });

  test('isComplete then brings the adopted store to the declared connection: connected: false disconnects it', async () => {
    kmsShows(store(ID, 'CONNECTED'), store(ID, 'DISCONNECTING'), store(ID, 'DISCONNECTED'));
    const h = harness();
    const event = withResult(createEvent(hsm({ Connected: 'false' })), { PhysicalResourceId: ID, StartedAt: new Date(h.now).toISOString(), Adopted: true });
    expect(await h.isComplete(event)).toEqual({ IsComplete: false });
    expect(kmsMock).toHaveReceivedCommandTimes(DisconnectCustomKeyStoreCommand, 1);
    expect(await h.isComplete(event)).toEqual({ IsComplete: false });
    expect(await h.isComplete(event)).toEqual({ IsComplete: true, Data: { CustomKeyStoreId: ID, ConnectionState: 'DISCONNECTED' } });
  });

  test('a matching external store whose access key id is the declared one is adopted without sending the credential', async () => {
    kmsShows(xksStore('CONNECTED'));
    parameters();
    expect(await harness().onEvent(createEvent(xks()))).toMatchObject({ PhysicalResourceId: ID, Adopted: true });
    expect(kmsMock).not.toHaveReceivedCommand(UpdateCustomKeyStoreCommand);
  });

  test('a different cluster and trust anchor: AdoptionMismatch names both, before anything is changed or recorded', async () => {
    kmsShows(store(ID, 'CONNECTED', { CloudHsmClusterId: 'cluster-9z9z9z9z9z9', TrustAnchorCertificate: OTHER_TRUST_ANCHOR }));
    const memory = parameters();
    await expect(harness().onEvent(createEvent(hsm()))).rejects.toThrow(
      new RegExp(`^AdoptionMismatch: custom key store ${ID} \\('payments-hsm'\\) exists, but it is not the store declared: CloudHsmClusterId is cluster-9z9z9z9z9z9, declared cluster-2a23b4cdefg; TrustAnchorCertificate differs from the declared certificate\\. Nothing was changed; the store is CONNECTED\\.`),
    );
    expect(kmsCalls()).toEqual(['DescribeCustomKeyStores']);
    expect(memory.size).toBe(0);
    expect(ssmMock).not.toHaveReceivedCommand(PutParameterCommand);
  });

  test('another store type: AdoptionMismatch says so and nothing more', async () => {
    kmsShows(xksStore('CONNECTED', {}));
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [{ ...xksStore('CONNECTED'), CustomKeyStoreName: 'payments-hsm' }] });
    parameters();
    await expect(harness().onEvent(createEvent(hsm()))).rejects.toThrow(/^AdoptionMismatch: .*: CustomKeyStoreType is EXTERNAL_KEY_STORE, declared AWS_CLOUDHSM\. Nothing was changed/);
  });

  test('another proxy endpoint, path, connectivity or VPC endpoint service: each named', async () => {
    kmsShows(xksStore('DISCONNECTED', { UriEndpoint: 'https://other.example.com', UriPath: '/kms/xks/v1', Connectivity: 'VPC_ENDPOINT_SERVICE', VpcEndpointServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0' }));
    parameters();
    const error = await harness().onEvent(createEvent(xks())).then(() => '', (err: unknown) => (err as Error).message);
    expect(error).toMatch(/XksProxyUriEndpoint is https:\/\/other\.example\.com, declared https:\/\/xks\.example\.com; XksProxyUriPath is \/kms\/xks\/v1, declared \/payments\/kms\/xks\/v1; XksProxyConnectivity is VPC_ENDPOINT_SERVICE, declared PUBLIC_ENDPOINT\./);
    expect(kmsCalls()).toEqual(['DescribeCustomKeyStores']);
  });

  test('another access key id without adoptSendsSecrets is a mismatch that says how to send the credential, and never quotes the secret', async () => {
    kmsShows(xksStore('CONNECTED', { AccessKeyId: 'AKIAOTHEROTHEROTHER1' }));
    parameters();
    const error = await harness().onEvent(createEvent(xks())).then(() => '', (err: unknown) => (err as Error).message);
    expect(error).toMatch(/AdoptionMismatch: .*the proxy credential's access key id is AKIAOTHEROTHEROTHER1, .*set adoptSendsSecrets to send the declared credential/);
    expect(error).not.toContain(CANARY_SECRET_KEY);
    expect(kmsCalls()).toEqual(['DescribeCustomKeyStores']);
  });

  test('adoptSendsSecrets on a CONNECTED external store: the credential is sent once, in place, without disconnecting', async () => {
    kmsShows(xksStore('CONNECTED', { AccessKeyId: 'AKIAOTHEROTHEROTHER1' }));
    kmsMock.on(UpdateCustomKeyStoreCommand).resolves({});
    parameters();
    const h = harness();
    expect(await h.onEvent(createEvent(xks({ AdoptSendsSecrets: 'true' })))).toMatchObject({ PhysicalResourceId: ID, Adopted: true });
    expect(kmsMock).toHaveReceivedCommandWith(UpdateCustomKeyStoreCommand, { CustomKeyStoreId: ID, XksProxyAuthenticationCredential: { AccessKeyId: CANARY_ACCESS_KEY_ID, RawSecretAccessKey: CANARY_SECRET_KEY } });
    expect(kmsMock).not.toHaveReceivedCommand(DisconnectCustomKeyStoreCommand);
    expect(h.logs.join('\n')).not.toContain(CANARY_SECRET_KEY);
  });

  test('adoptSendsSecrets on a CONNECTED CloudHSM store: disconnected, the password sent once, and isComplete reconnects it', async () => {
    kmsShows(store(ID, 'CONNECTED'), store(ID, 'CONNECTED'), store(ID, 'DISCONNECTING'), store(ID, 'DISCONNECTED'));
    kmsMock.on(UpdateCustomKeyStoreCommand).resolves({});
    parameters();
    const h = harness();
    await h.onEvent(createEvent(hsm({ AdoptSendsSecrets: 'true' })));
    expect(kmsCalls()).toEqual(['DescribeCustomKeyStores', 'DisconnectCustomKeyStore', 'DescribeCustomKeyStores', 'DescribeCustomKeyStores', 'DescribeCustomKeyStores', 'UpdateCustomKeyStore']);
    expect(kmsMock).toHaveReceivedCommandWith(UpdateCustomKeyStoreCommand, { CustomKeyStoreId: ID, KeyStorePassword: CANARY_PASSWORD });
    expect(h.logs.join('\n')).not.toContain(CANARY_PASSWORD);
    const event = withResult(createEvent(hsm({ AdoptSendsSecrets: 'true' })), { PhysicalResourceId: ID, StartedAt: new Date(h.now).toISOString(), Adopted: true });
    expect(await h.isComplete(event)).toEqual({ IsComplete: false });
    expect(kmsMock).toHaveReceivedCommandTimes(ConnectCustomKeyStoreCommand, 1);
  });

  test('a password KMS refuses: the store that was connected is reconnected before the failure is reported', async () => {
    kmsShows(store(ID, 'CONNECTED'), store(ID, 'DISCONNECTED'));
    kmsMock.on(UpdateCustomKeyStoreCommand).rejects(awsError('CloudHsmClusterInvalidConfigurationException', 'bad'));
    parameters();
    await expect(harness().onEvent(createEvent(hsm({ AdoptSendsSecrets: 'true' })))).rejects.toThrow(/^CloudHsmClusterInvalidConfigurationException: /);
    expect(kmsCalls().slice(-2)).toEqual(['UpdateCustomKeyStore', 'ConnectCustomKeyStore']);
  });

  test('a retried onEvent of the same Create keeps the state the first attempt found', async () => {
    kmsShows(store(ID, 'DISCONNECTED'));
    const memory = parameters({ [RECORD]: record('CONNECTED') });
    await harness().onEvent(createEvent(hsm()));
    expect(JSON.parse(memory.get(RECORD) ?? '{}')).toMatchObject({ priorState: 'CONNECTED' });
    expect(ssmMock).not.toHaveReceivedCommand(PutParameterCommand);
  });
});

describe('Delete of an adopted store', () => {
  test('under a rollback of its Create: given back, reconnected as it was, never deleted; then the record is removed', async () => {
    stackStatus('ROLLBACK_IN_PROGRESS');
    kmsShows(store(ID, 'DISCONNECTED'), store(ID, 'CONNECTING'), store(ID, 'CONNECTED'));
    const memory = parameters({ [RECORD]: record('CONNECTED') });
    const h = harness();
    const started = await h.onEvent(deleteEvent(ID, hsm({ Connected: 'false' })));
    expect(started).toMatchObject({ PhysicalResourceId: ID, Release: true, PriorConnectionState: 'CONNECTED' });
    expect(kmsCalls()).toEqual([]);
    const event = withResult(deleteEvent(ID, hsm({ Connected: 'false' })), started);
    expect(await h.isComplete(event)).toEqual({ IsComplete: false });
    expect(await h.isComplete(event)).toEqual({ IsComplete: false });
    expect(await h.isComplete(event)).toEqual({ IsComplete: true });
    expect(kmsMock).toHaveReceivedCommandTimes(ConnectCustomKeyStoreCommand, 1);
    expect(kmsMock).not.toHaveReceivedCommand(DeleteCustomKeyStoreCommand);
    expect(kmsMock).not.toHaveReceivedCommand(DisconnectCustomKeyStoreCommand);
    expect(memory.has(RECORD)).toBe(false);
  });

  test('under an update rollback\'s cleanup, a store that was DISCONNECTED is disconnected again and kept', async () => {
    stackStatus('UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS');
    kmsShows(store(ID, 'CONNECTED'), store(ID, 'DISCONNECTED'));
    parameters({ [RECORD]: record('DISCONNECTED') });
    const h = harness();
    const started = await h.onEvent(deleteEvent(ID, hsm()));
    const event = withResult(deleteEvent(ID, hsm()), started);
    expect(await h.isComplete(event)).toEqual({ IsComplete: false });
    expect(await h.isComplete(event)).toEqual({ IsComplete: true });
    expect(kmsMock).toHaveReceivedCommandTimes(DisconnectCustomKeyStoreCommand, 1);
    expect(kmsMock).not.toHaveReceivedCommand(DeleteCustomKeyStoreCommand);
  });

  test('a stack delete forgets the adoption and deletes the store under its removal policy, as any store', async () => {
    stackStatus('DELETE_IN_PROGRESS');
    kmsShows(store(ID, 'CONNECTED'));
    const memory = parameters({ [RECORD]: record('CONNECTED') });
    const started = await harness().onEvent(deleteEvent(ID, hsm()));
    expect(started.Release).toBeUndefined();
    expect(kmsMock).toHaveReceivedCommandTimes(DisconnectCustomKeyStoreCommand, 1);
    expect(memory.has(RECORD)).toBe(false);
  });

  test('the stack\'s status unreadable: AdoptionUndecided, and nothing is changed', async () => {
    kmsShows(store(ID, 'CONNECTED'));
    parameters({ [RECORD]: record('CONNECTED') });
    const { cfMock } = await import('./harness');
    cfMock.reset();
    cfMock.rejects(awsError('AccessDenied', 'no'));
    await expect(harness().onEvent(deleteEvent(ID, hsm()))).rejects.toThrow(/^AdoptionUndecided: custom key store cks-0123456789abcdef0 was adopted by this stack, and the stack's status could not be read \(AccessDenied\).*Nothing was changed/);
    expect(kmsCalls()).toEqual([]);
  });

  test('a store this resource created (no record) is deleted as usual, even under a rollback', async () => {
    stackStatus('ROLLBACK_IN_PROGRESS');
    kmsShows(store(ID, 'DISCONNECTED'));
    kmsMock.on(DeleteCustomKeyStoreCommand).resolves({});
    parameters();
    expect((await harness().onEvent(deleteEvent(ID, hsm()))).Release).toBeUndefined();
    expect(kmsMock).toHaveReceivedCommandTimes(DeleteCustomKeyStoreCommand, 1);
  });

  test('a store declared without adoptExisting never asks Parameter Store', async () => {
    kmsShows(store(ID, 'DISCONNECTED'));
    kmsMock.on(DeleteCustomKeyStoreCommand).resolves({});
    await harness().onEvent(deleteEvent(ID, cloudHsmProps()));
    expect(ssmMock.calls()).toHaveLength(0);
  });
});

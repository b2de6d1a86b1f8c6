/** The janitor's run with aws-sdk-client-mock: one listing per run, stores kept, watched, deleted, or left stuck. */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ConnectCustomKeyStoreCommand, DeleteCustomKeyStoreCommand, DescribeCustomKeyStoresCommand, DescribeKeyCommand, DisconnectCustomKeyStoreCommand, KMSClient, ListKeysCommand, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { DeleteParameterCommand, GetParametersByPathCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import 'aws-sdk-client-mock-jest';
import { runJanitor } from '../../../lambda/key-store-janitor/janitor';
import { HEARTBEAT_PARAMETER, REGISTRY_PATH, RegistryEntry } from '../../../lib/private/contract/deferred-deletion';
import { kmsMock } from '../aws-mocks';
import { AT, logs, published, resetOperationMocks, retry, ssmMock, store } from '../operations-fixtures';

const DAY = 86_400_000;
const entry = (id: string, type: string, lastDeletionDate: Date): RegistryEntry => ({
  storeId: id,
  storeName: `released/Stack/Store/${id}`,
  storeType: type,
  stackId: 'arn:aws:cloudformation:us-east-1:111122223333:stack/Stack/guid',
  logicalId: 'Store',
  registeredAt: AT.toISOString(),
  lastDeletionDate: lastDeletionDate.toISOString(),
  connectionState: 'CONNECTED',
});

/** The registry and the heartbeat as Parameter Store lists them, the heartbeat written at `now` (AWS's time). */
function registry(now: Date, ...entries: RegistryEntry[]): void {
  ssmMock.on(GetParametersByPathCommand).resolves({
    Parameters: [{ Name: HEARTBEAT_PARAMETER, Value: now.toISOString(), LastModifiedDate: now }, ...entries.map((e) => ({ Name: `${REGISTRY_PATH}/${e.storeId}`, Value: JSON.stringify(e) }))],
  });
}

const run = async (): Promise<ReturnType<typeof runJanitor>> =>
  runJanitor({ kms: new KMSClient({ region: 'us-east-1' }), ssm: new SSMClient({ region: 'us-east-1' }), cloudWatch: new CloudWatchClient({ region: 'us-east-1' }), log: (l) => logs.push(l), now: () => AT.getTime(), retry });

beforeEach(() => {
  resetOperationMocks();
  ssmMock.reset();
  ssmMock.on(PutParameterCommand).resolves({});
  ssmMock.on(DeleteParameterCommand).resolves({});
  kmsMock.on(ConnectCustomKeyStoreCommand).resolves({});
  kmsMock.on(DisconnectCustomKeyStoreCommand).resolves({});
  kmsMock.on(DeleteCustomKeyStoreCommand).resolves({});
});

test('the heartbeat first; one DescribeCustomKeyStores for every store; no key scan while the keys wait; a disconnected CloudHSM store is connected', async () => {
  const later = new Date(AT.getTime() + 5 * DAY);
  registry(AT, entry('cks-1', 'AWS_CLOUDHSM', later), entry('cks-2', 'EXTERNAL_KEY_STORE', later), entry('cks-3', 'AWS_CLOUDHSM', later));
  kmsMock.on(DescribeCustomKeyStoresCommand).resolves({
    CustomKeyStores: [1, 2, 3].map((i) => store(`cks-${i}`, i === 3 ? 'DISCONNECTED' : 'CONNECTED', { CustomKeyStoreName: `released/Stack/Store/cks-${i}` })),
  });
  const report = await run();
  expect(ssmMock.commandCalls(PutParameterCommand)[0].args[0].input).toMatchObject({ Name: HEARTBEAT_PARAMETER, Value: AT.toISOString(), Overwrite: true });
  expect(kmsMock).toHaveReceivedCommandTimes(DescribeCustomKeyStoresCommand, 1);
  expect(kmsMock).not.toHaveReceivedCommand(ListKeysCommand);
  expect(kmsMock).toHaveReceivedCommandWith(ConnectCustomKeyStoreCommand, { CustomKeyStoreId: 'cks-3' });
  expect(report).toEqual({ stores: { 'cks-1': 'waiting', 'cks-2': 'waiting', 'cks-3': 'connecting' }, waiting: 3, overdue: 0, stuck: 0 });
  expect(published()).toEqual(['DeferredDeletionStoresWaiting{}=3', 'DeferredDeletionStoresOverdue{}=0', 'DeferredDeletionStoresStuck{}=0']);
  expect(logs).toHaveLength(3);
});

test("the deletion dates are compared with AWS's time (the heartbeat's LastModifiedDate), not the function's clock", async () => {
  const date = new Date(AT.getTime() + DAY);
  registry(new Date(AT.getTime() + 2 * DAY), entry('cks-1', 'AWS_CLOUDHSM', date));
  kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [store('cks-1', 'DISCONNECTED', { CustomKeyStoreName: 'released/Stack/Store/cks-1' })] });
  kmsMock.on(ListKeysCommand).resolves({ Keys: [] });
  expect((await run()).stores).toEqual({ 'cks-1': 'deleted' });
  expect(kmsMock).toHaveReceivedCommandWith(DeleteCustomKeyStoreCommand, { CustomKeyStoreId: 'cks-1' });
  expect(ssmMock).toHaveReceivedCommandWith(DeleteParameterCommand, { Name: `${REGISTRY_PATH}/cks-1` });
});

test('after the date: a CONNECTED store without keys is disconnected first; a key not pending deletion leaves it stuck, untouched', async () => {
  const past = new Date(AT.getTime() - DAY / 2);
  registry(AT, entry('cks-1', 'AWS_CLOUDHSM', past), entry('cks-2', 'AWS_CLOUDHSM', past));
  kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [store('cks-1', 'CONNECTED', { CustomKeyStoreName: 'released/Stack/Store/cks-1' }), store('cks-2', 'CONNECTED', { CustomKeyStoreName: 'released/Stack/Store/cks-2' })] });
  kmsMock.on(ListKeysCommand).resolves({ Keys: [{ KeyId: 'k-new' }] });
  kmsMock.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: 'k-new', CustomKeyStoreId: 'cks-2', KeyState: 'Enabled' } });
  const report = await run();
  expect(report.stores).toEqual({ 'cks-1': 'disconnecting', 'cks-2': 'stuck' });
  expect(report.stuck).toBe(1);
  // Both stores are due: one pass over the account's keys serves them both.
  expect(kmsMock).toHaveReceivedCommandTimes(ListKeysCommand, 1);
  expect(kmsMock).toHaveReceivedCommandTimes(DescribeKeyCommand, 1);
  expect(kmsMock).toHaveReceivedCommandWith(DisconnectCustomKeyStoreCommand, { CustomKeyStoreId: 'cks-1' });
  expect(kmsMock).not.toHaveReceivedCommandWith(DisconnectCustomKeyStoreCommand, { CustomKeyStoreId: 'cks-2' });
  expect(kmsMock).not.toHaveReceivedCommand(DeleteCustomKeyStoreCommand);
  expect(kmsMock).not.toHaveReceivedCommand(ScheduleKeyDeletionCommand);
  expect(logs.find((l) => l.includes('cks-2'))).toMatch(/"outcome":"stuck".*not pending deletion.*"keys":"k-new:Enabled"/);
});

test('a store a later deploy took back (its declared name again) is dropped from the registry, never deleted; a store gone is dropped too', async () => {
  const past = new Date(AT.getTime() - 2 * DAY);
  registry(AT, entry('cks-1', 'AWS_CLOUDHSM', past), entry('cks-2', 'AWS_CLOUDHSM', past));
  kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [store('cks-1', 'CONNECTED', { CustomKeyStoreName: 'payments-hsm' })] });
  expect((await run()).stores).toEqual({ 'cks-1': 'reclaimed', 'cks-2': 'gone' });
  expect(kmsMock).not.toHaveReceivedCommand(DisconnectCustomKeyStoreCommand);
  expect(kmsMock).not.toHaveReceivedCommand(DeleteCustomKeyStoreCommand);
  expect(ssmMock).toHaveReceivedCommandTimes(DeleteParameterCommand, 2);
});

test('overdue: a store still waiting a day after its last date counts; a failure on one store is logged and the others are tended', async () => {
  const past = new Date(AT.getTime() - 3 * DAY);
  registry(AT, entry('cks-1', 'AWS_CLOUDHSM', past), entry('cks-2', 'AWS_CLOUDHSM', past));
  kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [store('cks-1', 'DISCONNECTED', { CustomKeyStoreName: 'released/Stack/Store/cks-1' }), store('cks-2', 'DISCONNECTED', { CustomKeyStoreName: 'released/Stack/Store/cks-2' })] });
  kmsMock.on(ListKeysCommand).resolves({ Keys: [] });
  kmsMock.on(DeleteCustomKeyStoreCommand, { CustomKeyStoreId: 'cks-1' }).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: {} }));
  const report = await run();
  expect(report).toEqual({ stores: { 'cks-1': 'not-yet', 'cks-2': 'deleted' }, waiting: 1, overdue: 1, stuck: 0 });
  expect(published()).toContain('DeferredDeletionStoresOverdue{}=1');
});

test('a key the janitor may not read: DeleteCustomKeyStore has the last word; refused, the store is reconnected and left stuck', async () => {
  const past = new Date(AT.getTime() - DAY / 2);
  registry(AT, entry('cks-1', 'AWS_CLOUDHSM', past));
  kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [store('cks-1', 'DISCONNECTED', { CustomKeyStoreName: 'released/Stack/Store/cks-1' })] });
  kmsMock.on(ListKeysCommand).resolves({ Keys: [{ KeyId: 'k-locked' }] });
  kmsMock.on(DescribeKeyCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: {} }));
  kmsMock.on(DeleteCustomKeyStoreCommand).rejects(Object.assign(new Error('has keys'), { name: 'CustomKeyStoreHasCMKsException', $metadata: {} }));
  expect((await run()).stores).toEqual({ 'cks-1': 'stuck' });
  expect(kmsMock).toHaveReceivedCommandWith(ConnectCustomKeyStoreCommand, { CustomKeyStoreId: 'cks-1' });
  expect(ssmMock).not.toHaveReceivedCommand(DeleteParameterCommand);
});

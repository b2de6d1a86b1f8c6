/** deferDeletion with aws-sdk-client-mock: a store whose keys are all pending deletion is handed to a live janitor, else fails as before. */
import { DeleteCustomKeyStoreCommand, DisconnectCustomKeyStoreCommand, ListKeysCommand, UpdateCustomKeyStoreCommand } from '@aws-sdk/client-kms';
import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import 'aws-sdk-client-mock-jest';
import { HEARTBEAT_PARAMETER, REGISTRY_PATH } from '../../../lib/private/contract/deferred-deletion';
import { cloudHsmProps, deleteEvent } from '../../fixtures/events';
import { accountKeys, harness, kmsMock, resetMocks, ssmMock, stackStatus, storeStates } from './harness';

const ID = 'cks-1234567890abcdef0';
const NOW = Date.parse('2026-11-22T12:00:00Z');
const PENDING = { id: '1234abcd-12ab-34cd-56ef-1234567890ab', store: ID, state: 'PendingDeletion', deletionDate: new Date('2026-11-29T12:00:00Z') };
const deferred = (): ReturnType<typeof deleteEvent> => deleteEvent(ID, { ...cloudHsmProps(), DeferDeletion: 'true' });
const heartbeat = (at: number): void => {
  ssmMock.on(GetParameterCommand, { Name: HEARTBEAT_PARAMETER }).resolves({ Parameter: { Name: HEARTBEAT_PARAMETER, Value: new Date(at).toISOString() } });
};

beforeEach(() => {
  resetMocks();
  stackStatus('DELETE_IN_PROGRESS');
  storeStates(ID, 'CONNECTED');
  ssmMock.on(PutParameterCommand).resolves({});
  kmsMock.on(UpdateCustomKeyStoreCommand).resolves({});
});

test('every key pending deletion and a janitor that ran an hour ago: the entry is written, then the store renamed, and the delete is done at once', async () => {
  accountKeys([PENDING]);
  heartbeat(NOW - 3_600_000);
  const h = harness();
  const result = await h.onEvent(deferred());
  expect(result).toMatchObject({ PhysicalResourceId: ID, Released: 'true' });
  expect((await h.isComplete({ ...deferred(), ...result })).IsComplete).toBe(true);
  const put = ssmMock.commandCalls(PutParameterCommand)[0].args[0].input;
  expect(put).toMatchObject({ Name: `${REGISTRY_PATH}/${ID}`, Type: 'String', Overwrite: true });
  expect(JSON.parse(put.Value ?? '')).toEqual({
    storeId: ID,
    storeName: `released/KeyStores/Store/${ID}`,
    storeType: 'AWS_CLOUDHSM',
    stackId: expect.stringContaining(':stack/KeyStores/') as unknown,
    logicalId: 'Store',
    registeredAt: new Date(NOW).toISOString(),
    lastDeletionDate: '2026-11-29T12:00:00.000Z',
    connectionState: 'CONNECTED',
  });
  expect(kmsMock).toHaveReceivedCommandWith(UpdateCustomKeyStoreCommand, { CustomKeyStoreId: ID, NewCustomKeyStoreName: `released/KeyStores/Store/${ID}` });
  expect(kmsMock).not.toHaveReceivedCommand(DisconnectCustomKeyStoreCommand);
  expect(kmsMock).not.toHaveReceivedCommand(DeleteCustomKeyStoreCommand);
});

test('no heartbeat in the last 3 hours: fails as before, naming the key, saying no janitor has run; nothing written or renamed', async () => {
  accountKeys([PENDING]);
  heartbeat(NOW - 4 * 3_600_000);
  const error = (await harness().onEvent(deferred()).catch((e: unknown) => e)) as Error;
  expect(error.message).toMatch(/^CustomKeyStoreHasCMKsException: .*1234abcd-12ab-34cd-56ef-1234567890ab \(PendingDeletion, deleted on 2026-11-29T12:00:00.000Z\).* deferDeletion is on, but no CustomKeyStoreJanitor has run in this account and Region in the last 180 minutes \(its last run was at 2026-11-22T08:00:00.000Z\)/);
  expect(ssmMock).not.toHaveReceivedCommand(PutParameterCommand);
  expect(kmsMock).not.toHaveReceivedCommand(UpdateCustomKeyStoreCommand);
});

test('a key that is not pending deletion: not handed over, fails as before, without advice to ask for what is already asked', async () => {
  accountKeys([PENDING, { id: '0987dcba-09fe-87dc-65ba-ab0987654321', store: ID }]);
  heartbeat(NOW);
  const error = (await harness().onEvent(deferred()).catch((e: unknown) => e)) as Error;
  expect(error.message).toMatch(/^CustomKeyStoreHasCMKsException: .* still holds 2 KMS keys/);
  expect(error.message).not.toMatch(/deferDeletion/);
  // The hand-over's scan is the one the failure names its keys from: the account's keys are listed once.
  expect(kmsMock).toHaveReceivedCommandTimes(ListKeysCommand, 1);
  expect(ssmMock).not.toHaveReceivedCommand(PutParameterCommand);
  expect(kmsMock).not.toHaveReceivedCommand(UpdateCustomKeyStoreCommand);
});

test('without deferDeletion, keys all pending deletion: the message says how to turn it on', async () => {
  accountKeys([PENDING]);
  const error = (await harness().onEvent(deleteEvent(ID, cloudHsmProps())).catch((e: unknown) => e)) as Error;
  expect(error.message).toMatch(/deploy a CustomKeyStoreJanitor once in this account and Region \(in a long-lived stack\) and set deferDeletion: true on this store/);
  expect(ssmMock).not.toHaveReceivedCommand(GetParameterCommand);
});

test('a retry after the entry was written but before the rename (a crash): both end done', async () => {
  accountKeys([PENDING]);
  heartbeat(NOW);
  kmsMock.on(UpdateCustomKeyStoreCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException', $metadata: {} }));
  await expect(harness().onEvent(deferred())).rejects.toThrow(/handing custom key store .* to the janitor by renaming it; it was not renamed/);
  kmsMock.on(UpdateCustomKeyStoreCommand).resolves({});
  const result = await harness().onEvent(deferred());
  expect(result).toMatchObject({ Released: 'true' });
  expect(ssmMock).toHaveReceivedCommandTimes(PutParameterCommand, 2);
  expect(kmsMock).toHaveReceivedCommandWith(UpdateCustomKeyStoreCommand, { CustomKeyStoreId: ID, NewCustomKeyStoreName: `released/KeyStores/Store/${ID}` });
});

/** A store's Delete: keys checked first, disconnect, delete; a refusal reconnects the store and names the keys. */
import { ConnectCustomKeyStoreCommand, CustomKeyStoreHasCMKsException, CustomKeyStoreInvalidStateException, CustomKeyStoreNotFoundException, DeleteCustomKeyStoreCommand, DescribeCustomKeyStoresCommand, DescribeKeyCommand, DisconnectCustomKeyStoreCommand, ListKeysCommand } from '@aws-sdk/client-kms';
import 'aws-sdk-client-mock-jest';
import { cloudHsmProps, deleteEvent, withResult } from '../../fixtures/events';
import { accountKeys, awsError, harness, kmsCalls, kmsMock, resetMocks, storeStates } from './harness';

const ID = 'cks-1234567890abcdef0';
const meta = { $metadata: {} };
const T0 = Date.parse('2026-11-22T12:00:00Z');
const hasCmks = (): Error => new CustomKeyStoreHasCMKsException({ message: 'has keys', ...meta });

beforeEach(resetMocks);

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

describe('Delete: less travelled branches', () => {
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

  test('KMS still shows CONNECTED after the disconnect, but the keys onEvent missed are Unavailable: reconnect, do not fail with the store disconnected', async () => {
    // onEvent's ListKeys did not show keys made moments before (KMS is eventually consistent).
    storeStates(ID, 'CONNECTED');
    kmsMock.on(ListKeysCommand).resolves({ Keys: [{ KeyId: 'k1' }] });
    kmsMock.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: 'k1', CustomKeyStoreId: ID, KeyState: 'Unavailable' } });
    const h = harness();
    expect(await h.isComplete(withResult(deleteEvent(ID, cloudHsmProps()), { PriorConnectionState: 'CONNECTED' }))).toEqual({ IsComplete: false });
    expect(kmsMock).toHaveReceivedCommandTimes(ConnectCustomKeyStoreCommand, 1);
    expect(kmsMock).not.toHaveReceivedCommand(DisconnectCustomKeyStoreCommand);
    // Once really CONNECTED again, the keys (Enabled) are named and the store is as it was.
    kmsMock.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: 'k1', CustomKeyStoreId: ID, KeyState: 'Enabled' } });
    await expect(h.isComplete(withResult(deleteEvent(ID, cloudHsmProps()), { PriorConnectionState: 'CONNECTED' }))).rejects.toThrow(/k1 \(Enabled\)\. The store is CONNECTED, as it was before the delete/);
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

describe('reads that lag behind a delete', () => {
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

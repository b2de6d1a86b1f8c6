/**
 * A store's Delete. KMS deletes only a DISCONNECTED store with no keys in it, and has no API that
 * lists a store's keys: onEvent checks for keys (key-scanner.ts) before it disconnects anything,
 * so a store with keys fails the delete as it was; isComplete deletes the store once KMS shows it
 * DISCONNECTED. A key made between the check and the delete makes KMS refuse: the store is then
 * reconnected, as it was, and the keys are named.
 */
import { ConnectionStateType, KeyState } from '@aws-sdk/client-kms';
import { STORE_ID_PATTERN } from '../../../lib/private/contract/store-properties';
import { errorName, explain, KeyStoreError } from '../../shared/errors';
import { StoreView } from '../../shared/store-api';
import { IsCompleteResult, OnEventResult } from '../events';
import { findKeysInStore, KeyScanResult } from '../../shared/key-scanner';
import * as messages from './messages';
import { isReleaseComplete, releaseIfAdoptionRolledBack } from './adoption-release';
import { deferInsteadOfDelete } from './deferred-deletion';
import { releaseInsteadOfDelete } from './release';
import { NOT_YET, StoreSteps } from './steps';

const { CONNECTED, CONNECTING, DISCONNECTED, FAILED } = ConnectionStateType;
const UNAVAILABLE = KeyState.Unavailable;

export async function onDelete(s: StoreSteps): Promise<OnEventResult> {
  const id = s.request.physicalId();
  const startedAt = s.request.startedAt();
  if (!STORE_ID_PATTERN.test(id)) {
    s.log({ step: 'delete-skipped', reason: 'not a custom key store id', physicalResourceId: id });
    return { PhysicalResourceId: id, StartedAt: startedAt };
  }
  const released = await releaseIfAdoptionRolledBack(s);
  if (released) {
    return released;
  }
  let store = await s.stores.describe(id);
  if (!store) {
    // NotFound may be a store too new for reads to show yet: only the delete itself can tell.
    const probe = await deleteProbe(s, id);
    if (probe === 'has-keys') {
      // Named now if the scan finds them; else isComplete tries the delete again.
      await explainDeleteRefused(s, { CustomKeyStoreId: id }, DISCONNECTED, messages.UNCHANGED_BY_DELETE_NOTE, false);
      return { PhysicalResourceId: id, PriorConnectionState: DISCONNECTED, StartedAt: startedAt };
    }
    if (probe !== 'not-disconnected') {
      s.log({ step: probe === 'gone' ? 'delete-skipped' : 'deleted', reason: probe === 'gone' ? 'store does not exist' : 'not yet visible to reads', store: id });
      return { PhysicalResourceId: id, StartedAt: startedAt };
    }
    store = { CustomKeyStoreId: id, ConnectionState: CONNECTED };
  }
  const state = store.ConnectionState ?? 'UNKNOWN';
  // The hand-over, the release and the check for keys all ask which keys the store holds, and
  // nothing changes between them: one scan of the account's keys answers the three.
  let scanned: Promise<KeyScanResult> | undefined;
  const keys = (): Promise<KeyScanResult> => (scanned ??= scanStore(s, id));
  if ((await deferInsteadOfDelete(s, store, keys)) || (await releaseInsteadOfDelete(s, store, keys))) {
    return { PhysicalResourceId: id, Released: 'true', StartedAt: startedAt };
  }
  if (state === CONNECTED || state === CONNECTING || state === FAILED) {
    await failIfKeysRemain(s, store, state, messages.UNCHANGED_BY_DELETE_NOTE, keys);
    // No wait for KMS to show the disconnect: isDeleteComplete handles a stale CONNECTED by
    // checking for keys again, and each saved DescribeCustomKeyStores call matters when a
    // stack deletes several stores at once under the account's 5 calls/s.
    await s.disconnectIgnoringState(id);
  } else if (state === DISCONNECTED) {
    await deleteOrExplain(s, store);
  }
  return { PhysicalResourceId: id, PriorConnectionState: state, StartedAt: startedAt };
}

export async function isDeleteComplete(s: StoreSteps): Promise<IsCompleteResult> {
  const id = s.request.physicalId();
  if (!STORE_ID_PATTERN.test(id) || s.request.event.Released === 'true') {
    return { IsComplete: true };
  }
  if (s.request.event.Release) {
    return isReleaseComplete(s);
  }
  const store = await s.describeOrNotYet(id);
  if (store === undefined) {
    return NOT_YET;
  }
  if (store === null) {
    // Gone, or a read that lags behind: the delete itself says which.
    const probe = await deleteProbe(s, id);
    if (probe === 'has-keys') {
      return afterDeleteRefused(s, { CustomKeyStoreId: id, ConnectionState: DISCONNECTED });
    }
    return probe === 'not-disconnected' ? NOT_YET : { IsComplete: true };
  }
  s.request.checkDeadline(id, store);
  const state = store.ConnectionState ?? 'UNKNOWN';
  const prior = s.request.event.PriorConnectionState;
  const wasConnected = prior === CONNECTED || prior === CONNECTING;
  switch (state) {
    case DISCONNECTED: {
      const probe = await deleteProbe(s, id);
      if (probe === 'gone' || probe === 'deleted') {
        return { IsComplete: true };
      }
      return probe === 'has-keys' ? afterDeleteRefused(s, store) : NOT_YET;
    }
    case CONNECTED:
    case FAILED: {
      // Either the reconnect after a race finished, or KMS still shows the state from before
      // onEvent's disconnect. Either way: report keys if any, else disconnect (again).
      const note = state === FAILED && wasConnected ? messages.reconnectFailedNote(prior, store.ConnectionErrorCode) : messages.AS_BEFORE_DELETE_NOTE;
      const scan = await scanStore(s, id);
      if (state === CONNECTED && wasConnected && scan.keys.some((k) => k.keyState === UNAVAILABLE)) {
        // KMS shows a key Unavailable only while its store is not connected: this CONNECTED is a
        // read from before onEvent's disconnect, whose scan missed keys too new for ListKeys.
        // Failing now would leave the store disconnected; put it back first, as afterDeleteRefused does.
        s.log({ step: 'reconnect-after-stale-read', store: id, keys: scan.keys.length });
        await s.connectIgnoringState(id);
        return NOT_YET;
      }
      throwIfKeys(s, id, store, scan, state, note);
      await s.disconnectIgnoringState(id);
      return NOT_YET;
    }
    default:
      return NOT_YET;
  }
}

/**
 * DeleteCustomKeyStore refused for keys. A store that was connected is reconnected first, so a
 * failed delete never leaves it disconnected; the keys are then named once it is CONNECTED (the
 * next polls scan again). Keys the handler cannot read are named at once: no later scan would
 * find them either.
 */
async function afterDeleteRefused(s: StoreSteps, store: StoreView): Promise<IsCompleteResult> {
  const id = store.CustomKeyStoreId ?? s.request.physicalId();
  const prior = s.request.event.PriorConnectionState;
  const wasConnected = prior === CONNECTED || prior === CONNECTING;
  if (wasConnected) {
    s.log({ step: 'reconnect-after-race', store: id });
    await s.connectIgnoringState(id);
  }
  const note = wasConnected ? messages.RECONNECTING_AFTER_DELETE_NOTE : prior === FAILED ? messages.FAILED_BEFORE_DELETE_NOTE : messages.AS_BEFORE_DELETE_NOTE;
  await explainDeleteRefused(s, store, wasConnected ? CONNECTING : DISCONNECTED, note, wasConnected);
  // The keys went away between the delete and the scan, or will be named once CONNECTED.
  return NOT_YET;
}

async function failIfKeysRemain(s: StoreSteps, store: StoreView, stateNow: string, stateNote: string, keys?: () => Promise<KeyScanResult>): Promise<KeyScanResult> {
  const id = store.CustomKeyStoreId ?? s.request.physicalId();
  const scan = await (keys ? keys() : scanStore(s, id));
  throwIfKeys(s, id, store, scan, stateNow, stateNote);
  return scan;
}

function throwIfKeys(s: StoreSteps, id: string, store: StoreView, scan: KeyScanResult, stateNow: string, stateNote: string): void {
  if (scan.keys.length > 0) {
    // A store that asked for deferred deletion and still fails needs no advice to ask for it.
    const deferAsked = (s.request.event.ResourceProperties as { DeferDeletion?: string } | undefined)?.DeferDeletion === 'true';
    throw messages.hasKeysError(id, store, scan, stateNow, stateNote, deferAsked ? '' : undefined);
  }
}

/**
 * DeleteCustomKeyStore said keys remain: name them. Readable keys in the store are named now,
 * unless `readableLater` (the store is being reconnected, and they are named once it is back).
 * Otherwise the keys the handler could not read must be the ones.
 */
async function explainDeleteRefused(s: StoreSteps, store: StoreView, stateNow: string, stateNote: string, readableLater: boolean): Promise<void> {
  const id = store.CustomKeyStoreId ?? s.request.physicalId();
  const scan = readableLater ? await scanStore(s, id) : await failIfKeysRemain(s, store, stateNow, stateNote);
  if (scan.keys.length > 0) {
    return;
  }
  if (scan.unreadable.length > 0) {
    throw new KeyStoreError(messages.unreadableKeysMessage(id, store.CustomKeyStoreName, store.CustomKeyStoreType, scan.unreadable, `${stateNow}${stateNote}`));
  }
}

async function scanStore(s: StoreSteps, id: string): Promise<KeyScanResult> {
  const started = s.now();
  const scan = await findKeysInStore(s.stores.kms, id, s.deps.scan);
  s.log({ step: 'key-scan', store: id, scanned: scan.scanned, found: scan.keys.length, unreadable: scan.unreadable.length, retries: scan.stats.retries, ms: s.now() - started });
  return scan;
}

/** onEvent's delete of a store found DISCONNECTED. */
async function deleteOrExplain(s: StoreSteps, store: StoreView): Promise<void> {
  const id = store.CustomKeyStoreId ?? s.request.physicalId();
  if ((await deleteProbe(s, id)) === 'has-keys') {
    await explainDeleteRefused(s, store, DISCONNECTED, messages.UNCHANGED_BY_DELETE_NOTE, false);
  }
}

/** Tries DeleteCustomKeyStore and says what it found. */
async function deleteProbe(s: StoreSteps, id: string): Promise<'deleted' | 'gone' | 'has-keys' | 'not-disconnected'> {
  try {
    s.log({ step: 'delete', store: id });
    await s.stores.delete(id);
    return 'deleted';
  } catch (err) {
    switch (errorName(err)) {
      case 'CustomKeyStoreNotFoundException':
        return 'gone';
      case 'CustomKeyStoreHasCMKsException':
        return 'has-keys';
      case 'CustomKeyStoreInvalidStateException':
        return 'not-disconnected';
      default:
        throw explain(err, messages.stepFailedContext('delete', id, undefined, DISCONNECTED, errorName(err)));
    }
  }
}

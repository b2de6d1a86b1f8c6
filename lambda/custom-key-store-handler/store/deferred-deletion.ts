/**
 * Deferred deletion (`deferDeletion: true`): a delete whose store holds only keys pending deletion
 * hands the store to the account's janitor instead of failing, so the stack operation completes.
 *
 * Only when a janitor is really there: its heartbeat must be recent. The entry is written before
 * the store is renamed, so that a delete retried after a crash between the two still ends with
 * both; the janitor reads the name to tell a store it may delete (still `released/...`) from one a
 * later deploy reclaimed (reclaimReleased gives it its declared name back).
 */
import { HEARTBEAT_MAX_AGE_MINUTES } from '../../../lib/private/contract/deferred-deletion';
import { errorName, explain } from '../../shared/errors';
import { StoreView } from '../../shared/store-api';
import { KeyScanResult } from '../../shared/key-scanner';
import * as messages from './messages';
import { lastDeletionDate, releasedName } from './release';
import { StoreSteps } from './steps';

/** Why a store that asked for deferred deletion was not handed over; undefined when it was. */
type NotDeferred = 'not-asked' | 'not-renamable' | 'no-keys' | 'key-not-pending' | 'no-janitor';

/**
 * onEvent of a Delete: hands the store to the janitor when it asked for it, KMS can rename it
 * (CONNECTED or DISCONNECTED), and every key left in it is pending deletion. True when handed over.
 * A store without a live janitor fails as before, with advice that says so (hasKeysMessage).
 */
export async function deferInsteadOfDelete(s: StoreSteps, store: StoreView, keys: () => Promise<KeyScanResult>): Promise<boolean> {
  const why = await handOver(s, store, keys);
  if (why !== undefined && why !== 'not-asked') {
    s.log({ step: 'not-deferred', store: store.CustomKeyStoreId ?? s.request.physicalId(), why });
  }
  return why === undefined;
}

async function handOver(s: StoreSteps, store: StoreView, keys: () => Promise<KeyScanResult>): Promise<NotDeferred | undefined> {
  const props = s.request.event.ResourceProperties as { DeferDeletion?: string } | undefined;
  if (props?.DeferDeletion !== 'true' || !s.deps.janitor) {
    return 'not-asked';
  }
  const id = store.CustomKeyStoreId ?? s.request.physicalId();
  const state = store.ConnectionState ?? 'UNKNOWN';
  if (state !== 'CONNECTED' && state !== 'DISCONNECTED') {
    return 'not-renamable';
  }
  const scan = await keys();
  if (scan.keys.length === 0) {
    return 'no-keys';
  }
  if (scan.keys.some((k) => k.keyState !== 'PendingDeletion')) {
    return 'key-not-pending';
  }
  const heartbeat = await s.deps.janitor.lastHeartbeat();
  if (heartbeat === undefined || s.now() - heartbeat.getTime() > HEARTBEAT_MAX_AGE_MINUTES * 60_000) {
    throw messages.hasKeysError(id, store, scan, state, messages.UNCHANGED_BY_DELETE_NOTE, messages.noJanitorAdvice(heartbeat));
  }
  const { StackId, LogicalResourceId } = s.request.event;
  const name = releasedName(StackId, LogicalResourceId, id);
  await s.deps.janitor.register({
    storeId: id,
    storeName: name,
    storeType: store.CustomKeyStoreType ?? '',
    stackId: StackId ?? '',
    logicalId: LogicalResourceId ?? '',
    registeredAt: new Date(s.now()).toISOString(),
    lastDeletionDate: lastDeletionDate(scan.keys) ?? new Date(s.now()).toISOString(),
    connectionState: state,
  });
  if (store.CustomKeyStoreName !== name) {
    try {
      await s.stores.update({ CustomKeyStoreId: id, NewCustomKeyStoreName: name });
    } catch (err) {
      throw explain(err, messages.stepFailedContext('hand-over', id, store.CustomKeyStoreName, state, errorName(err)));
    }
  }
  s.log({ step: 'deferred', store: id, name, connectionState: state, keys: scan.keys.length, lastDeletionDate: lastDeletionDate(scan.keys) });
  return undefined;
}

/**
 * One run of the janitor: the stores handed over for deferred deletion (their registry entries)
 * are kept, watched and finally deleted, one log line per store.
 *
 * Per run: the heartbeat first (handlers hand stores only to a janitor that runs), the registry,
 * then one DescribeCustomKeyStores listing for every store whatever their number (the account's
 * 5 calls a second are shared with every deployment). The key scan (ListKeys and a DescribeKey per
 * key of the account) runs only for a store whose last deletion date has passed.
 *
 * It never schedules, cancels or touches a key, and never deletes a store holding a key that is not
 * pending deletion (made since, or a deletion cancelled): that store is "stuck", said and counted.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { KMSClient } from '@aws-sdk/client-kms';
import { DeleteParameterCommand, GetParametersByPathCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DEFERRED_DELETION_PATH, HEARTBEAT_PARAMETER, registryParameterName, REGISTRY_PATH, RegistryEntry, STORES_OVERDUE_METRIC, STORES_STUCK_METRIC, STORES_WAITING_METRIC } from '../../lib/private/contract/deferred-deletion';
import { findKeysInStores, KeyScanResult } from '../shared/key-scanner';
import { errorName } from '../shared/errors';
import { publishMetrics, storeDatum } from '../shared/metric-publisher';
import { CallStats, RetryOptions, withRetry } from '../shared/retry';
import { StoreApi, StoreView } from '../shared/store-api';

/** A store still there a day after its last key's deletion date is overdue: KMS should have deleted the keys by then. */
const OVERDUE_AFTER_MS = 86_400_000;

export interface JanitorDeps {
  readonly kms: KMSClient;
  readonly ssm: SSMClient;
  readonly cloudWatch: CloudWatchClient;
  readonly log: (line: string) => void;
  readonly now?: () => number;
  readonly retry?: RetryOptions;
}

type StoreOutcome = 'gone' | 'reclaimed' | 'waiting' | 'connecting' | 'disconnecting' | 'deleted' | 'stuck' | 'not-yet';

export interface JanitorReport {
  readonly stores: Record<string, StoreOutcome>;
  readonly waiting: number;
  readonly overdue: number;
  readonly stuck: number;
}

export async function runJanitor(deps: JanitorDeps): Promise<JanitorReport> {
  const now = deps.now ?? Date.now;
  const retry: RetryOptions = { ...deps.retry, stats: deps.retry?.stats ?? new CallStats() };
  const at = new Date(now());
  await withRetry(async () => deps.ssm.send(new PutParameterCommand({ Name: HEARTBEAT_PARAMETER, Value: at.toISOString(), Type: 'String', Overwrite: true })), retry);
  const { entries, serviceTime } = await readRegistry(deps.ssm, retry);
  // Deletion dates are KMS's: they are compared with AWS's time (the heartbeat's LastModifiedDate, just written), not the function's clock.
  const awsNow = serviceTime?.getTime() ?? now();
  const stores = new StoreApi(deps.kms, retry);
  const all = entries.length > 0 ? await stores.listAll() : new Map<string, StoreView>();
  // One pass over the account's keys for every store whose last deletion date has passed (none before).
  const due = entries.filter((e) => awsNow >= Date.parse(e.lastDeletionDate) && all.get(e.storeId)?.CustomKeyStoreName === e.storeName).map((e) => e.storeId);
  const keysByStore = due.length > 0 ? await findKeysInStores(deps.kms, due, { retry }) : new Map<string, KeyScanResult>();
  const outcomes: Record<string, StoreOutcome> = {};
  let waiting = 0;
  let overdue = 0;
  let stuck = 0;
  for (const entry of entries) {
    const line = (outcome: StoreOutcome, extra: Record<string, unknown> = {}): void => {
      outcomes[entry.storeId] = outcome;
      deps.log(JSON.stringify({ store: entry.storeId, name: entry.storeName, outcome, lastDeletionDate: entry.lastDeletionDate, ...extra }));
    };
    let outcome: StoreOutcome;
    try {
      outcome = await tend(entry, all.get(entry.storeId), awsNow, { deps, stores, retry, line, keys: keysByStore.get(entry.storeId) });
    } catch (err) {
      // One store's failure is said, and the store still counts as waiting; the others are still tended.
      outcome = 'not-yet';
      line('not-yet', { error: errorName(err), message: (err as Error).message });
    }
    if (outcome === 'stuck') {
      stuck++;
    } else if (outcome !== 'gone' && outcome !== 'reclaimed' && outcome !== 'deleted') {
      waiting++;
      if (awsNow > Date.parse(entry.lastDeletionDate) + OVERDUE_AFTER_MS) overdue++;
    }
  }
  // Stamped with AWS's time too: CloudWatch takes data only from two weeks before its own now.
  const stamp = new Date(awsNow);
  await publishMetrics(deps.cloudWatch, [storeDatum(STORES_WAITING_METRIC, waiting, {}, stamp), storeDatum(STORES_OVERDUE_METRIC, overdue, {}, stamp), storeDatum(STORES_STUCK_METRIC, stuck, {}, stamp)], retry);
  return { stores: outcomes, waiting, overdue, stuck };
}

interface Tending {
  readonly deps: JanitorDeps;
  readonly stores: StoreApi;
  readonly retry: RetryOptions;
  readonly line: (outcome: StoreOutcome, extra?: Record<string, unknown>) => void;
  /** The store's keys, scanned once for every store whose date has passed. */
  readonly keys?: KeyScanResult;
}

async function tend(entry: RegistryEntry, store: StoreView | undefined, now: number, t: Tending): Promise<StoreOutcome> {
  if (!store) {
    await removeEntry(t, entry);
    t.line('gone');
    return 'gone';
  }
  if (store.CustomKeyStoreName !== entry.storeName) {
    // A later deploy of the same stack took the store back (reclaimReleased): it is not ours to delete.
    await removeEntry(t, entry);
    t.line('reclaimed', { nameNow: store.CustomKeyStoreName });
    return 'reclaimed';
  }
  const state = store.ConnectionState ?? 'UNKNOWN';
  if (now < Date.parse(entry.lastDeletionDate)) {
    // KMS deletes a CloudHSM key's material from the cluster only while its store is connected.
    if (entry.storeType === 'AWS_CLOUDHSM' && state === 'DISCONNECTED') {
      await t.stores.connect(entry.storeId);
      t.line('connecting', { state });
      return 'connecting';
    }
    t.line('waiting', { state });
    return 'waiting';
  }
  const scan = t.keys;
  if (!scan) {
    // Not scanned this run (it became due while the run went on): the next run scans it.
    t.line('not-yet', { state });
    return 'not-yet';
  }
  const notPending = scan.keys.filter((k) => k.keyState !== 'PendingDeletion');
  if (notPending.length > 0) {
    t.line('stuck', {
      state,
      why: 'a key in the store is not pending deletion: it was made since the hand-over, or its deletion was cancelled; the store is left as it is',
      keys: notPending.map((k) => `${k.keyId}:${k.keyState}`).join(','),
    });
    return 'stuck';
  }
  // Keys the janitor may not read (their key policies deny it DescribeKey) may be anywhere: as for
  // the deployment handler, DeleteCustomKeyStore, which counts every key, has the last word.
  if (scan.keys.length > 0) {
    // Keys with a later date than recorded (someone scheduled another key's deletion): wait for the last.
    const last = new Date(Math.max(...scan.keys.map((k) => k.deletionDate?.getTime() ?? now))).toISOString();
    await writeEntry(t, { ...entry, lastDeletionDate: last });
    t.line('waiting', { state, keys: scan.keys.length, newLastDeletionDate: last });
    return 'waiting';
  }
  if (state !== 'DISCONNECTED') {
    if (state === 'CONNECTED' || state === 'FAILED') await t.stores.disconnect(entry.storeId);
    t.line('disconnecting', { state });
    return 'disconnecting';
  }
  try {
    await t.stores.delete(entry.storeId);
  } catch (err) {
    if (errorName(err) === 'CustomKeyStoreHasCMKsException') {
      // A key made between the scan and the delete, or one the janitor may not read: left as it was found, connected.
      await t.stores.connect(entry.storeId).catch(() => undefined);
      t.line('stuck', { state, why: 'KMS refused the delete: a key is in the store (made after the scan, or one whose key policy denies the janitor kms:DescribeKey); the store is reconnected and left', unreadable: scan.unreadable.length });
      return 'stuck';
    }
    if (errorName(err) !== 'CustomKeyStoreNotFoundException') throw err;
  }
  await removeEntry(t, entry);
  t.line('deleted', { state });
  return 'deleted';
}

/** The registry's entries, and the heartbeat's LastModifiedDate: one listing of the janitor's whole path. */
async function readRegistry(ssm: SSMClient, retry: RetryOptions): Promise<{ entries: RegistryEntry[]; serviceTime?: Date }> {
  const entries: RegistryEntry[] = [];
  let serviceTime: Date | undefined;
  let token: string | undefined;
  do {
    const page = await withRetry(async () => ssm.send(new GetParametersByPathCommand({ Path: DEFERRED_DELETION_PATH, Recursive: true, NextToken: token })), retry);
    for (const p of page.Parameters ?? []) {
      if (p.Name === HEARTBEAT_PARAMETER) {
        serviceTime = p.LastModifiedDate;
        continue;
      }
      if (!p.Name?.startsWith(`${REGISTRY_PATH}/`)) continue;
      try {
        entries.push(JSON.parse(p.Value ?? '') as RegistryEntry);
      } catch {
        // An entry that is not ours to read is left alone.
      }
    }
    token = page.NextToken;
  } while (token);
  return { entries, serviceTime };
}

async function writeEntry(t: Tending, entry: RegistryEntry): Promise<void> {
  await withRetry(async () => t.deps.ssm.send(new PutParameterCommand({ Name: registryParameterName(entry.storeId), Value: JSON.stringify(entry), Type: 'String', Overwrite: true })), t.retry);
}

async function removeEntry(t: Tending, entry: RegistryEntry): Promise<void> {
  try {
    await withRetry(async () => t.deps.ssm.send(new DeleteParameterCommand({ Name: registryParameterName(entry.storeId) })), t.retry);
  } catch (err) {
    if (errorName(err) !== 'ParameterNotFound') throw err;
  }
}

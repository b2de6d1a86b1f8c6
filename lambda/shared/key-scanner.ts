/**
 * Finds the KMS keys that live in one custom key store.
 *
 * KMS has no API that lists a store's keys; the Developer Guide's way is ListKeys, then DescribeKey
 * on every key, keeping those whose CustomKeyStoreId matches. An account can hold 100,000 keys, so
 * the DescribeKey calls run concurrently, under a rate budget of half the account's DescribeKey
 * quota (2,000/s), while the next ListKeys page is fetched.
 *
 * DescribeKey is authorized by each key's own key policy: a key whose policy neither names the
 * handler's role nor delegates to IAM answers AccessDeniedException, even to an admin. Such keys
 * are counted as unreadable and the scan goes on; DeleteCustomKeyStore, which counts every key,
 * has the final word on whether one of them is in the store.
 */
import { DescribeKeyCommand, KMSClient, ListKeysCommand, ListKeysCommandOutput } from '@aws-sdk/client-kms';
import { RateLimiter } from './rate-limiter';
import { CallStats, RetryOptions, withRetry } from './retry';

export interface KeyInStore {
  readonly keyId: string;
  readonly keyState: string;
  /** When a key pending deletion is deleted. */
  readonly deletionDate?: Date;
  /** The external key that backs it (external key stores). */
  readonly xksKeyId?: string;
}

export interface KeyScanOptions {
  /** DescribeKey calls per second at most. Default: 1,000, half the account quota. */
  readonly describeRatePerSecond?: number;
  /** DescribeKey calls in flight at most. Default: 64. */
  readonly concurrency?: number;
  /** ListKeys page size (1-1000). Default: 1000. */
  readonly pageSize?: number;
  readonly retry?: RetryOptions;
}

export const DEFAULT_DESCRIBE_RATE = 1000;
const DEFAULT_SCAN_CONCURRENCY = 64;

export interface KeyScanResult {
  readonly keys: KeyInStore[];
  /** Keys whose key policy denied DescribeKey: they may be in the store or not. */
  readonly unreadable: string[];
  /** Keys described in all. */
  readonly scanned: number;
  readonly stats: CallStats;
}

export async function findKeysInStore(kms: KMSClient, customKeyStoreId: string, options: KeyScanOptions = {}): Promise<KeyScanResult> {
  return (await findKeysInStores(kms, [customKeyStoreId], options)).get(customKeyStoreId) as KeyScanResult;
}

/**
 * The keys of several stores in one pass over the account's keys (what the janitor needs for every
 * store whose date passed in a run): the cost is the account's key count, whatever the number of stores.
 * Keys the role may not read are unreadable for every store.
 */
export async function findKeysInStores(kms: KMSClient, customKeyStoreIds: readonly string[], options: KeyScanOptions = {}): Promise<Map<string, KeyScanResult>> {
  const stats = options.retry?.stats ?? new CallStats();
  const retry: RetryOptions = { ...options.retry, stats };
  const limiter = new RateLimiter(options.describeRatePerSecond ?? DEFAULT_DESCRIBE_RATE);
  const concurrency = options.concurrency ?? DEFAULT_SCAN_CONCURRENCY;
  const limit = options.pageSize ?? 1000;
  const found = new Map<string, KeyInStore[]>(customKeyStoreIds.map((id) => [id, []]));
  const unreadable: string[] = [];
  let scanned = 0;

  const listPage = async (marker?: string): Promise<ListKeysCommandOutput> =>
    withRetry(async () => kms.send(new ListKeysCommand({ Limit: limit, Marker: marker })), retry);

  const describe = async (keyId: string): Promise<void> => {
    await limiter.acquire();
    let metadata;
    try {
      metadata = (await withRetry(async () => kms.send(new DescribeKeyCommand({ KeyId: keyId })), retry)).KeyMetadata;
    } catch (err) {
      const name = (err as Error).name;
      // A key deleted between ListKeys and DescribeKey is not in the store any more.
      if (name === 'NotFoundException') {
        return;
      }
      if (name === 'AccessDeniedException') {
        unreadable.push(keyId);
        return;
      }
      throw err;
    }
    scanned++;
    const inStore = metadata?.CustomKeyStoreId === undefined ? undefined : found.get(metadata.CustomKeyStoreId);
    if (metadata && inStore) {
      inStore.push({ keyId: metadata.KeyId ?? keyId, keyState: metadata.KeyState ?? 'Unknown', deletionDate: metadata.DeletionDate, xksKeyId: metadata.XksKeyConfiguration?.Id });
    }
  };

  let next: Promise<ListKeysCommandOutput> | undefined = listPage();
  while (next) {
    const page: ListKeysCommandOutput = await next;
    next = page.Truncated && page.NextMarker ? listPage(page.NextMarker) : undefined;
    const ids = (page.Keys ?? []).map((k) => k.KeyId).filter((id): id is string => id !== undefined);
    try {
      await runPool(ids, concurrency, describe);
    } catch (err) {
      // Do not leave the prefetched page's rejection unhandled.
      next?.catch(() => undefined);
      throw err;
    }
  }
  unreadable.sort((a, b) => a.localeCompare(b));
  return new Map([...found].map(([id, keys]) => [id, { keys: keys.sort((a, b) => a.keyId.localeCompare(b.keyId)), unreadable, scanned, stats }]));
}

/** Runs `work` over `items` with at most `concurrency` in flight; the first failure rejects. */
async function runPool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let index = 0;
  const worker = async (): Promise<void> => {
    while (index < items.length) {
      const item = items[index++];
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

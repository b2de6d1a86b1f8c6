/**
 * Every custom key store of the account and Region, in as few DescribeCustomKeyStores calls as
 * KMS allows: one call returns up to 1,000 stores (the account's default quota is 10), whereas
 * asking by id would cost one call per store out of a quota of 5 calls a second that the
 * deployment handler shares.
 */
import { CustomKeyStoresListEntry, DescribeCustomKeyStoresCommand, KMSClient } from '@aws-sdk/client-kms';
import { RetryOptions, withRetry } from '../retry';

export async function listAllStores(kms: KMSClient, retry: RetryOptions): Promise<Map<string, CustomKeyStoresListEntry>> {
  const stores = new Map<string, CustomKeyStoresListEntry>();
  let marker: string | undefined;
  do {
    const page = await withRetry(async () => kms.send(new DescribeCustomKeyStoresCommand({ Limit: 1000, Marker: marker })), retry);
    for (const store of page.CustomKeyStores ?? []) {
      if (store.CustomKeyStoreId) stores.set(store.CustomKeyStoreId, store);
    }
    marker = page.Truncated ? page.NextMarker : undefined;
  } while (marker);
  return stores;
}

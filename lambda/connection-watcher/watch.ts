/**
 * The connection watcher: on each scheduled run, reads every store of the account once, and
 * publishes for each watched store whether it is CONNECTED (and, when not, why), so that an alarm
 * can fire when a store the stack wants connected stays disconnected. CloudHSM key stores publish
 * no KMS metric at all, and an external key store publishes nothing while it is disconnected.
 */
import { CloudWatchClient, MetricDatum } from '@aws-sdk/client-cloudwatch';
import { KMSClient } from '@aws-sdk/client-kms';
import { CONNECTED_METRIC, CONNECTION_ERROR_METRIC, ERROR_CODE_DIMENSION, STORE_ID_DIMENSION } from '../../lib/private/contract/operations-metrics';
import { CallStats, RetryOptions } from '../shared/retry';
import { publishMetrics, storeDatum } from '../shared/metric-publisher';
import { StoreApi } from '../shared/store-api';

export interface WatcherDeps {
  readonly kms: KMSClient;
  readonly cloudWatch: CloudWatchClient;
  readonly retry?: RetryOptions;
  readonly log: (line: string) => void;
  readonly now?: () => Date;
}

interface WatchedStore {
  readonly id: string;
  /** CONNECTED, DISCONNECTED, ..., or NOT_FOUND when KMS does not show the store. */
  readonly state: string;
  readonly connectionErrorCode?: string;
}

export interface WatchReport {
  readonly stores: WatchedStore[];
  /** AWS calls made, retries included (DescribeCustomKeyStores and PutMetricData). */
  readonly calls: number;
}

export async function watchConnections(storeIds: readonly string[], deps: WatcherDeps): Promise<WatchReport> {
  const stats = new CallStats();
  const retry: RetryOptions = { ...deps.retry, stats };
  const all = await new StoreApi(deps.kms, retry).listAll();
  const at = deps.now?.() ?? new Date();
  const data: MetricDatum[] = [];
  const stores = [...new Set(storeIds)].map((id): WatchedStore => {
    const store = all.get(id);
    // A store KMS does not show (deleted outside the stack, or too new for an eventually consistent
    // read) holds no keys anyone can use: it counts as not connected.
    const state = store?.ConnectionState ?? 'NOT_FOUND';
    const connectionErrorCode = store?.ConnectionErrorCode;
    data.push(storeDatum(CONNECTED_METRIC, state === 'CONNECTED' ? 1 : 0, { [STORE_ID_DIMENSION]: id }, at));
    if (state !== 'CONNECTED') {
      data.push(storeDatum(CONNECTION_ERROR_METRIC, 1, { [STORE_ID_DIMENSION]: id, [ERROR_CODE_DIMENSION]: connectionErrorCode ?? state }, at));
    }
    return { id, state, ...(connectionErrorCode ? { connectionErrorCode } : {}) };
  });
  if (data.length > 0) {
    await publishMetrics(deps.cloudWatch, data, retry);
  }
  deps.log(JSON.stringify({ watched: stores.length, stores, awsCalls: stats.calls, retries: stats.retries }));
  return { stores, calls: stats.calls };
}

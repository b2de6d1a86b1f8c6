/**
 * The connection watcher: on each scheduled run, reads every store of the account once, and
 * publishes for each watched store whether it is CONNECTED (and, when not, why), so that an alarm
 * can fire when a store the stack wants connected stays disconnected. CloudHSM key stores publish
 * no KMS metric at all, and an external key store publishes nothing while it is disconnected.
 *
 * CONNECTED is not health: a store whose cluster or proxy broke stays CONNECTED. So each CONNECTED
 * store that can be probed is probed (probe.ts), in parallel, and publishes Available and its
 * latency. A store that is not CONNECTED is not probed: Connected already says it cannot be used.
 */
import { performance } from 'perf_hooks';
import { CloudWatchClient, MetricDatum } from '@aws-sdk/client-cloudwatch';
import { KMSClient } from '@aws-sdk/client-kms';
import {
  AVAILABLE_METRIC,
  CONNECTED_METRIC,
  CONNECTION_ERROR_METRIC,
  ERROR_CODE_DIMENSION,
  EXCEPTION_NAME_DIMENSION,
  PROBE_ERROR_METRIC,
  PROBE_LATENCY_METRIC,
  STORE_ID_DIMENSION,
} from '../../lib/private/contract/operations-metrics';
import { CallStats, RetryOptions } from '../shared/retry';
import { publishMetrics, storeDatum } from '../shared/metric-publisher';
import { StoreApi } from '../shared/store-api';
import { ProbeOutcome, probeCommand, runProbe } from './probe';

export interface WatcherDeps {
  readonly kms: KMSClient;
  readonly cloudWatch: CloudWatchClient;
  readonly retry?: RetryOptions;
  readonly log: (line: string) => void;
  readonly now?: () => Date;
  /** A monotonic clock in milliseconds for the probe's latency. Default performance.now. */
  readonly elapsedMs?: () => number;
}

interface WatchedStore {
  readonly id: string;
  /** CONNECTED, DISCONNECTED, ..., or NOT_FOUND when KMS does not show the store. */
  readonly state: string;
  readonly connectionErrorCode?: string;
  readonly probe?: ProbeOutcome;
}

export interface WatchReport {
  readonly stores: WatchedStore[];
  /** AWS calls made, retries included (DescribeCustomKeyStores, the probes and PutMetricData). */
  readonly calls: number;
  /** KMS calls made, retries included. */
  readonly kmsCalls: number;
}

/**
 * @param probeKeys the probe key of each external key store that has one (store id to key ARN).
 */
export async function watchConnections(storeIds: readonly string[], deps: WatcherDeps, probeKeys: Readonly<Record<string, string>> = {}): Promise<WatchReport> {
  const stats = new CallStats();
  const retry: RetryOptions = { ...deps.retry, stats };
  const all = await new StoreApi(deps.kms, retry).listAll();
  const at = deps.now?.() ?? new Date();
  const elapsedMs = deps.elapsedMs ?? ((): number => performance.now());
  const stores = await Promise.all(
    [...new Set(storeIds)].map(async (id): Promise<WatchedStore> => {
      const store = all.get(id);
      // A store KMS does not show (deleted outside the stack, or too new for an eventually consistent
      // read) holds no keys anyone can use: it counts as not connected.
      const state = store?.ConnectionState ?? 'NOT_FOUND';
      const connectionErrorCode = store?.ConnectionErrorCode;
      const command = state === 'CONNECTED' ? probeCommand(id, store?.CustomKeyStoreType, probeKeys[id]) : undefined;
      if (command) stats.calls++;
      const probe = command ? await runProbe(deps.kms, command, elapsedMs) : undefined;
      return { id, state, ...(connectionErrorCode ? { connectionErrorCode } : {}), ...(probe ? { probe } : {}) };
    }),
  );
  const kmsCalls = stats.calls;
  const data = stores.flatMap((s) => storeData(s, at));
  if (data.length > 0) {
    await publishMetrics(deps.cloudWatch, data, retry);
  }
  deps.log(JSON.stringify({ watched: stores.length, stores, awsCalls: stats.calls, retries: stats.retries }));
  return { stores, calls: stats.calls, kmsCalls };
}

function storeData(store: WatchedStore, at: Date): MetricDatum[] {
  const dims = { [STORE_ID_DIMENSION]: store.id };
  const data = [storeDatum(CONNECTED_METRIC, store.state === 'CONNECTED' ? 1 : 0, dims, at)];
  if (store.state !== 'CONNECTED') {
    data.push(storeDatum(CONNECTION_ERROR_METRIC, 1, { ...dims, [ERROR_CODE_DIMENSION]: store.connectionErrorCode ?? store.state }, at));
  }
  const probe = store.probe;
  if (probe) {
    if (probe.available !== undefined) data.push(storeDatum(AVAILABLE_METRIC, probe.available ? 1 : 0, dims, at));
    data.push(storeDatum(PROBE_LATENCY_METRIC, probe.latencyMs, dims, at, 'Milliseconds'));
    if (probe.exceptionName !== undefined) data.push(storeDatum(PROBE_ERROR_METRIC, 1, { ...dims, [EXCEPTION_NAME_DIMENSION]: probe.exceptionName }, at));
  }
  return data;
}

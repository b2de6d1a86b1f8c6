/**
 * The connection watcher: on each scheduled run, reads every store of the account once, and
 * publishes for each watched store whether it is CONNECTED (and, when not, why), so that an alarm
 * can fire when a store the stack wants connected stays disconnected. CloudHSM key stores publish
 * no KMS metric at all, and an external key store publishes nothing while it is disconnected.
 *
 * CONNECTED is not health: a store whose cluster or proxy broke stays CONNECTED. So each CONNECTED
 * store that can be probed is probed (probe.ts), in parallel, and publishes Available and its
 * latency. A store that is not CONNECTED is not probed: Connected already says it cannot be used.
 *
 * Each store in a steady state is also compared with what the stack declares of it and of its keys
 * (drift.ts), from the same DescribeCustomKeyStores read.
 */
import { performance } from 'perf_hooks';
import { CloudWatchClient, MetricDatum } from '@aws-sdk/client-cloudwatch';
import { KMSClient } from '@aws-sdk/client-kms';
import { SSMClient } from '@aws-sdk/client-ssm';
import {
  AVAILABLE_METRIC,
  CONFIGURATION_DRIFT_METRIC,
  DRIFTED_KEYS_METRIC,
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
import { errorName } from '../shared/errors';
import { StoreApi, StoreView } from '../shared/store-api';
import { Declarations, keyDrift, readDeclarations, storeDifferences } from './drift';
import { ProbeOutcome, probeCommand, runProbe } from './probe';

/** States in which a store's settings hold still; CONNECTING and DISCONNECTING may be a deployment's offline update. */
const STEADY_STATES = new Set(['CONNECTED', 'DISCONNECTED', 'FAILED']);

export interface WatcherDeps {
  readonly kms: KMSClient;
  readonly cloudWatch: CloudWatchClient;
  readonly retry?: RetryOptions;
  readonly log: (line: string) => void;
  readonly now?: () => Date;
  /** A monotonic clock in milliseconds for the probe's latency. Default performance.now. */
  readonly elapsedMs?: () => number;
  /** Where the stack's declarations are (absent in functions deployed before drift was checked). */
  readonly declarations?: { readonly ssm: SSMClient; readonly path: string };
}

interface WatchedStore {
  readonly id: string;
  /** CONNECTED, DISCONNECTED, ..., or NOT_FOUND when KMS does not show the store. */
  readonly state: string;
  readonly connectionErrorCode?: string;
  readonly probe?: ProbeOutcome;
  /** 1 when the store or one of its declared keys differs from the declaration; absent when not compared. */
  readonly configurationDrift?: number;
  readonly driftedKeys?: number;
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
  const ssmStats = new CallStats();
  const declarations = await readDeclarationsOrNot(deps, { ...deps.retry, stats: ssmStats });
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
      const drift = store && STEADY_STATES.has(state) && declarations ? await compare(store, declarations, deps, retry) : {};
      return { id, state, ...(connectionErrorCode ? { connectionErrorCode } : {}), ...(probe ? { probe } : {}), ...drift };
    }),
  );
  const kmsCalls = stats.calls;
  const data = stores.flatMap((s) => storeData(s, at));
  if (data.length > 0) {
    await publishMetrics(deps.cloudWatch, data, retry);
  }
  const calls = stats.calls + ssmStats.calls;
  deps.log(JSON.stringify({ watched: stores.length, stores, awsCalls: calls, retries: stats.retries + ssmStats.retries }));
  return { stores, calls, kmsCalls };
}

/** The declarations, or undefined: a failed read must not cost the connection metrics, so it is logged, not thrown. */
async function readDeclarationsOrNot(deps: WatcherDeps, retry: RetryOptions): Promise<Declarations | undefined> {
  if (!deps.declarations) return undefined;
  try {
    return await readDeclarations(deps.declarations.ssm, deps.declarations.path, retry, deps.log);
  } catch (err) {
    deps.log(JSON.stringify({ declarationsNotRead: deps.declarations.path, exceptionName: errorName(err) }));
    return undefined;
  }
}

/** The store's drift and its keys', with one line naming each field that differs (never a secret: none is compared). */
async function compare(store: StoreView, declarations: Declarations, deps: WatcherDeps, retry: RetryOptions): Promise<Pick<WatchedStore, 'configurationDrift' | 'driftedKeys'>> {
  const id = store.CustomKeyStoreId ?? '';
  const declared = declarations.stores.get(id);
  if (!declared) return {};
  const fields = storeDifferences(store, declared);
  const keys = await Promise.all((declarations.keys.get(id) ?? []).map(async (key) => keyDrift(deps.kms, key, retry, deps.log)));
  const driftedKeys = keys.filter((k) => k !== undefined && k.differences.length > 0);
  const configurationDrift = fields.length > 0 || driftedKeys.length > 0 ? 1 : 0;
  if (configurationDrift) {
    deps.log(JSON.stringify({ configurationDrift: id, name: store.CustomKeyStoreName, fields, keys: driftedKeys }));
  }
  return { configurationDrift, driftedKeys: driftedKeys.length };
}

function storeData(store: WatchedStore, at: Date): MetricDatum[] {
  const dims = { [STORE_ID_DIMENSION]: store.id };
  const data = [storeDatum(CONNECTED_METRIC, store.state === 'CONNECTED' ? 1 : 0, dims, at)];
  if (store.state !== 'CONNECTED') {
    data.push(storeDatum(CONNECTION_ERROR_METRIC, 1, { ...dims, [ERROR_CODE_DIMENSION]: store.connectionErrorCode ?? store.state }, at));
  }
  if (store.configurationDrift !== undefined) {
    data.push(storeDatum(CONFIGURATION_DRIFT_METRIC, store.configurationDrift, dims, at), storeDatum(DRIFTED_KEYS_METRIC, store.driftedKeys ?? 0, dims, at));
  }
  const probe = store.probe;
  if (probe) {
    if (probe.available !== undefined) data.push(storeDatum(AVAILABLE_METRIC, probe.available ? 1 : 0, dims, at));
    data.push(storeDatum(PROBE_LATENCY_METRIC, probe.latencyMs, dims, at, 'Milliseconds'));
    if (probe.exceptionName !== undefined) data.push(storeDatum(PROBE_ERROR_METRIC, 1, { ...dims, [EXCEPTION_NAME_DIMENSION]: probe.exceptionName }, at));
  }
  return data;
}

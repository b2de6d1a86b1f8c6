/** The connection watcher's Lambda entry point (`index.handler`), run by an EventBridge schedule. */
import { PROBE_KEYS_ENV, WATCHED_STORES_ENV } from '../../lib/private/contract/operations-metrics';
import { cloudWatchClient, jsonEnvironment, kmsClient } from '../shared/clients';
import { WatchReport, watchConnections } from './watch';

export async function handler(): Promise<WatchReport> {
  return watchConnections(jsonEnvironment<string>(WATCHED_STORES_ENV), { kms: kmsClient(), cloudWatch: cloudWatchClient(), log: (line) => { console.log(line); } }, probeKeys());
}

/** The probe keys the construct wrote (absent in functions deployed before probes existed). */
function probeKeys(): Record<string, string> {
  const raw = process.env[PROBE_KEYS_ENV];
  const parsed: unknown = raw ? JSON.parse(raw) : {};
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, string>) : {};
}

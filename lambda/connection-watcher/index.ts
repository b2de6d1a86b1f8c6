/** The connection watcher's Lambda entry point (`index.handler`), run by an EventBridge schedule. */
import { SSMClient } from '@aws-sdk/client-ssm';
import { DECLARED_CONFIGURATION_PATH_ENV, PROBE_KEYS_ENV, WATCHED_STORES_ENV } from '../../lib/private/contract/operations-metrics';
import { CLIENT_OPTIONS } from '../shared/client-options';
import { cloudWatchClient, jsonEnvironment, kmsClient } from '../shared/clients';
import { WatchReport, watchConnections } from './watch';

let ssm: SSMClient | undefined;

export async function handler(): Promise<WatchReport> {
  const path = process.env[DECLARED_CONFIGURATION_PATH_ENV];
  // Absent in functions deployed before drift was checked: no SSM client, no drift.
  const declarations = path ? { ssm: (ssm ??= new SSMClient(CLIENT_OPTIONS)), path } : undefined;
  return watchConnections(jsonEnvironment<string>(WATCHED_STORES_ENV), { kms: kmsClient(), cloudWatch: cloudWatchClient(), log: (line) => { console.log(line); }, ...(declarations ? { declarations } : {}) }, probeKeys());
}

/** The probe keys the construct wrote (absent in functions deployed before probes existed). */
function probeKeys(): Record<string, string> {
  const raw = process.env[PROBE_KEYS_ENV];
  const parsed: unknown = raw ? JSON.parse(raw) : {};
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, string>) : {};
}

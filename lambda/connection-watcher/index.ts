/** The connection watcher's Lambda entry point (`index.handler`), run by an EventBridge schedule. */
import { WATCHED_STORES_ENV } from '../../lib/private/contract/operations-metrics';
import { cloudWatchClient, jsonEnvironment, kmsClient } from '../shared/clients';
import { WatchReport, watchConnections } from './watch';

export async function handler(): Promise<WatchReport> {
  return watchConnections(jsonEnvironment<string>(WATCHED_STORES_ENV), { kms: kmsClient(), cloudWatch: cloudWatchClient(), log: (line) => { console.log(line); } });
}

/** The proxy credential sync's Lambda entry point (`index.handler`), run by a schedule and by Secrets Manager's events. */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SYNC_TARGETS_ENV, SyncTarget } from '../../lib/private/contract/operations-metrics';
import { SecretReader, SecretRedactor } from '../secrets';
import { CLIENT_OPTIONS, cloudWatchClient, jsonEnvironment, kmsClient } from './clients';
import { StoreSyncResult, SyncTrigger, syncProxyCredentials } from './proxy-credential-sync';

let secretsManager: SecretsManagerClient | undefined;

export async function handler(event?: SyncTrigger): Promise<StoreSyncResult[]> {
  secretsManager ??= new SecretsManagerClient(CLIENT_OPTIONS);
  const client = secretsManager;
  // A new redactor each run: it remembers the values this run read.
  const redactor = new SecretRedactor();
  return syncProxyCredentials(jsonEnvironment<SyncTarget>(SYNC_TARGETS_ENV), event, {
    kms: kmsClient(),
    cloudWatch: cloudWatchClient(),
    secrets: (retry) => new SecretReader(client, redactor, retry),
    redactor,
    log: (line) => { console.log(line); },
  });
}

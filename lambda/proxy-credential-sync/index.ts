/** The proxy credential sync's Lambda entry point (`index.handler`), run by a schedule and by Secrets Manager's events. */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { SYNC_TARGETS_ENV, SyncTarget } from '../../lib/private/contract/operations-metrics';
import { CLIENT_OPTIONS } from '../shared/client-options';
import { cloudWatchClient, jsonEnvironment, kmsClient } from '../shared/clients';
import { SecretRedactor } from '../shared/secrets/redactor';
import { StoreSyncResult, SyncTrigger, syncProxyCredentials } from './sync';

let clients: { secretsManager: SecretsManagerClient; ssm: SSMClient } | undefined;

export async function handler(event?: SyncTrigger): Promise<StoreSyncResult[]> {
  clients ??= { secretsManager: new SecretsManagerClient(CLIENT_OPTIONS), ssm: new SSMClient(CLIENT_OPTIONS) };
  // A new redactor each run: it remembers the values this run read.
  return syncProxyCredentials(jsonEnvironment<SyncTarget>(SYNC_TARGETS_ENV), event, {
    kms: kmsClient(),
    cloudWatch: cloudWatchClient(),
    ...clients,
    redactor: new SecretRedactor(),
    log: (line) => { console.log(line); },
  });
}

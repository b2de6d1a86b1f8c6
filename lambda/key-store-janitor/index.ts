/** The janitor's Lambda entry point (`index.handler`), run by an EventBridge schedule. */
import { SSMClient } from '@aws-sdk/client-ssm';
import { CLIENT_OPTIONS } from '../shared/client-options';
import { cloudWatchClient, kmsClient } from '../shared/clients';
import { JanitorReport, runJanitor } from './janitor';

let ssm: SSMClient | undefined;

export async function handler(): Promise<JanitorReport> {
  return runJanitor({ kms: kmsClient(), ssm: (ssm ??= new SSMClient(CLIENT_OPTIONS)), cloudWatch: cloudWatchClient(), log: (line) => { console.log(line); } });
}

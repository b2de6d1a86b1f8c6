/**
 * The AWS clients of the operations functions, made once per Lambda container with the SDK's own
 * retries off (retry.ts is the one retry layer). AWS_ENDPOINT_URL_* in the environment, read by the
 * SDK itself, is how tests point them at the local endpoint.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { KMSClient } from '@aws-sdk/client-kms';
import { CLIENT_OPTIONS } from './client-options';

let kms: KMSClient | undefined;
let cloudWatch: CloudWatchClient | undefined;

export function kmsClient(): KMSClient {
  return (kms ??= new KMSClient(CLIENT_OPTIONS));
}

export function cloudWatchClient(): CloudWatchClient {
  return (cloudWatch ??= new CloudWatchClient(CLIENT_OPTIONS));
}

/** A JSON array from the function's environment, which the construct wrote. */
export function jsonEnvironment<T>(name: string): T[] {
  const raw = process.env[name];
  const parsed: unknown = raw ? JSON.parse(raw) : [];
  if (!Array.isArray(parsed)) {
    throw new Error(`${name} must be a JSON array; the construct writes it, so redeploy the stack`);
  }
  return parsed as T[];
}

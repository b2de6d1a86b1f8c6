/** How an AWS SDK client finds the local endpoint and what it presents there. */

/** The endpoint accepts any credentials; these are the ones the project's clients present. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'AKIALOCALKMSENDPOINT', secretAccessKey: 'local-endpoint-secret-key' };

/** Configuration for an AWS SDK client (KMS or Secrets Manager) talking to a local endpoint at `url`. */
export function localClientConfig(url: string, region = 'us-east-1'): { endpoint: string; region: string; credentials: typeof LOCAL_CREDENTIALS } {
  return { endpoint: url, region, credentials: LOCAL_CREDENTIALS };
}

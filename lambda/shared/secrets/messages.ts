/**
 * The texts of secrets that cannot be used: each names the secret and what to fix, never the
 * value, and says that no KMS call was made with it.
 */
export function secretUnreadableMessage(errorName: string, what: string, secretArn: string, detail: string): string {
  return `${errorName}: could not read ${what} from secret ${secretArn}: ${detail}. No KMS call was made. Check that the secret exists in this account and Region and that the handler's role may read it, then deploy again.`;
}

export function secretNotStringMessage(what: string, secretArn: string): string {
  return `InvalidSecretValue: secret ${secretArn} has no SecretString (binary secrets are not supported). No KMS call was made. Store ${what} as a string, then deploy again.`;
}

export function invalidPasswordMessage(secretArn: string, problem: string, rule: string): string {
  return `InvalidSecretValue: the key store password in secret ${secretArn} is not valid: ${problem}; expected ${rule}. No KMS call was made with it. Put kmsuser's password, as plain text, in the secret, then deploy again (this step reads the secret each time it runs).`;
}

const CREDENTIAL_FIX = 'Store JSON {"accessKeyId": "...", "secretAccessKey": "..."} with the credential your XKS proxy issued, then deploy again (this step reads the secret each time it runs).';

export function credentialNotJsonMessage(secretArn: string): string {
  return `InvalidSecretValue: secret ${secretArn} does not hold JSON. No KMS call was made with it. ${CREDENTIAL_FIX}`;
}

export function credentialFieldMissingMessage(secretArn: string, key: string): string {
  return `InvalidSecretValue: the JSON in secret ${secretArn} lacks '${key}'. No KMS call was made with it. ${CREDENTIAL_FIX}`;
}

export function credentialFieldInvalidMessage(secretArn: string, key: string, problem: string, rule: string): string {
  return `InvalidSecretValue: '${key}' in secret ${secretArn} is not valid: ${problem}; expected ${rule}. No KMS call was made with it. ${CREDENTIAL_FIX}`;
}

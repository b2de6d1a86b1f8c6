/**
 * Reads the key store password and the XKS proxy credential from Secrets Manager at run time.
 *
 * Every value read is remembered by the redactor, which the handler applies to anything it logs
 * or throws, so that no secret can reach CloudWatch Logs, the Step Functions history or a stack
 * event even if a downstream message were to echo it.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as rules from '../lib/private/contract/field-rules';
import { errorName, KeyStoreError } from './errors';
import { RetryOptions, withRetry } from './retry';

export interface ProxyCredential {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export class SecretRedactor {
  private readonly values = new Set<string>();

  public remember(value: string): void {
    // Very short strings would redact ordinary words; KMS's own minimums are longer than this.
    if (value.length >= 4) {
      this.values.add(value);
    }
  }

  public redact(text: string): string {
    let out = text;
    for (const value of this.values) {
      out = out.split(value).join('*****');
    }
    return out;
  }
}

export class SecretReader {
  constructor(
    private readonly client: SecretsManagerClient,
    private readonly redactor: SecretRedactor,
    private readonly retry: RetryOptions = {},
  ) {}

  /** The kmsuser password: the secret's whole SecretString. */
  public async keyStorePassword(secretArn: string): Promise<string> {
    const value = await this.read(secretArn, 'the key store password');
    const problem = rules.describeViolation(value, rules.KEY_STORE_PASSWORD, true);
    if (problem) {
      throw new KeyStoreError(
        `InvalidSecretValue: the key store password in secret ${secretArn} is not valid: ${problem}; expected ${rules.KEY_STORE_PASSWORD.rule}. No KMS call was made with it. Put the kmsuser password, as plain text, in the secret and deploy again.`,
      );
    }
    return value;
  }

  /** The proxy's SigV4 credential: SecretString is JSON {"accessKeyId": …, "secretAccessKey": …}. */
  public async proxyCredential(secretArn: string): Promise<ProxyCredential> {
    const raw = await this.read(secretArn, 'the XKS proxy credential');
    const fix = `Store JSON {"accessKeyId": "...", "secretAccessKey": "..."} with the credential your XKS proxy issued, then deploy again.`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new KeyStoreError(`InvalidSecretValue: secret ${secretArn} does not hold JSON. No KMS call was made with it. ${fix}`);
    }
    const record = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
    const field = (key: string, rule: rules.FieldRule): string => {
      const value = record[key];
      if (typeof value !== 'string') {
        throw new KeyStoreError(`InvalidSecretValue: the JSON in secret ${secretArn} lacks '${key}'. No KMS call was made with it. ${fix}`);
      }
      this.redactor.remember(value);
      const problem = rules.describeViolation(value, rule, true);
      if (problem) {
        throw new KeyStoreError(`InvalidSecretValue: '${key}' in secret ${secretArn} is not valid: ${problem}; expected ${rule.rule}. No KMS call was made with it. ${fix}`);
      }
      return value;
    };
    return { accessKeyId: field('accessKeyId', rules.XKS_ACCESS_KEY_ID), secretAccessKey: field('secretAccessKey', rules.XKS_SECRET_ACCESS_KEY) };
  }

  private async read(secretArn: string, what: string): Promise<string> {
    let value: string | undefined;
    try {
      const out = await withRetry(async () => this.client.send(new GetSecretValueCommand({ SecretId: secretArn })), this.retry);
      value = out.SecretString;
    } catch (err) {
      throw new KeyStoreError(
        `${errorName(err)}: could not read ${what} from secret ${secretArn}: ${(err as Error).message}. No KMS call was made. Check that the secret exists in this account and Region and that the handler's role may read it.`,
      );
    }
    if (value === undefined) {
      throw new KeyStoreError(`InvalidSecretValue: secret ${secretArn} has no SecretString (binary secrets are not supported). No KMS call was made. Store ${what} as a string.`);
    }
    this.redactor.remember(value);
    return value;
  }
}

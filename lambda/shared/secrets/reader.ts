/**
 * Reads the key store password and the XKS proxy credential from Secrets Manager at run time.
 *
 * Every value read is remembered by the redactor, which the handler applies to anything it logs
 * or throws, so that no secret can reach CloudWatch Logs, the Step Functions history or a stack
 * event even if a downstream message were to echo it.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as rules from '../../../lib/private/contract/field-rules';
import { ACCESS_KEY_ID_FIELD } from '../../../lib/private/contract/store-properties';
import { errorName, KeyStoreError } from '../errors';
import { RetryOptions, withRetry } from '../retry';
import * as messages from './messages';
import { SecretRedactor } from './redactor';

export interface ProxyCredential {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
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
      throw new KeyStoreError(messages.invalidPasswordMessage(secretArn, problem, rules.KEY_STORE_PASSWORD.rule));
    }
    return value;
  }

  /**
   * The proxy's SigV4 credential: SecretString is JSON {"accessKeyId": …, "secretAccessKey": …}.
   * Of the given version, or the current one.
   */
  public async proxyCredential(secretArn: string, versionId?: string): Promise<ProxyCredential> {
    const raw = await this.read(secretArn, 'the XKS proxy credential', versionId);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new KeyStoreError(messages.credentialNotJsonMessage(secretArn));
    }
    const record = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
    const field = (key: string, rule: rules.FieldRule): string => {
      const value = record[key];
      if (typeof value !== 'string') {
        throw new KeyStoreError(messages.credentialFieldMissingMessage(secretArn, key));
      }
      this.redactor.remember(value);
      const problem = rules.describeViolation(value, rule, true);
      if (problem) {
        throw new KeyStoreError(messages.credentialFieldInvalidMessage(secretArn, key, problem, rule.rule));
      }
      return value;
    };
    return { accessKeyId: field(ACCESS_KEY_ID_FIELD, rules.XKS_ACCESS_KEY_ID), secretAccessKey: field('secretAccessKey', rules.XKS_SECRET_ACCESS_KEY) };
  }

  private async read(secretArn: string, what: string, versionId?: string): Promise<string> {
    let value: string | undefined;
    try {
      const out = await withRetry(async () => this.client.send(new GetSecretValueCommand({ SecretId: secretArn, VersionId: versionId })), this.retry);
      value = out.SecretString;
    } catch (err) {
      throw new KeyStoreError(messages.secretUnreadableMessage(errorName(err), what, secretArn, (err as Error).message), err);
    }
    if (value === undefined) {
      throw new KeyStoreError(messages.secretNotStringMessage(what, secretArn));
    }
    this.redactor.remember(value);
    return value;
  }
}

/**
 * CloudFormation's `{{resolve:secretsmanager:…}}` dynamic references, as it resolves them in the
 * properties of the plain resources the runner plays (an AWS::SSM::Parameter's Value): never in a
 * custom resource's properties, which CloudFormation passes on as written.
 *
 * The pattern (CloudFormation User Guide, "Get a secret or secret value from Secrets Manager"):
 * `{{resolve:secretsmanager:secret-id:SecretString:json-key:version-stage:version-id}}`, where the
 * secret id is a name or an ARN (colons and all), and every part after it may be empty.
 */
import { SecretsManagerModel } from '../services/secrets-manager';

const REFERENCE = /\{\{resolve:secretsmanager:(.+?)\}\}/g;

/** `text` with each secretsmanager dynamic reference replaced by the value it names. */
export function resolveSecretReferences(text: string, secrets: SecretsManagerModel): string {
  return text.replace(REFERENCE, (_match, body: string) => {
    const parts = body.split(':SecretString:');
    const secretId = parts[0];
    const [jsonKey = '', stage = '', versionId = ''] = parts.length > 1 ? parts[1].split(':') : [];
    const value = secrets.GetSecretValue({ SecretId: secretId, ...(stage ? { VersionStage: stage } : {}), ...(versionId ? { VersionId: versionId } : {}) }).SecretString as string;
    if (!jsonKey) return value;
    const field = (JSON.parse(value) as Record<string, unknown>)[jsonKey];
    if (typeof field !== 'string') {
      // CloudFormation fails the resource that holds the reference.
      throw new Error(`dynamic reference to secret ${secretId}: its SecretString has no string field '${jsonKey}'`);
    }
    return field;
  });
}

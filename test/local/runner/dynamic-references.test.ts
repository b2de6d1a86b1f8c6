/** The runner's CloudFormation resolves secretsmanager dynamic references as CloudFormation does, in the plain resources it plays. */
import { Clock } from '../../../local/clock';
import { resolveSecretReferences } from '../../../local/runner/dynamic-references';
import { SecretsManagerModel } from '../../../local/services/secrets-manager';

const secrets = new SecretsManagerModel(new Clock(), '111122223333', 'us-east-1');
const { ARN: arn } = secrets.CreateSecret({ Name: 'proxy/credential', SecretString: JSON.stringify({ accessKeyId: 'AKID-V1', secretAccessKey: 'never' }) }) as { ARN: string };
secrets.PutSecretValue({ SecretId: arn, SecretString: JSON.stringify({ accessKeyId: 'AKID-V2', secretAccessKey: 'never' }) });

test('a JSON field of the current version, by full ARN, partial ARN or name, inside a longer string', () => {
  const partial = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:proxy/credential';
  for (const id of [arn, partial, 'proxy/credential']) {
    expect(resolveSecretReferences(`{"id":"{{resolve:secretsmanager:${id}:SecretString:accessKeyId::}}"}`, secrets)).toBe('{"id":"AKID-V2"}');
  }
});

test('a version stage, the whole SecretString, and text without a reference', () => {
  expect(resolveSecretReferences(`{{resolve:secretsmanager:${arn}:SecretString:accessKeyId:AWSPREVIOUS:}}`, secrets)).toBe('AKID-V1');
  expect(resolveSecretReferences(`{{resolve:secretsmanager:${arn}}}`, secrets)).toContain('"accessKeyId":"AKID-V2"');
  expect(resolveSecretReferences('plain', secrets)).toBe('plain');
});

test('a missing field or secret fails, as CloudFormation fails the resource', () => {
  expect(() => resolveSecretReferences(`{{resolve:secretsmanager:${arn}:SecretString:nope::}}`, secrets)).toThrow(/has no string field 'nope'/);
  expect(() => resolveSecretReferences('{{resolve:secretsmanager:other:SecretString:accessKeyId::}}', secrets)).toThrow(/can't find the specified secret/);
});

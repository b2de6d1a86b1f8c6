/**
 * The local endpoint's Secrets Manager, through the real AWS SDK over HTTP: lookup by ARN or name,
 * staging labels, and the "Secret Label Updated" event.
 */
import { DescribeSecretCommand, GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { LocalKms, startLocalKms } from '../../../local';

let kms: LocalKms;

beforeEach(async () => {
  kms = await startLocalKms({ connectMs: 30, disconnectMs: 30, quotas: false });
});
afterEach(async () => kms.stop());

test('Secrets Manager: a secret is found by ARN, by ARN without its suffix, or by name', async () => {
  const { ARN } = kms.secrets.CreateSecret({ Name: 'team/secret', SecretString: 'value-1234' }) as { ARN: string };
  const sm = new SecretsManagerClient(kms.clientConfig());
  for (const id of [ARN, ARN.replace(/-[0-9a-f]{6}$/, ''), 'team/secret']) {
    expect((await sm.send(new GetSecretValueCommand({ SecretId: id }))).SecretString).toBe('value-1234');
  }
  await expect(sm.send(new GetSecretValueCommand({ SecretId: 'nope' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
});

test('Secrets Manager: PutSecretValue makes a new AWSCURRENT and moves AWSPREVIOUS; DescribeSecret shows stages, never values', async () => {
  const sm = new SecretsManagerClient(kms.clientConfig());
  const { ARN } = kms.secrets.CreateSecret({ Name: 'rotating', SecretString: 'first-value' }) as { ARN: string };
  const put = await sm.send(new PutSecretValueCommand({ SecretId: ARN, SecretString: 'second-value' }));
  expect((await sm.send(new GetSecretValueCommand({ SecretId: ARN }))).SecretString).toBe('second-value');
  expect((await sm.send(new GetSecretValueCommand({ SecretId: ARN, VersionStage: 'AWSPREVIOUS' }))).SecretString).toBe('first-value');
  const described = await sm.send(new DescribeSecretCommand({ SecretId: ARN }));
  expect(described.VersionIdsToStages?.[put.VersionId ?? '']).toEqual(['AWSCURRENT']);
  expect(JSON.stringify(described)).not.toMatch(/first-value|second-value/);
});

test('Secrets Manager sends "Secret Label Updated" when AWSCURRENT moves, naming the secret by full ARN and name, never its value', async () => {
  const sm = new SecretsManagerClient(kms.clientConfig());
  const seen: unknown[] = [];
  kms.secrets.onLabelUpdated = (e) => seen.push(e);
  const { ARN } = kms.secrets.CreateSecret({ Name: 'rotating', SecretString: 'first-value' }) as { ARN: string };
  expect(seen).toEqual([]);
  const put = await sm.send(new PutSecretValueCommand({ SecretId: 'rotating', SecretString: 'second-value' }));
  expect(seen).toEqual([
    expect.objectContaining({ source: 'aws.secretsmanager', 'detail-type': 'Secret Label Updated', resources: [ARN], detail: { name: 'rotating', labelUpdated: 'AWSCURRENT', versionId: put.VersionId } }),
  ]);
  expect(JSON.stringify(seen)).not.toMatch(/first-value|second-value/);
});

/** Secrets that cannot be used fail with a clear error and no KMS call, and no secret value ever shows. */
import { CreateCustomKeyStoreCommand } from '@aws-sdk/client-kms';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { CANARY_PASSWORD, CANARY_SECRET_KEY, cloudHsmProps, createEvent, CREDENTIAL_ARN, externalProps, PASSWORD_ARN } from '../../fixtures/events';
import { awsError, harness, kmsCalls, kmsMock, resetMocks, smMock } from './harness';

beforeEach(resetMocks);

describe('secrets', () => {
  test('a credential secret whose JSON lacks secretAccessKey: clear error, no KMS call, no secret value', async () => {
    smMock.on(GetSecretValueCommand, { SecretId: CREDENTIAL_ARN }).resolves({ SecretString: JSON.stringify({ accessKeyId: 'CANARYAKIDABCDEFGHIJ234567' }) });
    const error = (await harness().onEvent(createEvent(externalProps())).catch((e: unknown) => e)) as Error;
    expect(error.message).toBe(
      `InvalidSecretValue: the JSON in secret ${CREDENTIAL_ARN} lacks 'secretAccessKey'. No KMS call was made with it. Store JSON {"accessKeyId": "...", "secretAccessKey": "..."} with the credential your XKS proxy issued, then deploy again (this step reads the secret each time it runs).`,
    );
    expect(kmsCalls()).toEqual([]);
  });

  test('a credential secret that is not JSON', async () => {
    smMock.on(GetSecretValueCommand, { SecretId: CREDENTIAL_ARN }).resolves({ SecretString: CANARY_SECRET_KEY });
    const error = (await harness().onEvent(createEvent(externalProps())).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/^InvalidSecretValue: secret .* does not hold JSON/);
    expect(error.message).not.toContain(CANARY_SECRET_KEY);
  });

  test('a password of the wrong length is described by its length, never quoted', async () => {
    smMock.on(GetSecretValueCommand, { SecretId: PASSWORD_ARN }).resolves({ SecretString: 'short' });
    await expect(harness().onEvent(createEvent(cloudHsmProps()))).rejects.toThrow(
      `InvalidSecretValue: the key store password in secret ${PASSWORD_ARN} is not valid: the value has 5 characters; expected the kmsuser password: 7-32 characters.`,
    );
    expect(kmsCalls()).toEqual([]);
  });

  test('an unreadable secret names the secret and the cause', async () => {
    smMock.on(GetSecretValueCommand, { SecretId: PASSWORD_ARN }).rejects(awsError('AccessDeniedException', 'not authorized to perform secretsmanager:GetSecretValue'));
    await expect(harness().onEvent(createEvent(cloudHsmProps()))).rejects.toThrow(/^AccessDeniedException: could not read the key store password from secret .*No KMS call was made/);
  });

  test('a KMS message that echoed a secret is redacted, in the error and in the log', async () => {
    kmsMock.on(CreateCustomKeyStoreCommand).rejects(awsError('CloudHsmClusterInvalidConfigurationException', `bad password ${CANARY_PASSWORD} for cluster`));
    const h = harness();
    const error = (await h.onEvent(createEvent(cloudHsmProps())).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/^CloudHsmClusterInvalidConfigurationException: bad password \*\*\*\*\* for cluster/);
    expect(h.logs.join('\n')).toContain('*****');
    expect(h.logs.join('\n')).not.toContain(CANARY_PASSWORD);
  });

  test('secrets that cannot be used', async () => {
    smMock.on(GetSecretValueCommand, { SecretId: PASSWORD_ARN }).resolves({ SecretBinary: new Uint8Array([1]) });
    await expect(harness().onEvent(createEvent(cloudHsmProps()))).rejects.toThrow(/has no SecretString \(binary secrets are not supported\)/);
    smMock.on(GetSecretValueCommand, { SecretId: CREDENTIAL_ARN }).resolves({ SecretString: JSON.stringify({ accessKeyId: 'lowercase-is-wrong-here', secretAccessKey: 'x'.repeat(43) }) });
    await expect(harness().onEvent(createEvent(externalProps()))).rejects.toThrow(/'accessKeyId' in secret .* is not valid: the value does not match; expected 20-30 characters of \[A-Z2-7\]/);
  });
});

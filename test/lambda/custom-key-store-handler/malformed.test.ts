import { CreateCustomKeyStoreCommand } from '@aws-sdk/client-kms';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import 'aws-sdk-client-mock-jest';
import { CANARY_PASSWORD, CANARY_SECRET_KEY, cloudHsmProps, createEvent, CREDENTIAL_ARN, externalProps, PASSWORD_ARN } from '../../fixtures/events';
import { awsError, harness, kmsCalls, kmsMock, resetMocks, smMock } from './harness';

beforeEach(resetMocks);

describe('a malformed event fails with a clear error and no KMS call', () => {
  const without = (key: string): Record<string, string> => Object.fromEntries(Object.entries(cloudHsmProps()).filter(([k]) => k !== key));

  test.each([
    ['missing ResourceProperties', { RequestType: 'Create' }, /^MalformedEvent: ResourceProperties is missing\. No KMS call was made\./],
    ['missing name', createEvent(without('CustomKeyStoreName')), /^MalformedEvent: ResourceProperties\.CustomKeyStoreName is missing/],
    ['missing password ARN', createEvent(without('KeyStorePasswordSecretArn')), /ResourceProperties\.KeyStorePasswordSecretArn is missing/],
    ['unknown store type', createEvent(cloudHsmProps({ CustomKeyStoreType: 'HSM' })), /CustomKeyStoreType is 'HSM'; expected AWS_CLOUDHSM or EXTERNAL_KEY_STORE/],
    ['Connected not a boolean string', createEvent(cloudHsmProps({ Connected: 'yes' })), /Connected is 'yes'; expected 'true' or 'false'/],
    ['cluster id of the wrong shape', createEvent(cloudHsmProps({ CloudHsmClusterId: 'cluster-1' })), /CloudHsmClusterId: 'cluster-1' has 9 characters; expected 'cluster-'/],
    ['endpoint with a path', createEvent(externalProps({ XksProxyUriEndpoint: 'https://x.example.com/kms' })), /XksProxyUriEndpoint: 'https:\/\/x\.example\.com\/kms' does not match/],
    ['unknown RequestType', { ...createEvent(cloudHsmProps()), RequestType: 'Replace' }, /^MalformedEvent: RequestType 'Replace' is not Create, Update or Delete\. No KMS call was made\./],
    ['Update without OldResourceProperties', { ...createEvent(cloudHsmProps()), RequestType: 'Update', PhysicalResourceId: 'cks-1234567890abcdef0' }, /OldResourceProperties is missing/],
    ['Delete without PhysicalResourceId', { ...createEvent(cloudHsmProps()), RequestType: 'Delete' }, /PhysicalResourceId is missing from a Delete event/],
  ])('%s', async (_name, event, message) => {
    await expect(harness().onEvent(event)).rejects.toThrow(message);
    expect(kmsCalls()).toEqual([]);
  });
});

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
});

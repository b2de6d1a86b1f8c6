/** An event the constructs never send fails with MalformedEvent and no KMS call (the key resource's are in key.test.ts). */
import { cloudHsmProps, createEvent, externalProps } from '../../fixtures/events';
import { harness, kmsCalls, resetMocks } from './harness';

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

  test.each([
    [{ XksProxyConnectivity: 'INTERNET' }, /XksProxyConnectivity is 'INTERNET'; expected PUBLIC_ENDPOINT or VPC_ENDPOINT_SERVICE/],
    [{ WaitTimeoutSeconds: '7200' }, /WaitTimeoutSeconds is '7200'; expected a whole number of seconds from 60 to 3300/],
  ])('malformed %j', async (override, message) => {
    await expect(harness().onEvent(createEvent(externalProps(override)))).rejects.toThrow(message);
  });
});

describe('a malformed event in isComplete', () => {
  test('isComplete with an unknown RequestType', async () => {
    await expect(harness().isComplete({ ...createEvent(cloudHsmProps()), RequestType: 'Replace' })).rejects.toThrow(/RequestType 'Replace' is not Create, Update or Delete/);
  });
});

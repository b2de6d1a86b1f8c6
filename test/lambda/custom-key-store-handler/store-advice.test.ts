/** The store's failure messages: the advice for each connection error depends on the store type. */
import { DescribeCustomKeyStoresCommand } from '@aws-sdk/client-kms';
import { connectionHint } from '../../../lambda/custom-key-store-handler/store/messages';
import { cloudHsmProps, deleteEvent, externalProps } from '../../fixtures/events';
import { accountKeys, harness, kmsMock, resetMocks, store, storeStates } from './harness';

const ID = 'cks-1234567890abcdef0';

beforeEach(resetMocks);

describe('advice depends on the store type', () => {
  test.each([
    ['AWS_CLOUDHSM', 'INVALID_CREDENTIALS', /kmsuser.*new secret.*keyStorePassword/],
    ['EXTERNAL_KEY_STORE', 'INVALID_CREDENTIALS', /proxy authentication credential.*new secret.*proxyCredential/],
    ['AWS_CLOUDHSM', 'SUBNET_NOT_FOUND', /create a cluster from a recent backup/],
    ['AWS_CLOUDHSM', 'NETWORK_ERRORS', /security group/],
    ['EXTERNAL_KEY_STORE', 'NETWORK_ERRORS', /network path to the proxy/],
    ['EXTERNAL_KEY_STORE', 'XKS_VPC_ENDPOINT_SERVICE_INVALID_CONFIGURATION', /cks\.kms\.<region>\.amazonaws\.com/],
    ['AWS_CLOUDHSM', 'SOMETHING_NEW', /see ConnectionErrorCode in the KMS Developer Guide/],
  ])('%s %s', (type, code, advice) => {
    expect(connectionHint(type, code)).toMatch(advice);
  });

  test('no hint says to update a secret in place: a new value under the same ARN never reaches KMS', () => {
    for (const type of ['AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE']) {
      for (const code of ['INVALID_CREDENTIALS', 'USER_LOCKED_OUT', 'USER_NOT_FOUND', 'USER_LOGGED_IN', 'XKS_PROXY_ACCESS_DENIED']) {
        expect(connectionHint(type, code)).not.toMatch(/update the secret|in the secret and deploy/);
      }
    }
  });

  test('a CloudHSM store blocked by keys: keep it connected while they wait; an external store is not told so', async () => {
    accountKeys([{ id: 'k1', store: ID }]);
    storeStates(ID, 'CONNECTED');
    await expect(harness().onEvent(deleteEvent(ID, cloudHsmProps()))).rejects.toThrow(/keep the store connected while they wait/);
    kmsMock.on(DescribeCustomKeyStoresCommand).resolves({ CustomKeyStores: [store(ID, 'CONNECTED', { CustomKeyStoreType: 'EXTERNAL_KEY_STORE' })] });
    const error = (await harness().onEvent(deleteEvent(ID, externalProps())).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/^CustomKeyStoreHasCMKsException/);
    expect(error.message).not.toMatch(/keep the store connected/);
  });
});

/**
 * An external key store with a KMS key in it. The key is created in the connected store; the
 * test's destroy then fails cleanly: the key goes to PendingDeletion (7 days), and KMS refuses to
 * delete a store that still holds a key, so the stack ends DELETE_FAILED with the store as it was.
 * Once the waiting period is over, deleting the stack again succeeds (CONTRIBUTING.md says how).
 */
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { CustomKeyStore, CustomKeyStoreKey, KeyStoreBackend } from '../../lib';
import { prerequisite } from './prerequisites';
import { expectStore } from './store-assertions';

const NAME = 'cks-integ-key-store';
const ALIAS = 'alias/cks-integ-key';

const app = new App();
const stack = new Stack(app, 'cks-integ-external-store-key');
const xksKeyId = prerequisite(app, 'xksKeyId');

const store = new CustomKeyStore(stack, 'Store', {
  customKeyStoreName: NAME,
  backend: KeyStoreBackend.externalPublicEndpoint({
    proxyUriEndpoint: prerequisite(app, 'proxyUriEndpoint'),
    proxyUriPath: prerequisite(app, 'proxyUriPath'),
    proxyCredential: secretsmanager.Secret.fromSecretNameV2(stack, 'ProxyCredential', prerequisite(app, 'proxyCredentialSecretName')),
  }),
});
new CustomKeyStoreKey(stack, 'Key', {
  customKeyStore: store,
  xksKeyId,
  alias: ALIAS,
  description: 'cdk-kms-custom-key-store integration test key',
  // The shortest waiting period KMS allows; the store cannot be deleted before it ends.
  pendingWindow: Duration.days(7),
  removalPolicy: RemovalPolicy.DESTROY,
});

const integ = new IntegTest(app, 'ExternalStoreKey', {
  testCases: [stack],
  stackUpdateWorkflow: false,
  cdkCommandOptions: {
    // The destroy must fail, and fail as CloudFormation reports a resource that could not be deleted.
    destroy: { expectError: true, expectedMessage: 'DELETE_FAILED' },
  },
});

expectStore(integ.assertions, NAME, { CustomKeyStoreType: 'EXTERNAL_KEY_STORE', ConnectionState: 'CONNECTED' })
  .next(integ.assertions.awsApiCall('KMS', 'describeKey', { KeyId: ALIAS })
    .expect(ExpectedResult.objectLike({
      KeyMetadata: { KeyState: 'Enabled', Origin: 'EXTERNAL_KEY_STORE', KeyManager: 'CUSTOMER', XksKeyConfiguration: { Id: xksKeyId } },
    })));

app.synth();

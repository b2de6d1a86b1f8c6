/**
 * An external key store through its life: created and connected, renamed in place (a stack update,
 * still CONNECTED), and deleted by the test's destroy (the custom resource disconnects, then deletes;
 * a store that could not be deleted fails the destroy, and so the test).
 */
import { App, CfnParameter, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { IntegTest } from '@aws-cdk/integ-tests-alpha';
import { CustomKeyStore, KeyStoreBackend } from '../../lib';
import { prerequisite } from './prerequisites';
import { expectStore, updateStackParameters } from './store-assertions';

const NAME = 'cks-integ-lifecycle';
const RENAMED = 'cks-integ-lifecycle-renamed';

const app = new App();
const stack = new Stack(app, 'cks-integ-external-store-lifecycle');
// The name is a parameter so that the assertions can rename the store with a stack update.
const storeName = new CfnParameter(stack, 'StoreName', { type: 'String', default: NAME });

new CustomKeyStore(stack, 'Store', {
  customKeyStoreName: storeName.valueAsString,
  backend: KeyStoreBackend.externalPublicEndpoint({
    proxyUriEndpoint: prerequisite(app, 'proxyUriEndpoint'),
    proxyUriPath: prerequisite(app, 'proxyUriPath'),
    proxyCredential: secretsmanager.Secret.fromSecretNameV2(stack, 'ProxyCredential', prerequisite(app, 'proxyCredentialSecretName')),
  }),
});

const integ = new IntegTest(app, 'ExternalStoreLifecycle', {
  testCases: [stack],
  // The update workflow would deploy the committed snapshot first; its assets are not committed.
  stackUpdateWorkflow: false,
});

expectStore(integ.assertions, NAME, { CustomKeyStoreType: 'EXTERNAL_KEY_STORE', ConnectionState: 'CONNECTED' })
  .next(updateStackParameters(integ.assertions, stack, { StoreName: RENAMED }))
  .next(expectStore(integ.assertions, RENAMED, { CustomKeyStoreType: 'EXTERNAL_KEY_STORE', ConnectionState: 'CONNECTED' }));

app.synth();

/**
 * A CloudHSM key store, opt-in: it needs an initialized, active cluster with two HSMs and the
 * kmsuser crypto user, which cost money by the hour. Deployed only with `-c cks-integ:cloudHsm=true`
 * (or CKS_INTEG_CLOUDHSM=true) and the cluster's prerequisites; otherwise the test synthesizes
 * (and its snapshot is checked) but deploys nothing.
 */
import * as fs from 'fs';
import { App, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { IntegTest } from '@aws-cdk/integ-tests-alpha';
import { CustomKeyStore, KeyStoreBackend } from '../../lib';
import { cloudHsmOptedIn, prerequisite } from './prerequisites';
import { expectStore } from './store-assertions';

const NAME = 'cks-integ-cloudhsm-store';

const app = new App();
const stack = new Stack(app, 'cks-integ-cloudhsm-store');
const optedIn = cloudHsmOptedIn(app);

new CustomKeyStore(stack, 'Store', {
  customKeyStoreName: NAME,
  backend: KeyStoreBackend.cloudHsm({
    clusterId: prerequisite(app, 'cloudHsmClusterId'),
    trustAnchorCertificate: fs.readFileSync(prerequisite(app, 'trustAnchorCertificateFile'), 'utf8'),
    keyStorePassword: secretsmanager.Secret.fromSecretNameV2(stack, 'KmsuserPassword', prerequisite(app, 'kmsuserPasswordSecretName')),
  }),
});

const integ = new IntegTest(app, 'CloudHsmStore', {
  testCases: [stack],
  stackUpdateWorkflow: false,
  cdkCommandOptions: {
    deploy: { enabled: optedIn },
    destroy: { enabled: optedIn },
  },
});

expectStore(integ.assertions, NAME, { CustomKeyStoreType: 'AWS_CLOUDHSM', ConnectionState: 'CONNECTED' });

app.synth();

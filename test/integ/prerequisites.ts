/**
 * What the integration tests need from the account they run in, and cannot create themselves: an
 * XKS proxy in service (KMS checks it at CreateCustomKeyStore), its credential in Secrets Manager,
 * an external key the proxy knows, and for the opt-in CloudHSM test an initialized, active cluster.
 *
 * Each value comes from CDK context (`-c cks-integ:<name>=…`, or integ-runner's `--context`) or the
 * environment (`CKS_INTEG_<NAME>`), else a harmless placeholder. The committed snapshots are
 * synthesized with the placeholders only, so they stay the same in every account; a real run
 * passes real values (see CONTRIBUTING.md).
 */
import * as path from 'path';
import { App } from 'aws-cdk-lib';

/** One prerequisite: its context key, environment variable and placeholder. */
interface Prerequisite {
  readonly context: string;
  readonly env: string;
  readonly placeholder: string;
}

const PREREQUISITES = {
  proxyUriEndpoint: { context: 'cks-integ:proxyUriEndpoint', env: 'CKS_INTEG_PROXY_URI_ENDPOINT', placeholder: 'https://xks-proxy.example.com' },
  proxyUriPath: { context: 'cks-integ:proxyUriPath', env: 'CKS_INTEG_PROXY_URI_PATH', placeholder: '/kms/xks/v1' },
  proxyCredentialSecretName: { context: 'cks-integ:proxyCredentialSecretName', env: 'CKS_INTEG_PROXY_CREDENTIAL_SECRET_NAME', placeholder: 'cks-integ/xks-proxy-credential' },
  xksKeyId: { context: 'cks-integ:xksKeyId', env: 'CKS_INTEG_XKS_KEY_ID', placeholder: 'cks-integ-external-key-1' },
  cloudHsm: { context: 'cks-integ:cloudHsm', env: 'CKS_INTEG_CLOUDHSM', placeholder: 'false' },
  cloudHsmClusterId: { context: 'cks-integ:cloudHsmClusterId', env: 'CKS_INTEG_CLOUDHSM_CLUSTER_ID', placeholder: 'cluster-2a23b4cdefg' },
  kmsuserPasswordSecretName: { context: 'cks-integ:kmsuserPasswordSecretName', env: 'CKS_INTEG_KMSUSER_PASSWORD_SECRET_NAME', placeholder: 'cks-integ/kmsuser-password' },
  // A path to the cluster's customerCA.crt (PEM); the placeholder is the repository's sample certificate.
  trustAnchorCertificateFile: { context: 'cks-integ:trustAnchorCertificateFile', env: 'CKS_INTEG_TRUST_ANCHOR_CERTIFICATE_FILE', placeholder: path.join(__dirname, '..', '..', 'bin', 'customerCA.crt') },
} satisfies Record<string, Prerequisite>;

export type PrerequisiteName = keyof typeof PREREQUISITES;

/** The value of a prerequisite for this app: context first, then the environment, then the placeholder. */
export function prerequisite(app: App, name: PrerequisiteName): string {
  const p = PREREQUISITES[name];
  const fromContext: unknown = app.node.tryGetContext(p.context);
  if (typeof fromContext === 'string' && fromContext !== '') {
    return fromContext;
  }
  const fromEnv = process.env[p.env];
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : p.placeholder;
}

/** Whether the opt-in CloudHSM test deploys (it needs a cluster, and a cluster costs money by the hour). */
export function cloudHsmOptedIn(app: App): boolean {
  return prerequisite(app, 'cloudHsm') === 'true';
}

/** The environment variables that change what the apps synthesize (the snapshot test runs without them). */
export const PREREQUISITE_ENV_VARS: readonly string[] = Object.values(PREREQUISITES).map((p: Prerequisite) => p.env);

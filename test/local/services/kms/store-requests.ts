/** CreateCustomKeyStore requests for the endpoint's tests: a CloudHSM key store and an external key store. */
import { CreateCustomKeyStoreCommand } from '@aws-sdk/client-kms';
import { TRUST_ANCHOR } from '../../../fixtures/events';

export const hsm = (name: string, cluster = 'cluster-2a23b4cdefg'): CreateCustomKeyStoreCommand =>
  new CreateCustomKeyStoreCommand({ CustomKeyStoreName: name, CloudHsmClusterId: cluster, TrustAnchorCertificate: TRUST_ANCHOR, KeyStorePassword: 'kmsuser-pw' });

export const xks = (name: string, endpoint: string): CreateCustomKeyStoreCommand =>
  new CreateCustomKeyStoreCommand({
    CustomKeyStoreName: name,
    CustomKeyStoreType: 'EXTERNAL_KEY_STORE',
    XksProxyUriEndpoint: endpoint,
    XksProxyUriPath: '/kms/xks/v1',
    XksProxyConnectivity: 'PUBLIC_ENDPOINT',
    XksProxyAuthenticationCredential: { AccessKeyId: 'ABCDEFGHIJKLMNOPQRST', RawSecretAccessKey: 'a'.repeat(43) },
  });

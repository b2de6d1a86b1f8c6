import { Duration, Lazy, Stack } from 'aws-cdk-lib';
import { CustomKeyStore, CustomKeyStoreProps, KeyStoreBackend } from '../../lib';
import { TRUST_ANCHOR } from '../fixtures/events';
import { cloudHsmBackend, importedSecret, newStack, publicBackend, vpcBackend } from '../fixtures/stacks';

/** A message is matched as a substring when a string, as a pattern when a RegExp. */
type Case = [string, (stack: Stack) => Partial<CustomKeyStoreProps>, string | RegExp];

const cases: Case[] = [
  ['empty name', (s) => ({ customKeyStoreName: '', backend: publicBackend(s) }), "customKeyStoreName: '' has 0 characters; expected 1-256 characters, unique in the account and Region"],
  ['257-character name', (s) => ({ customKeyStoreName: 'n'.repeat(257), backend: publicBackend(s) }), /customKeyStoreName: 'n{57}\.\.\.' has 257 characters; expected 1-256 characters/],
  ['no backend', () => ({ customKeyStoreName: 'a', backend: undefined }), 'backend is required; expected KeyStoreBackend.cloudHsm(...), KeyStoreBackend.externalPublicEndpoint(...) or KeyStoreBackend.externalVpcEndpointService(...)'],
  ['cluster id without prefix', (s) => ({ customKeyStoreName: 'a', backend: cloudHsmBackend(s, { clusterId: 'clstr-2a23b4cdefgh' }) }), "clusterId: 'clstr-2a23b4cdefgh' does not start with 'cluster-'; expected 'cluster-' followed by 11-16 characters of [2-7a-zA-Z] (19-24 characters)"],
  ['cluster id with a digit outside base32', (s) => ({ customKeyStoreName: 'a', backend: cloudHsmBackend(s, { clusterId: 'cluster-1a23b4cdefg' }) }), "clusterId: 'cluster-1a23b4cdefg' has characters outside [2-7a-zA-Z] after the prefix; expected 'cluster-' followed by 11-16 characters of [2-7a-zA-Z] (19-24 characters)"],
  ['cluster id too short', (s) => ({ customKeyStoreName: 'a', backend: cloudHsmBackend(s, { clusterId: 'cluster-abc' }) }), "clusterId: 'cluster-abc' has 11 characters; expected 'cluster-' followed by 11-16 characters"],
  ['certificate path instead of content', (s) => ({ customKeyStoreName: 'a', backend: cloudHsmBackend(s, { trustAnchorCertificate: './customerCA.crt' }) }), "trustAnchorCertificate: './customerCA.crt' has no '-----BEGIN CERTIFICATE-----' (pass the content of customerCA.crt, not its path)"],
  ['truncated certificate', (s) => ({ customKeyStoreName: 'a', backend: cloudHsmBackend(s, { trustAnchorCertificate: TRUST_ANCHOR.slice(0, 60) }) }), "has no '-----END CERTIFICATE-----'"],
  ['certificate over 5000 characters', (s) => ({ customKeyStoreName: 'a', backend: cloudHsmBackend(s, { trustAnchorCertificate: TRUST_ANCHOR.replace('MII', `MII${'A'.repeat(5000)}`) }) }), /trustAnchorCertificate: '-----BEGIN CERTIFICATE----- MIIA.*' has 5\d{3} characters; expected the PEM content of customerCA.crt/],
  ['no password secret', (s) => ({ customKeyStoreName: 'a', backend: cloudHsmBackend(s, { keyStorePassword: undefined }) }), 'keyStorePassword is required; expected a secret holding the kmsuser password as plain text (a secretsmanager.ISecret, never the value itself)'],
  ['password as a string', (s) => ({ customKeyStoreName: 'a', backend: cloudHsmBackend(s, { keyStorePassword: 'hunter2hunter2' as never }) }), 'keyStorePassword is required; expected a secret holding the kmsuser password as plain text (a secretsmanager.ISecret, never the value itself)'],
  ['http endpoint', (s) => ({ customKeyStoreName: 'a', backend: publicBackend(s, { proxyUriEndpoint: 'http://xks.example.com' }) }), "proxyUriEndpoint: 'http://xks.example.com' does not start with 'https://'; expected 'https://' followed by a host name of [a-zA-Z0-9.-], with no port and no path (10-128 characters)"],
  ['endpoint with a port', (s) => ({ customKeyStoreName: 'a', backend: publicBackend(s, { proxyUriEndpoint: 'https://xks.example.com:8443' }) }), "proxyUriEndpoint: 'https://xks.example.com:8443' has a port (KMS always uses 443)"],
  ['endpoint with a path', (s) => ({ customKeyStoreName: 'a', backend: publicBackend(s, { proxyUriEndpoint: 'https://xks.example.com/kms/xks/v1' }) }), "proxyUriEndpoint: 'https://xks.example.com/kms/xks/v1' has a path (put it in proxyUriPath, which must end in '/kms/xks/v1')"],
  ['endpoint with a trailing slash', (s) => ({ customKeyStoreName: 'a', backend: publicBackend(s, { proxyUriEndpoint: 'https://xks.example.com/' }) }), "proxyUriEndpoint: 'https://xks.example.com/' ends with a slash"],
  ['path without /kms/xks/v1', (s) => ({ customKeyStoreName: 'a', backend: publicBackend(s, { proxyUriPath: '/payments/xks' }) }), "proxyUriPath: '/payments/xks' does not end in '/kms/xks/v' and a version number; expected an optional prefix followed by '/kms/xks/v' and a 1-2 digit version"],
  ['path without leading slash', (s) => ({ customKeyStoreName: 'a', backend: publicBackend(s, { proxyUriPath: 'kms/xks/v1' }) }), "proxyUriPath: 'kms/xks/v1' does not start with '/'"],
  ['path with a three-digit version', (s) => ({ customKeyStoreName: 'a', backend: publicBackend(s, { proxyUriPath: '/kms/xks/v100' }) }), "proxyUriPath: '/kms/xks/v100' does not end in '/kms/xks/v' and a version number"],
  ['both kinds of secret for a CloudHSM store', (s) => ({ customKeyStoreName: 'a', backend: cloudHsmBackend(s, { proxyCredential: importedSecret(s, 'X', 'x') } as never) }), 'proxyCredential does not apply here: KeyStoreBackend.cloudHsm takes the kmsuser password (keyStorePassword) only; expected one secret of the store\'s own kind'],
  ['both kinds of secret for an external store', (s) => ({ customKeyStoreName: 'a', backend: publicBackend(s, { keyStorePassword: importedSecret(s, 'X', 'x') } as never) }), 'keyStorePassword does not apply here: An external key store takes the proxy credential (proxyCredential) only'],
  ['no proxy credential', (s) => ({ customKeyStoreName: 'a', backend: publicBackend(s, { proxyCredential: undefined }) }), 'proxyCredential is required; expected a secret holding JSON {"accessKeyId": "...", "secretAccessKey": "..."}'],
  ['VPC service name with a bad Region', (s) => ({ customKeyStoreName: 'a', backend: vpcBackend(s, { vpcEndpointServiceName: 'com.amazonaws.vpce.useast1.vpce-svc-0123456789abcdef0' }) }), "vpcEndpointServiceName: 'com.amazonaws.vpce.useast1.vpce-svc-0123456789abcdef0' does not name a Region such as 'us-east-1' after 'com.amazonaws.vpce.'"],
  ['VPC service name without the prefix', (s) => ({ customKeyStoreName: 'a', backend: vpcBackend(s, { vpcEndpointServiceName: 'vpce-svc-0123456789abcdef0' }) }), "vpcEndpointServiceName: 'vpce-svc-0123456789abcdef0' does not start with 'com.amazonaws.vpce.'"],
  ['VPC service name with an upper-case id', (s) => ({ customKeyStoreName: 'a', backend: vpcBackend(s, { vpcEndpointServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789ABCDEF0' }) }), "does not end in '.vpce-svc-' and a lower-case id"],
  ['owner with 11 digits', (s) => ({ customKeyStoreName: 'a', backend: vpcBackend(s, { vpcEndpointServiceOwner: '44445555666' }) }), "vpcEndpointServiceOwner: '44445555666' is not 12 digits; expected a 12-digit AWS account id"],
  ['token waitTimeout', (s) => ({ customKeyStoreName: 'a', backend: publicBackend(s), waitTimeout: Duration.seconds(Lazy.number({ produce: () => 60 })) }), 'waitTimeout: is a token; expected a literal Duration'],
  ['waitTimeout over 55 minutes', (s) => ({ customKeyStoreName: 'a', backend: publicBackend(s), waitTimeout: Duration.hours(1) }), 'waitTimeout: 1 hour is out of range; expected whole seconds from 1 minute to 55 minutes'],
];

describe('synth-time validation names the property, the problem and the rule', () => {
  test.each(cases)('%s', (_name, props, message) => {
    const stack = newStack();
    const build = (): CustomKeyStore => new CustomKeyStore(stack, 'Store', props(stack) as CustomKeyStoreProps);
    expect(build).toThrow(message);
  });

  // The API model bounds only the trust anchor's length: KMS, not the construct, judges the PEM.
  test.each([
    ['on one line', TRUST_ANCHOR.replace(/\n/g, ' ')],
    ['a chain of two certificates', TRUST_ANCHOR + TRUST_ANCHOR],
    ['with trailing spaces and CRLF line ends', `${TRUST_ANCHOR.replace(/\n/g, '\r\n')}   \n\n`],
  ])('a trust anchor %s is accepted', (_name, trustAnchorCertificate) => {
    const stack = newStack();
    expect(() => new CustomKeyStore(stack, 'Store', { customKeyStoreName: 'a', backend: cloudHsmBackend(stack, { trustAnchorCertificate }) })).not.toThrow();
  });

  test('tokens pass through to deploy time', () => {
    const stack = newStack();
    const token = (v: string): string => Lazy.string({ produce: () => v });
    expect(
      () =>
        new CustomKeyStore(stack, 'Store', {
          customKeyStoreName: token('a'),
          backend: KeyStoreBackend.externalVpcEndpointService({
            proxyUriEndpoint: token('x'),
            proxyUriPath: token('y'),
            vpcEndpointServiceName: token('z'),
            vpcEndpointServiceOwner: token('1'),
            proxyCredential: importedSecret(stack, 'Credential', 'xks'),
          }),
        }),
    ).not.toThrow();
  });
});


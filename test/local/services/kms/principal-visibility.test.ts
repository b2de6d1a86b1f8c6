/**
 * A key policy's principals "must exist and be visible to KMS" (botocore kms model,
 * CreateKeyRequest.Policy): a principal made moments ago (registered with the model, as the runner
 * does for AWS::IAM::Role) makes CreateKey and PutKeyPolicy answer MalformedPolicyDocumentException
 * until principalVisibilityLagMs has passed on the endpoint's clock. Over HTTP with the real SDK.
 */
import { CreateKeyCommand, GetKeyPolicyCommand, KMSClient, PutKeyPolicyCommand } from '@aws-sdk/client-kms';
import { LocalKms, startLocalKms } from '../../../../local';
import { TRUST_ANCHOR } from '../../../fixtures/events';

const ROLE = 'arn:aws:iam::111122223333:role/KeyStores-AppRole-0A1B2C3D4E5F';
let kms: LocalKms;
let client: KMSClient;
let store: string;

beforeEach(async () => {
  kms = await startLocalKms({ quotas: false, keyVisibilityLagMs: 0 });
  client = new KMSClient({ ...kms.clientConfig(), maxAttempts: 1 });
  kms.clock.freeze();
  store = kms.model.CreateCustomKeyStore({ CustomKeyStoreName: 'hsm', CloudHsmClusterId: 'cluster-2a23b4cdefg', TrustAnchorCertificate: TRUST_ANCHOR, KeyStorePassword: 'kmsuser-pw' }).CustomKeyStoreId as string;
  kms.model.ConnectCustomKeyStore({ CustomKeyStoreId: store });
  kms.clock.advance(1000);
});
afterEach(async () => kms.stop());

const policy = (...principals: string[]): string =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' },
      { Effect: 'Allow', Principal: { AWS: principals.length === 1 ? principals[0] : principals }, Action: 'kms:Decrypt', Resource: '*' },
    ],
  });
const createKey = async (p: string): Promise<string> =>
  client.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: store, Policy: p })).then(
    (out) => out.KeyMetadata?.KeyId ?? '',
    (err: unknown) => `${(err as Error).name}: ${(err as Error).message}`,
  );

test('on by default: CreateKey naming a role made moments ago is malformed until the lag has passed', async () => {
  const lag = kms.model.principalVisibilityLagMs;
  expect(lag).toBeGreaterThan(0);
  kms.model.registerPrincipal(ROLE);
  expect(await createKey(policy(ROLE))).toBe('MalformedPolicyDocumentException: Policy contains a statement with one or more invalid principals.');
  kms.clock.advance(lag - 1);
  expect(await createKey(policy('arn:aws:iam::444455556666:root', ROLE))).toMatch(/^MalformedPolicyDocumentException: /);
  expect(kms.model.keysIn(store)).toEqual([]);
  kms.clock.advance(1);
  expect(await createKey(policy(ROLE))).toMatch(/^[0-9a-f-]{36}$/);
});

test('PutKeyPolicy naming a new role is refused the same way, and the old policy stays', async () => {
  const keyId = await createKey(policy('arn:aws:iam::444455556666:root'));
  kms.model.registerPrincipal(ROLE);
  await expect(client.send(new PutKeyPolicyCommand({ KeyId: keyId, Policy: policy(ROLE) }))).rejects.toMatchObject({ name: 'MalformedPolicyDocumentException' });
  expect((await client.send(new GetKeyPolicyCommand({ KeyId: keyId }))).Policy).toBe(policy('arn:aws:iam::444455556666:root'));
  kms.clock.advance(kms.model.principalVisibilityLagMs);
  await client.send(new PutKeyPolicyCommand({ KeyId: keyId, Policy: policy(ROLE) }));
  expect((await client.send(new GetKeyPolicyCommand({ KeyId: keyId }))).Policy).toBe(policy(ROLE));
});

test('principals the model never saw made (other accounts, root ARNs, roles made before) are accepted at once', async () => {
  kms.model.registerPrincipal(ROLE);
  expect(await createKey(policy('arn:aws:iam::444455556666:root', 'arn:aws:iam::111122223333:role/made-long-ago'))).toMatch(/^[0-9a-f-]{36}$/);
});

test('the switch: a lag of 0 makes new principals visible at once', async () => {
  kms.model.principalVisibilityLagMs = 0;
  kms.model.registerPrincipal(ROLE);
  expect(await createKey(policy(ROLE))).toMatch(/^[0-9a-f-]{36}$/);
});

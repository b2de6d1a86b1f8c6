/**
 * The local endpoint's key operations answer as KMS documents them (botocore's kms/2014-11-01
 * model text), through the real AWS SDK over HTTP: it rejects what KMS rejects.
 */
import {
  CreateKeyCommand,
  CreateKeyCommandInput,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  GetKeyPolicyCommand,
  KMSClient,
  ListResourceTagsCommand,
  PutKeyPolicyCommand,
  ScheduleKeyDeletionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateKeyDescriptionCommand,
} from '@aws-sdk/client-kms';
import { LocalKms, startLocalKms } from '../../../../local';
import { TRUST_ANCHOR } from '../../../fixtures/events';

let kms: LocalKms;
let client: KMSClient;
let hsmStore: string;
let xksStore: string;

beforeEach(async () => {
  // New keys are readable at once here: their visibility lag has tests of its own (key-visibility.test.ts).
  kms = await startLocalKms({ quotas: false, keyVisibilityLagMs: 0 });
  client = new KMSClient({ ...kms.clientConfig(), maxAttempts: 1 });
  kms.clock.freeze();
  const { model } = kms;
  hsmStore = model.CreateCustomKeyStore({ CustomKeyStoreName: 'hsm', CloudHsmClusterId: 'cluster-2a23b4cdefg', TrustAnchorCertificate: TRUST_ANCHOR, KeyStorePassword: 'kmsuser-pw' }).CustomKeyStoreId as string;
  xksStore = model.CreateCustomKeyStore({
    CustomKeyStoreName: 'xks',
    CustomKeyStoreType: 'EXTERNAL_KEY_STORE',
    XksProxyUriEndpoint: 'https://xks.example.com',
    XksProxyUriPath: '/kms/xks/v1',
    XksProxyConnectivity: 'PUBLIC_ENDPOINT',
    XksProxyAuthenticationCredential: { AccessKeyId: 'ABCDEFGHIJKLMNOPQRST', RawSecretAccessKey: 'a'.repeat(43) },
  }).CustomKeyStoreId as string;
  model.ConnectCustomKeyStore({ CustomKeyStoreId: hsmStore });
  model.ConnectCustomKeyStore({ CustomKeyStoreId: xksStore });
  kms.clock.advance(1000);
});
afterEach(async () => kms.stop());

const create = async (input: Partial<CreateKeyCommandInput> = {}): Promise<string> =>
  (await client.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: hsmStore, ...input }))).KeyMetadata?.KeyId ?? '';
const rejection = async (promise: Promise<unknown>): Promise<string> => promise.then(() => 'resolved', (err: unknown) => (err as Error).name);

describe('CreateKey in custom key stores', () => {
  test('a key with policy, description and tags, readable back', async () => {
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' }] });
    const keyId = await create({ Description: 'd', Policy: policy, Tags: [{ TagKey: 'a', TagValue: 'b' }] });
    expect((await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata).toMatchObject({ Description: 'd', KeyState: 'Enabled', Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: hsmStore });
    expect((await client.send(new GetKeyPolicyCommand({ KeyId: keyId }))).Policy).toBe(policy);
    expect((await client.send(new ListResourceTagsCommand({ KeyId: keyId }))).Tags).toEqual([{ TagKey: 'a', TagValue: 'b' }]);
  });

  test.each<[string, Partial<CreateKeyCommandInput>, string]>([
    ['an asymmetric key', { KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }, 'UnsupportedOperationException'],
    ['a multi-Region key', { MultiRegion: true }, 'UnsupportedOperationException'],
    ['a policy that is not JSON', { Policy: '{not json' }, 'MalformedPolicyDocumentException'],
    ['a policy without statements', { Policy: '{"Version":"2012-10-17","Statement":[]}' }, 'MalformedPolicyDocumentException'],
    ['a tag key with aws:', { Tags: [{ TagKey: 'aws:x', TagValue: 'y' }] }, 'TagException'],
    ['the same tag key twice', { Tags: [{ TagKey: 'a', TagValue: 'y' }, { TagKey: 'a', TagValue: 'z' }] }, 'TagException'],
    ['a tag key of 129 characters', { Tags: [{ TagKey: 'k'.repeat(129), TagValue: 'y' }] }, 'ValidationException'],
    ['a description of 8193 characters', { Description: 'd'.repeat(8193) }, 'ValidationException'],
    ['an XksKeyId for a CloudHSM key', { XksKeyId: 'k' }, 'ValidationException'],
    ['an external key without XksKeyId', { Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId: 'XKS' }, 'ValidationException'],
    ['an XksKeyId of 129 characters', { Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId: 'XKS', XksKeyId: 'k'.repeat(129) }, 'ValidationException'],
    ['an origin that is not the store\'s type', { Origin: 'EXTERNAL_KEY_STORE', XksKeyId: 'k' }, 'IncorrectKeyException'],
  ])('refuses %s', async (_name, input, error) => {
    const resolved = input.CustomKeyStoreId === 'XKS' ? { ...input, CustomKeyStoreId: xksStore } : input;
    expect(await rejection(create(resolved))).toBe(error);
  });

  test('external keys: in use by another key, not found, or unusable', async () => {
    await create({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId: xksStore, XksKeyId: 'one' });
    expect(await rejection(create({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId: xksStore, XksKeyId: 'one' }))).toBe('XksKeyAlreadyInUseException');
    kms.model.missingExternalKeys.add('two');
    expect(await rejection(create({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId: xksStore, XksKeyId: 'two' }))).toBe('XksKeyNotFoundException');
    kms.model.invalidExternalKeys.add('three');
    expect(await rejection(create({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId: xksStore, XksKeyId: 'three' }))).toBe('XksKeyInvalidConfigurationException');
  });

  test('a key pending deletion holds its external key until its waiting period ends', async () => {
    const held = { Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId: xksStore, XksKeyId: 'held' } as const;
    const first = await create(held);
    await client.send(new ScheduleKeyDeletionCommand({ KeyId: first, PendingWindowInDays: 7 }));
    expect(await rejection(create(held))).toBe('XksKeyAlreadyInUseException');
    kms.clock.advance(7 * 86_400_000 + 1);
    expect(await rejection(create(held))).toBe('resolved');
  });

  test('a CloudHSM cluster with fewer than two HSMs', async () => {
    kms.model.clusters.set('cluster-2a23b4cdefg', { hsmCount: 1 });
    expect(await rejection(create())).toBe('CloudHsmClusterInvalidConfigurationException');
  });
});

describe('key updates', () => {
  test('PutKeyPolicy, UpdateKeyDescription, Disable/EnableKey, Tag/UntagResource take effect', async () => {
    const keyId = await create();
    const policy = JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: '*' }] });
    await client.send(new PutKeyPolicyCommand({ KeyId: keyId, Policy: policy }));
    await client.send(new UpdateKeyDescriptionCommand({ KeyId: keyId, Description: 'v2' }));
    await client.send(new DisableKeyCommand({ KeyId: keyId }));
    await client.send(new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: 'a', TagValue: '1' }, { TagKey: 'b', TagValue: '2' }] }));
    await client.send(new UntagResourceCommand({ KeyId: keyId, TagKeys: ['a'] }));
    expect((await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata).toMatchObject({ Description: 'v2', KeyState: 'Disabled', Enabled: false });
    expect((await client.send(new GetKeyPolicyCommand({ KeyId: keyId }))).Policy).toBe(policy);
    expect((await client.send(new ListResourceTagsCommand({ KeyId: keyId }))).Tags).toEqual([{ TagKey: 'b', TagValue: '2' }]);
    await client.send(new EnableKeyCommand({ KeyId: keyId }));
    expect((await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState).toBe('Enabled');
  });

  test('ListResourceTags pages by 50 at most', async () => {
    const keyId = await create({ Tags: Array.from({ length: 30 }, (_, i) => ({ TagKey: `t${i}`, TagValue: '' })) });
    const first = await client.send(new ListResourceTagsCommand({ KeyId: keyId, Limit: 20 }));
    expect(first.Tags).toHaveLength(20);
    expect(first.Truncated).toBe(true);
    expect((await client.send(new ListResourceTagsCommand({ KeyId: keyId, Limit: 20, Marker: first.NextMarker }))).Tags).toHaveLength(10);
    expect(await rejection(client.send(new ListResourceTagsCommand({ KeyId: keyId, Limit: 51 })))).toBe('ValidationException');
  });

  test('a key pending deletion refuses Enable, Disable, description and tag changes; its policy can still change', async () => {
    const keyId = await create();
    await client.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    for (const command of [new EnableKeyCommand({ KeyId: keyId }), new DisableKeyCommand({ KeyId: keyId }), new UpdateKeyDescriptionCommand({ KeyId: keyId, Description: 'x' }), new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: 'a', TagValue: 'b' }] })]) {
      expect(await rejection(client.send(command as never))).toBe('KMSInvalidStateException');
    }
    await expect(client.send(new PutKeyPolicyCommand({ KeyId: keyId, Policy: '{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*"}]}' }))).resolves.toBeDefined();
    expect(await rejection(client.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 })))).toBe('KMSInvalidStateException');
  });

  test('a key whose store is disconnected is Unavailable: Enable and Disable succeed, and the state shows once the store is CONNECTED (key-state table)', async () => {
    const keyId = await create();
    kms.model.DisconnectCustomKeyStore({ CustomKeyStoreId: hsmStore });
    kms.clock.advance(1000);
    await client.send(new DisableKeyCommand({ KeyId: keyId }));
    expect((await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState).toBe('Unavailable');
    kms.model.ConnectCustomKeyStore({ CustomKeyStoreId: hsmStore });
    kms.clock.advance(1000);
    expect((await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState).toBe('Disabled');
  });

  test('a key whose store is disconnected can still be managed and scheduled for deletion; only CreateKey needs a CONNECTED store (key-state table, Unavailable)', async () => {
    const keyId = await create();
    kms.model.DisconnectCustomKeyStore({ CustomKeyStoreId: hsmStore });
    kms.clock.advance(1000);
    await client.send(new UpdateKeyDescriptionCommand({ KeyId: keyId, Description: 'while offline' }));
    await client.send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default', Policy: '{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}' }));
    await client.send(new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: 'team', TagValue: 'payments' }] }));
    expect((await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata).toMatchObject({ KeyState: 'Unavailable', Description: 'while offline' });
    expect(await rejection(client.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: hsmStore })))).toBe('CustomKeyStoreInvalidStateException');
    await client.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    expect((await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState).toBe('PendingDeletion');
  });

  test('a locked key (its policy denies the caller) refuses the key operations with AccessDeniedException', async () => {
    const keyId = await create();
    kms.model.lockKey(keyId);
    expect(await rejection(client.send(new PutKeyPolicyCommand({ KeyId: keyId, Policy: '{}' })))).toBe('AccessDeniedException');
    expect(await rejection(client.send(new ListResourceTagsCommand({ KeyId: keyId })))).toBe('AccessDeniedException');
  });

  test('PutKeyPolicy takes only the policy name "default"; unknown keys are NotFound', async () => {
    const keyId = await create();
    expect(await rejection(client.send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: 'other', Policy: '{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*"}}' })))).toBe('ValidationException');
    expect(await rejection(client.send(new UpdateKeyDescriptionCommand({ KeyId: '00000000-0000-0000-0000-000000000000', Description: 'x' })))).toBe('NotFoundException');
  });
});

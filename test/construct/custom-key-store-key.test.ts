/**
 * CustomKeyStoreKey as a construct: its resource, its kms.IKey behaviour (grants, resource
 * policy, aliases, use by S3, SQS and Lambda), the shared provider, tags and synth-time checks.
 */
import { App, Duration, RemovalPolicy, Stack, Tags, Token } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { CustomKeyStore, CustomKeyStoreKey, CustomKeyStoreKeyProps, CustomKeyStoreType } from '../../lib';
import { synthWithNag } from '../fixtures/checks';
import { ACCOUNT } from '../fixtures/events';
import { cloudHsmBackend, maskedTemplate, newStack, publicBackend } from '../fixtures/stacks';

const KEY_TYPE = 'Custom::KmsCustomKeyStoreKey';

function withStores(stack: Stack = newStack()): { stack: Stack; hsm: CustomKeyStore; xks: CustomKeyStore } {
  const hsm = new CustomKeyStore(stack, 'Hsm', { customKeyStoreName: 'payments-hsm', backend: cloudHsmBackend(stack) });
  const xks = new CustomKeyStore(stack, 'Xks', { customKeyStoreName: 'payments-xks', backend: publicBackend(stack) });
  return { stack, hsm, xks };
}

function keyResource(stack: Stack): { Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string } {
  const found = Template.fromStack(stack).findResources(KEY_TYPE);
  expect(Object.keys(found)).toHaveLength(1);
  return Object.values(found)[0] as { Properties: Record<string, unknown>; DeletionPolicy?: string };
}

const keyArn = (logicalPrefix: string): unknown => ({ 'Fn::GetAtt': [Match.stringLikeRegexp(`^${logicalPrefix}`), 'Arn'] });

describe('the key resource', () => {
  test('defaults: a CloudHSM key Refs its store, kms.Key\'s default policy, enabled, 30 days, RETAIN_ON_UPDATE_OR_DELETE', () => {
    const { stack, hsm } = withStores();
    new CustomKeyStoreKey(stack, 'PaymentsKey', { customKeyStore: hsm, description: 'payments data key' });
    const resource = keyResource(stack);
    expect(resource.DeletionPolicy).toBe('RetainExceptOnCreate');
    expect(resource.UpdateReplacePolicy).toBe('Retain');
    expect(resource.Properties).toEqual({
      ServiceToken: { 'Fn::GetAtt': [expect.stringMatching(/^KmsCustomKeyStoreProviderframeworkonEvent/) as unknown, 'Arn'] },
      CustomKeyStoreId: { Ref: expect.stringMatching(/^Hsm/) as unknown },
      Origin: 'AWS_CLOUDHSM',
      Description: 'payments data key',
      Policy: {
        Statement: [{ Action: 'kms:*', Effect: 'Allow', Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${ACCOUNT}:root`]] } }, Resource: '*' }],
        Version: '2012-10-17',
      },
      Enabled: 'true',
      PendingWindowInDays: '30',
    });
  });

  test('an external key store key: Origin EXTERNAL_KEY_STORE and XksKeyId; DESTROY, 7 days, disabled', () => {
    const { stack, xks } = withStores();
    new CustomKeyStoreKey(stack, 'K', { customKeyStore: xks, xksKeyId: 'payments-key-1', enabled: false, pendingWindow: Duration.days(7), removalPolicy: RemovalPolicy.DESTROY });
    const resource = keyResource(stack);
    expect(resource.DeletionPolicy).toBe('Delete');
    expect(resource.Properties).toMatchObject({ Origin: 'EXTERNAL_KEY_STORE', XksKeyId: 'payments-key-1', Enabled: 'false', PendingWindowInDays: '7' });
  });

  test('keys and stores share the stack\'s one provider and its handler', () => {
    const { stack, hsm, xks } = withStores();
    hsm.addKey('A');
    xks.addKey('B', { xksKeyId: 'b' });
    const template = Template.fromStack(stack);
    template.resourceCountIs(KEY_TYPE, 2);
    template.resourceCountIs('Custom::KmsCustomKeyStore', 2);
    // The Provider's 5 functions, however many stores and keys.
    template.resourceCountIs('AWS::Lambda::Function', 5);
    const tokens = new Set(Object.values(template.findResources(KEY_TYPE)).concat(Object.values(template.findResources('Custom::KmsCustomKeyStore'))).map((r) => JSON.stringify((r as { Properties: { ServiceToken: unknown } }).Properties.ServiceToken)));
    expect(tokens.size).toBe(1);
  });

  test('store.addKey puts the key under the store, in that store', () => {
    const { stack, hsm } = withStores();
    const key = hsm.addKey('OtherKey', { description: 'other' });
    expect(key.node.path).toBe('KeyStores/Hsm/OtherKey');
    expect(keyResource(stack).Properties).toMatchObject({ CustomKeyStoreId: { Ref: expect.stringMatching(/^Hsm[0-9A-F]{8}$/) as unknown }, Description: 'other' });
  });

  test('an imported store: the xksKeyId decides the origin', () => {
    const stack = newStack();
    const imported = CustomKeyStore.fromCustomKeyStoreId(stack, 'Imported', 'cks-1234567890abcdef0');
    new CustomKeyStoreKey(stack, 'Hsm', { customKeyStore: imported });
    new CustomKeyStoreKey(stack, 'Xks', { customKeyStore: imported, xksKeyId: 'k1' });
    const props = Object.values(Template.fromStack(stack).findResources(KEY_TYPE)).map((r) => (r as { Properties: Record<string, unknown> }).Properties);
    expect(props.map((p) => [p.CustomKeyStoreId, p.Origin, p.XksKeyId])).toEqual([
      ['cks-1234567890abcdef0', 'AWS_CLOUDHSM', undefined],
      ['cks-1234567890abcdef0', 'EXTERNAL_KEY_STORE', 'k1'],
    ]);
  });

  test('a store imported with its type: the type decides, and a key that does not fit it is refused', () => {
    const stack = newStack();
    const xks = CustomKeyStore.fromCustomKeyStoreAttributes(stack, 'ImportedXks', { customKeyStoreId: 'cks-1234567890abcdef0', customKeyStoreType: CustomKeyStoreType.EXTERNAL_KEY_STORE, customKeyStoreName: 'theirs' });
    expect(() => new CustomKeyStoreKey(stack, 'NoXksKeyId', { customKeyStore: xks })).toThrow("xksKeyId is required for a key in external key store 'theirs'");
    const hsm = CustomKeyStore.fromCustomKeyStoreAttributes(stack, 'ImportedHsm', { customKeyStoreId: 'cks-0987654321fedcba0', customKeyStoreType: CustomKeyStoreType.AWS_CLOUDHSM });
    expect(() => new CustomKeyStoreKey(stack, 'WithXksKeyId', { customKeyStore: hsm, xksKeyId: 'k1' })).toThrow('xksKeyId: is not allowed for a key in CloudHSM key store; expected no xksKeyId');
  });

  test('keyId is the resource\'s Ref, keyArn its Arn attribute', () => {
    const { stack, hsm } = withStores();
    const key = hsm.addKey('K');
    expect(stack.resolve(key.keyId)).toEqual({ Ref: expect.stringMatching(/^HsmK/) as unknown });
    expect(stack.resolve(key.keyArn)).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^HsmK/) as unknown, 'Arn'] });
    expect(stack.resolve(key.keyRef)).toEqual({ keyArn: stack.resolve(key.keyArn) as unknown, keyId: stack.resolve(key.keyId) as unknown });
  });

  test('Tags.of(...) reaches the key, as TagKey/TagValue for KMS', () => {
    const { stack, hsm } = withStores();
    const key = hsm.addKey('K');
    Tags.of(stack).add('app', 'payments');
    Tags.of(key).add('team', 'cards');
    expect(keyResource(stack).Properties.Tags).toEqual([{ TagKey: 'app', TagValue: 'payments' }, { TagKey: 'team', TagValue: 'cards' }]);
  });

  test('snapshot: two stores with a key each', () => {
    const { stack, hsm, xks } = withStores();
    hsm.addKey('PaymentsKey', { description: 'payments data key', alias: 'alias/payments' });
    xks.addKey('ExternalKey', { xksKeyId: 'payments-key-1', removalPolicy: RemovalPolicy.DESTROY, pendingWindow: Duration.days(7) });
    expect(maskedTemplate(stack)).toMatchSnapshot();
  });
});

describe('it is a kms.IKey', () => {
  test('grants in this account go to the principal\'s policy, on the key\'s ARN; the key policy is unchanged', () => {
    const { stack, hsm } = withStores();
    const key: kms.IKey = hsm.addKey('K');
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    key.grantEncryptDecrypt(role);
    key.grantDecrypt(role);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Reader') }],
      PolicyDocument: {
        Statement: [
          { Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'], Effect: 'Allow', Resource: keyArn('HsmK') },
          { Action: 'kms:Decrypt', Effect: 'Allow', Resource: keyArn('HsmK') },
        ],
      },
    });
    expect((keyResource(stack).Properties.Policy as { Statement: unknown[] }).Statement).toHaveLength(1);
  });

  test('a principal of another account is granted in the key policy (and needs its own IAM policy)', () => {
    const { stack, hsm } = withStores();
    const key = hsm.addKey('K');
    key.grantDecrypt(new iam.AccountPrincipal('444455556666'));
    expect((keyResource(stack).Properties.Policy as { Statement: unknown[] }).Statement).toContainEqual({
      Action: 'kms:Decrypt',
      Effect: 'Allow',
      Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::444455556666:root']] } },
      Resource: '*',
    });
  });

  test('a role in a stack of another account: key policy and principal policy, with "*" for the ARN it cannot know', () => {
    const app = new App();
    const keyStack = new Stack(app, 'KeyStack', { env: { account: ACCOUNT, region: 'us-east-1' } });
    const { hsm } = withStores(keyStack);
    const key = hsm.addKey('K');
    const other = new Stack(app, 'Other', { env: { account: '444455556666', region: 'us-east-1' } });
    const role = new iam.Role(other, 'R', { assumedBy: new iam.AccountRootPrincipal(), roleName: 'cross-account-reader' });
    key.grantEncrypt(role);
    expect(JSON.stringify((keyResource(keyStack).Properties.Policy as { Statement: unknown[] }).Statement)).toContain('cross-account-reader');
    Template.fromStack(other).hasResourceProperties('AWS::IAM::Policy', { PolicyDocument: { Statement: [{ Action: ['kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'], Effect: 'Allow', Resource: '*' }] } });
  });

  test.each([
    ['grantSign', 'kms:Sign'],
    ['grantVerify', 'kms:Verify'],
    ['grantSignVerify', ['kms:Sign', 'kms:Verify']],
    ['grantGenerateMac', 'kms:GenerateMac'],
    ['grantVerifyMac', 'kms:VerifyMac'],
    ['grantEncrypt', ['kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*']],
  ] as const)('%s grants what kms.Key\'s does', (method, actions) => {
    const { stack, hsm } = withStores();
    const key = hsm.addKey('K');
    const role = new iam.Role(stack, 'R', { assumedBy: new iam.AccountRootPrincipal() });
    key[method](role);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', { Roles: [{ Ref: Match.stringLikeRegexp('^R') }], PolicyDocument: { Statement: [{ Action: actions, Effect: 'Allow', Resource: keyArn('HsmK') }] } });
  });

  test('addToResourcePolicy adds to the key policy', () => {
    const { stack, hsm } = withStores();
    const key = hsm.addKey('K');
    const result = key.addToResourcePolicy(new iam.PolicyStatement({ sid: 'Audit', actions: ['kms:DescribeKey'], resources: ['*'], principals: [new iam.ArnPrincipal('arn:aws:iam::111122223333:role/auditor')] }));
    expect(result.statementAdded).toBe(true);
    expect((keyResource(stack).Properties.Policy as { Statement: unknown[] }).Statement).toContainEqual({ Sid: 'Audit', Action: 'kms:DescribeKey', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:role/auditor' }, Resource: '*' });
  });

  test('a policy given replaces the default, and a statement a key policy cannot have fails synth', () => {
    const { stack, hsm } = withStores();
    const policy = new iam.PolicyDocument({ statements: [new iam.PolicyStatement({ actions: ['kms:*'], resources: ['*'], principals: [new iam.AccountRootPrincipal()] })] });
    hsm.addKey('K', { policy });
    policy.addStatements(new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: ['*'] }));
    expect(() => Template.fromStack(stack)).toThrow(/A PolicyStatement used in a resource-based policy must specify at least one IAM principal/);
  });

  test('alias and addAlias make AWS::KMS::Alias resources targeting the key', () => {
    const { stack, hsm } = withStores();
    const key = hsm.addKey('K', { alias: 'alias/payments' });
    const second = key.addAlias('alias/payments-2');
    expect(second.aliasTargetKey).toBe(key);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::KMS::Alias', 2);
    template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/payments', TargetKeyId: keyArn('HsmK') });
    template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/payments-2', TargetKeyId: keyArn('HsmK') });
  });

  test('S3: a bucket encrypted with the key', () => {
    const { stack, hsm } = withStores();
    new s3.Bucket(stack, 'Data', { encryptionKey: hsm.addKey('K') });
    Template.fromStack(stack).hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn('HsmK') } }] },
    });
  });

  test('SQS: a queue encrypted with the key; a consumer is granted decrypt', () => {
    const { stack, hsm } = withStores();
    const queue = new sqs.Queue(stack, 'Queue', { encryptionMasterKey: hsm.addKey('K') });
    const role = new iam.Role(stack, 'Consumer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    queue.grantConsumeMessages(role);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: keyArn('HsmK') });
    template.hasResourceProperties('AWS::IAM::Policy', { Roles: [{ Ref: Match.stringLikeRegexp('^Consumer') }], PolicyDocument: { Statement: Match.arrayWith([{ Action: 'kms:Decrypt', Effect: 'Allow', Resource: keyArn('HsmK') }]) } });
  });

  test('Lambda: environment variables encrypted with the key', () => {
    const { stack, hsm } = withStores();
    new lambda.Function(stack, 'Fn', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => 1;'), environment: { STAGE: 'prod' }, environmentEncryption: hsm.addKey('K') });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', { KmsKeyArn: keyArn('HsmK'), Environment: { Variables: { STAGE: 'prod' } } });
  });
});

describe('the handler may manage keys in custom key stores only', () => {
  test('exactly: CreateKey for the two origins; the key lifecycle on such keys; tagging that holds at CreateKey, where no key exists yet', () => {
    const { stack, hsm } = withStores();
    hsm.addKey('K');
    const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
    const id = Object.keys(policies).find((k) => k.startsWith('KmsCustomKeyStoreProviderHandlerRoleDefaultPolicy')) ?? '';
    const statements = (policies[id].Properties as { PolicyDocument: { Statement: Array<{ Sid?: string }> } }).PolicyDocument.Statement.filter((s) => s.Sid?.includes('KeysInCustomKeyStores'));
    const keys = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:kms:us-east-1:${ACCOUNT}:key/*`]] };
    const origins = { 'kms:KeyOrigin': ['AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE'] };
    expect(statements).toEqual([
      { Sid: 'DeleteKeysInCustomKeyStores', Action: 'kms:ScheduleKeyDeletion', Condition: { StringEquals: origins }, Effect: 'Allow', Resource: keys },
      // No kms:CallerAccount: KMS does not document it for CreateKey, and an absent key would deny every call.
      { Sid: 'CreateKeysInCustomKeyStores', Action: 'kms:CreateKey', Condition: { StringEquals: origins }, Effect: 'Allow', Resource: '*' },
      {
        Sid: 'ManageKeysInCustomKeyStores',
        Action: ['kms:DisableKey', 'kms:EnableKey', 'kms:ListResourceTags', 'kms:PutKeyPolicy', 'kms:UntagResource', 'kms:UpdateKeyDescription'],
        Condition: { StringEquals: origins },
        Effect: 'Allow',
        Resource: keys,
      },
      { Sid: 'TagKeysInCustomKeyStores', Action: 'kms:TagResource', Condition: { StringEqualsIfExists: origins }, Effect: 'Allow', Resource: keys },
    ]);
  });

  test('no key: no key permission but scheduling deletion, which a removed last key needs after the policy lost the rest', () => {
    const { stack } = withStores();
    const policies = JSON.stringify(Template.fromStack(stack).findResources('AWS::IAM::Policy'));
    expect(policies).not.toMatch(/"(Create|Manage|Tag)KeysInCustomKeyStores"/);
    expect(policies).toContain('"DeleteKeysInCustomKeyStores"');
  });
});

describe('cdk-nag', () => {
  test('an environment-agnostic stack with keys in both kinds of store has no unacknowledged finding', () => {
    expect(() => {
      synthWithNag((app) => {
        const { hsm, xks } = withStores(new Stack(app, 'Agnostic'));
        hsm.addKey('A', { alias: 'alias/a' });
        xks.addKey('B', { xksKeyId: 'b' });
      });
    }).not.toThrow();
  });
});

describe('synth-time checks', () => {
  describe('the key policy fits KMS\'s 32 KB limit', () => {
    // One statement granting Decrypt to a role of another account: about 160 bytes of JSON.
    const grantTo = (key: CustomKeyStoreKey, i: number): void => {
      key.addToResourcePolicy(new iam.PolicyStatement({ sid: `Reader${i}`, actions: ['kms:Decrypt'], resources: ['*'], principals: [new iam.ArnPrincipal(`arn:aws:iam::444455556666:role/reader-${i}`)] }));
    };

    test('a policy grown past 32,768 bytes by statements added after construction fails at synth, naming the property, the size and the rule', () => {
      const { stack, hsm } = withStores();
      const key = hsm.addKey('K');
      for (let i = 0; i < 250; i++) grantTo(key, i);
      expect(() => Template.fromStack(stack)).toThrow(/CustomKeyStore\.OutOfRange: policy: the key policy is at least \d{5} bytes; expected at most 32768 bytes \(32 KB, KMS's limit for a key policy document\)/);
    });

    test('a policy under the limit synthesizes; values known only at deployment count as empty, never as too big', () => {
      const { stack, hsm } = withStores();
      const key = hsm.addKey('K');
      for (let i = 0; i < 150; i++) grantTo(key, i);
      key.addToResourcePolicy(new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: ['*'], principals: [new iam.ArnPrincipal(Token.asString({ 'Fn::ImportValue': 'SomeRoleArn' }))] }));
      expect(() => Template.fromStack(stack)).not.toThrow();
    });
  });

  const build = (props: Partial<CustomKeyStoreKeyProps>, store: 'hsm' | 'xks' = 'hsm'): void => {
    const stack = newStack();
    const customKeyStore =
      store === 'hsm'
        ? new CustomKeyStore(stack, 'Hsm', { customKeyStoreName: 'payments-hsm', backend: cloudHsmBackend(stack) })
        : new CustomKeyStore(stack, 'Xks', { customKeyStoreName: 'payments-xks', backend: publicBackend(stack) });
    new CustomKeyStoreKey(stack, 'K', { customKeyStore, ...props });
  };

  test('a key in a store declared connected: false is allowed (KMS keeps keys in a disconnected store), with a warning that can be acknowledged', () => {
    const stack = newStack();
    const store = new CustomKeyStore(stack, 'Off', { customKeyStoreName: 'off', backend: publicBackend(stack), connected: false });
    new CustomKeyStoreKey(stack, 'K', { customKeyStore: store, xksKeyId: 'k' });
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('keyInDisconnectedStore'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0].entry.data).toMatch(/^customKeyStore: 'off' is declared with connected: false\. A key already in it stays .*a new key cannot be created there/);
    Template.fromStack(stack).resourceCountIs('Custom::KmsCustomKeyStoreKey', 1);
  });

  test.each<[string, Partial<CustomKeyStoreKeyProps>, 'hsm' | 'xks', string]>([
    ['no xksKeyId for an external store', {}, 'xks', "xksKeyId is required for a key in external key store 'payments-xks'; expected 1-128 characters of [a-zA-Z0-9-_.]"],
    ['an xksKeyId for a CloudHSM store', { xksKeyId: 'k' }, 'hsm', "xksKeyId: is not allowed for a key in CloudHSM key store 'payments-hsm'; expected no xksKeyId"],
    ['an xksKeyId of 129 characters', { xksKeyId: 'k'.repeat(129) }, 'xks', 'xksKeyId: \'kkkkk'],
    ['an xksKeyId with a slash', { xksKeyId: 'a/b' }, 'xks', "xksKeyId: 'a/b' does not match; expected 1-128 characters of [a-zA-Z0-9-_.]"],
    ['an asymmetric key spec', { keySpec: kms.KeySpec.RSA_2048 }, 'hsm', 'keySpec: RSA_2048 is not supported; expected SYMMETRIC_DEFAULT (KMS keys in custom key stores are symmetric encryption keys only)'],
    ['an HMAC key usage', { keyUsage: kms.KeyUsage.GENERATE_VERIFY_MAC }, 'hsm', 'keyUsage: GENERATE_VERIFY_MAC is not supported; expected ENCRYPT_DECRYPT'],
    ['a multi-Region key', { multiRegion: true }, 'hsm', 'multiRegion: true is not supported; expected false (KMS cannot create multi-Region keys in a custom key store)'],
    ['automatic rotation', { enableKeyRotation: true }, 'hsm', 'enableKeyRotation: true is not supported; expected false (KMS does not rotate keys in custom key stores automatically'],
    ['a pending window of 6 days', { pendingWindow: Duration.days(6) }, 'hsm', 'pendingWindow: 6 days is out of range; expected whole days from 7 to 30'],
    ['a pending window of 31 days', { pendingWindow: Duration.days(31) }, 'hsm', 'pendingWindow: 31 days is out of range'],
    ['a pending window of 180 hours', { pendingWindow: Duration.hours(180) }, 'hsm', 'pendingWindow: 7 days 12 hours is out of range; expected whole days'],
    ['SNAPSHOT', { removalPolicy: RemovalPolicy.SNAPSHOT }, 'hsm', 'removalPolicy: SNAPSHOT is not supported by KMS keys'],
    ['a description over 8192 characters', { description: 'd'.repeat(8193) }, 'hsm', "description: 'ddd"],
    ['no store', { customKeyStore: undefined }, 'hsm', 'customKeyStore is required'],
  ])('%s', (_name, props, store, message) => {
    expect(() => { build(props, store); }).toThrow(message);
  });

  test('the symmetric defaults, written out, are accepted', () => {
    expect(() => { build({ keySpec: kms.KeySpec.SYMMETRIC_DEFAULT, keyUsage: kms.KeyUsage.ENCRYPT_DECRYPT, multiRegion: false, enableKeyRotation: false, pendingWindow: Duration.days(7) }); }).not.toThrow();
  });

  test('a token pending window is refused: KMS needs a literal number of days', () => {
    expect(() => { build({ pendingWindow: Duration.days(Token.asNumber({ Ref: 'Days' })) }); }).toThrow('pendingWindow: is a token; expected a literal Duration of 7-30 days');
  });
});

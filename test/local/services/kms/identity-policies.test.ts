/**
 * KMS authorizes a caller by its identity policies, with only the condition keys the Developer
 * Guide documents for each operation (local/services/kms/authorization.ts). Over HTTP with the real
 * SDK, signing as a role whose policy is the one the library synthesizes for its handler: the
 * handler's calls are allowed, the policy the library had before is denied at CreateKey, and the
 * role still cannot touch a key outside custom key stores.
 */
import { CreateKeyCommand, DisableKeyCommand, KMSClient, PutKeyPolicyCommand, ScheduleKeyDeletionCommand, TagResourceCommand } from '@aws-sdk/client-kms';
import { Template } from 'aws-cdk-lib/assertions';
import { CustomKeyStore } from '../../../../lib';
import { LocalKms, startLocalKms } from '../../../../local';
import { Statement } from '../../../../local/services/iam/policy-evaluation';
import { resolve } from '../../../../local/runner/intrinsics';
import { ACCOUNT, TRUST_ANCHOR } from '../../../fixtures/events';
import { cloudHsmBackend, newStack } from '../../../fixtures/stacks';

const ROLE = `arn:aws:iam::${ACCOUNT}:role/KeyStores-HandlerRole-0A1B2C3D4E5F`;
const ORIGINS = { 'kms:KeyOrigin': ['AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE'] };
/** What the handler's role had before: kms:CallerAccount on CreateKey, and tagging only under StringEquals kms:KeyOrigin. */
const BEFORE: Statement[] = [
  { Effect: 'Allow', Action: 'kms:CreateKey', Resource: '*', Condition: { StringEquals: { 'kms:CallerAccount': ACCOUNT, ...ORIGINS } } },
  { Effect: 'Allow', Action: ['kms:DisableKey', 'kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion', 'kms:TagResource'], Resource: `arn:aws:kms:us-east-1:${ACCOUNT}:key/*`, Condition: { StringEquals: ORIGINS } },
];

/** The statements of the policy the library gives its handler's role, resolved as IAM holds them. */
function handlerStatements(): Statement[] {
  const stack = newStack();
  new CustomKeyStore(stack, 'Hsm', { customKeyStoreName: 'payments-hsm', backend: cloudHsmBackend(stack) }).addKey('K');
  const policies = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')) as Array<{ Properties: { PolicyDocument: { Statement: unknown[] } } }>;
  const statements = policies.map((p) => p.Properties.PolicyDocument.Statement).find((s) => JSON.stringify(s).includes('CreateKeysInCustomKeyStores')) ?? [];
  const ctx = { accountId: ACCOUNT, region: 'us-east-1', stackId: 'stack', stackName: 'KeyStores', physicalIds: new Map(), attributes: new Map() };
  // Statements naming resources of the stack (its secrets) are not needed here.
  return statements.flatMap((s) => {
    try {
      return [resolve(s, ctx) as Statement];
    } catch {
      return [];
    }
  });
}

let kms: LocalKms;
let admin: KMSClient;
let store: string;

beforeEach(async () => {
  kms = await startLocalKms({ quotas: false, keyVisibilityLagMs: 0 });
  admin = new KMSClient({ ...kms.clientConfig(), maxAttempts: 1 });
  kms.clock.freeze();
  store = kms.model.CreateCustomKeyStore({ CustomKeyStoreName: 'hsm', CloudHsmClusterId: 'cluster-2a23b4cdefg', TrustAnchorCertificate: TRUST_ANCHOR, KeyStorePassword: 'kmsuser-pw' }).CustomKeyStoreId as string;
  kms.model.ConnectCustomKeyStore({ CustomKeyStoreId: store });
  kms.clock.advance(1000);
});
afterEach(async () => kms.stop());

/** A client signing as a role with `statements`. */
function roleClient(statements: Statement[]): KMSClient {
  const accessKeyId = kms.model.registerIdentity({ roleArn: ROLE, statements: () => statements });
  return new KMSClient({ ...kms.clientConfig(), credentials: { accessKeyId, secretAccessKey: 'role-session-secret' }, maxAttempts: 1 });
}

const outcome = async (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'ok',
    (err: unknown) => `${(err as Error).name}: ${(err as Error).message}`,
  );
const createTaggedKey = (client: KMSClient): Promise<unknown> =>
  client.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: store, Tags: [{ TagKey: 'cdk-kms-custom-key-store:creation', TagValue: 'req-1' }] }));

test("the library's handler policy creates a tagged key in a custom key store", async () => {
  const role = roleClient(handlerStatements());
  expect(await outcome(createTaggedKey(role))).toBe('ok');
  expect(kms.model.keysIn(store)).toHaveLength(1);
  expect(kms.model.accessControl.evaluated).toBeGreaterThanOrEqual(2);
});

test('the policy before: CreateKey is denied for kms:CallerAccount, and its tags for kms:KeyOrigin, neither of which KMS documents in those requests', async () => {
  expect(await outcome(createTaggedKey(roleClient(BEFORE)))).toMatch(/^AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role\/KeyStores-HandlerRole-0A1B2C3D4E5F\/.* is not authorized to perform: kms:CreateKey on resource: \*/);
  const withoutCallerAccount: Statement[] = [{ ...BEFORE[0], Condition: { StringEquals: ORIGINS } }, BEFORE[1]];
  expect(await outcome(createTaggedKey(roleClient(withoutCallerAccount)))).toMatch(/^AccessDeniedException: .* kms:TagResource on resource: arn:aws:kms:us-east-1:111122223333:key\/\*/);
  expect(kms.model.keysIn(store)).toHaveLength(0);
});

test('not widened: the handler role cannot tag, disable, re-policy or delete a key outside custom key stores, and can in one', async () => {
  const role = roleClient(handlerStatements());
  const plain = (await admin.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId ?? '';
  const inStore = (await admin.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: store }))).KeyMetadata?.KeyId ?? '';
  const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }] });
  const calls = (KeyId: string): Array<Promise<unknown>> => [
    role.send(new TagResourceCommand({ KeyId, Tags: [{ TagKey: 'team', TagValue: 'payments' }] })),
    role.send(new DisableKeyCommand({ KeyId })),
    role.send(new PutKeyPolicyCommand({ KeyId, PolicyName: 'default', Policy: policy })),
    role.send(new ScheduleKeyDeletionCommand({ KeyId, PendingWindowInDays: 7 })),
  ];
  for (const call of calls(plain)) {
    expect(await outcome(call)).toMatch(/^AccessDeniedException: .* on resource: arn:aws:kms:us-east-1:111122223333:key\//);
  }
  for (const call of calls(inStore)) {
    expect(await outcome(call)).toBe('ok');
  }
});

test('callers with other credentials are not evaluated, and the switch turns evaluation off', async () => {
  expect(await outcome(createTaggedKey(admin))).toBe('ok');
  kms.model.accessControl.enabled = false;
  expect(await outcome(createTaggedKey(roleClient(BEFORE)))).toBe('ok');
});

/**
 * The key resource (Custom::KmsCustomKeyStoreKey) with aws-sdk-client-mock: every lifecycle row,
 * the errors specific to custom key stores, and the retries that must not make a second key.
 */
import {
  CreateKeyCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  KMSClient,
  ListKeysCommand,
  ListResourceTagsCommand,
  PutKeyPolicyCommand,
  ScheduleKeyDeletionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateKeyDescriptionCommand,
} from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CREATION_TAG_KEY, KEY_RESOURCE_TYPE } from '../../../lib/private/contract/key-properties';
import { isComplete, makeDeps, onEvent } from '../../../lambda/custom-key-store-handler/index';
import { runKeyWith } from '../../../lambda/custom-key-store-handler/phase';
import { ResourceDeps } from '../../../lambda/custom-key-store-handler/deps';
import { KeyEvent, KeyOnEventResult } from '../../../lambda/custom-key-store-handler/events';
import { DEFAULT_RETRY_POLICY } from '../../../lambda/shared/retry';
import { SecretRedactor } from '../../../lambda/shared/secrets/redactor';
import { ACCOUNT, STACK_ID } from '../../fixtures/events';
import { accountKeys, awsError, kmsCalls, kmsMock, resetMocks, storeStates } from './harness';

const STORE = 'cks-1234567890abcdef0';
const KEY = '1234abcd-12ab-34cd-56ef-1234567890ab';
const NEW_KEY = '0987dcba-09fe-87dc-65ba-ab0987654321';
const POLICY = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }] };

function props(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ServiceToken: 'arn:aws:lambda:us-east-1:111122223333:function:fw', CustomKeyStoreId: STORE, Origin: 'AWS_CLOUDHSM', Description: 'payments data key', Policy: POLICY, Enabled: 'true', PendingWindowInDays: '30', ...overrides };
}

function event(requestType: string, extra: Partial<KeyEvent> = {}): KeyEvent {
  return { RequestType: requestType, ResourceType: KEY_RESOURCE_TYPE, StackId: STACK_ID, LogicalResourceId: 'PaymentsKey1A2B3C4D', RequestId: 'a1b2c3d4-0000-0000-0000-000000000001', ResourceProperties: props(), ...extra };
}

const logs: string[] = [];
const sleeps: number[] = [];
const noSleep = (ms: number): Promise<void> => {
  sleeps.push(ms);
  return Promise.resolve();
};

const START = Date.parse('2026-11-22T12:00:00Z');
/** The handler's clock: its own waits (not the SDK retries') move it, so a retry window ends without real time passing. */
const clock = { now: START, waits: [] as number[] };

async function run(e: KeyEvent, extra: Partial<ResourceDeps> = {}): Promise<KeyOnEventResult> {
  const redactor = new SecretRedactor();
  const deps = makeDeps(new KMSClient({ region: 'us-east-1' }), new SecretsManagerClient({ region: 'us-east-1' }), redactor, { sleep: noSleep, random: () => 0.5 }, {
    now: () => clock.now,
    sleep: (ms) => {
      clock.waits.push(ms);
      clock.now += ms;
      return Promise.resolve();
    },
    scan: { describeRatePerSecond: 100_000, retry: { sleep: noSleep } },
    ...extra,
  });
  return runKeyWith({ ...deps, log: (entry) => logs.push(JSON.stringify(entry)) }, redactor, e, 'onEvent', async (r) => r.onEvent());
}

function created(keyId = KEY): void {
  kmsMock.on(CreateKeyCommand).resolves({ KeyMetadata: { KeyId: keyId, Arn: `arn:aws:kms:us-east-1:${ACCOUNT}:key/${keyId}` } });
}

beforeEach(() => {
  resetMocks();
  logs.length = 0;
  sleeps.length = 0;
  clock.now = START;
  clock.waits.length = 0;
});

describe('create', () => {
  test('CreateKey with the origin, store, policy, description, tags and a creation tag naming the request', async () => {
    created();
    const result = await run(event('Create', { ResourceProperties: props({ Tags: [{ TagKey: 'team', TagValue: 'payments' }] }) }));
    expect(result).toEqual({ PhysicalResourceId: KEY, StartedAt: '2026-11-22T12:00:00.000Z', Data: { Arn: `arn:aws:kms:us-east-1:${ACCOUNT}:key/${KEY}`, KeyId: KEY } });
    expect(kmsMock.commandCalls(CreateKeyCommand)[0].args[0].input).toEqual({
      Origin: 'AWS_CLOUDHSM',
      CustomKeyStoreId: STORE,
      Description: 'payments data key',
      Policy: JSON.stringify(POLICY),
      KeySpec: 'SYMMETRIC_DEFAULT',
      KeyUsage: 'ENCRYPT_DECRYPT',
      Tags: [{ TagKey: 'team', TagValue: 'payments' }, { TagKey: 'cdk-kms-custom-key-store:creation', TagValue: 'PaymentsKey1A2B3C4D/a1b2c3d4-0000-0000-0000-000000000001' }],
    });
    expect(kmsCalls()).toEqual(['CreateKey']);
  });

  test('an external key store key carries XksKeyId', async () => {
    created();
    await run(event('Create', { ResourceProperties: props({ Origin: 'EXTERNAL_KEY_STORE', XksKeyId: 'payments-key-1' }) }));
    expect(kmsMock.commandCalls(CreateKeyCommand)[0].args[0].input).toMatchObject({ Origin: 'EXTERNAL_KEY_STORE', XksKeyId: 'payments-key-1' });
  });

  test('Enabled "false": the new key is disabled', async () => {
    created();
    kmsMock.on(DisableKeyCommand).resolves({});
    await run(event('Create', { ResourceProperties: props({ Enabled: 'false' }) }));
    expect(kmsCalls()).toEqual(['CreateKey', 'DisableKey']);
  });

  test('a DisableKey that fails schedules the new key for deletion, so no key is left behind', async () => {
    created();
    kmsMock.on(DisableKeyCommand).rejects(awsError('DependencyTimeoutException', 'timed out'));
    kmsMock.on(ScheduleKeyDeletionCommand).resolves({});
    await expect(run(event('Create', { ResourceProperties: props({ Enabled: 'false' }) }))).rejects.toThrow(/^DependencyTimeoutException: timed out \(disabling new KMS key .* scheduled for deletion in 7 days/);
    expect(kmsMock.commandCalls(ScheduleKeyDeletionCommand)[0].args[0].input).toEqual({ KeyId: KEY, PendingWindowInDays: 7 });
  });

  test('a store that is not connected: the message names the store, its name and its state', async () => {
    kmsMock.on(CreateKeyCommand).rejects(awsError('CustomKeyStoreInvalidStateException', 'not connected'));
    storeStates(STORE, 'DISCONNECTED');
    await expect(run(event('Create'))).rejects.toThrow(
      `CustomKeyStoreInvalidStateException: cannot create a KMS key in custom key store ${STORE} ('payments-hsm'), which is DISCONNECTED: KMS creates keys only in a CONNECTED store. No key was created. Connect the store (connected: true on its CustomKeyStore) and deploy again.`,
    );
  });

  test.each([
    ['CloudHsmClusterInvalidConfigurationException', /at least two active HSMs in different Availability Zones.*fix the cluster/],
    ['XksKeyNotFoundException', /has no key with id 'xk-1': create that key in the external key manager, or correct xksKeyId/],
    ['XksKeyAlreadyInUseException', /external key 'xk-1' already backs another KMS key .*the key construct was renamed or moved \(CloudFormation creates the new key before it deletes the old one.*an earlier key with this xksKeyId is pending deletion.*Give this key a different xksKeyId/],
    ['XksKeyInvalidConfigurationException', /external key 'xk-1' .* must be a 256-bit AES key that is enabled/],
    ['CustomKeyStoreNotFoundException', /does not exist in this account and Region/],
    ['MalformedPolicyDocumentException', /lockout safety check/],
    ['TagException', /reserved/],
    ['LimitExceededException', /quota/],
    ['UnsupportedOperationException', /see the KMS error above/],
  ])('%s: a message that says what to fix, and that no key was made', async (name, hint) => {
    kmsMock.on(CreateKeyCommand).rejects(awsError(name, 'KMS says no'));
    const e = event('Create', { ResourceProperties: props({ Origin: 'EXTERNAL_KEY_STORE', XksKeyId: 'xk-1' }) });
    const error = (await run(e).then(() => new Error('no error'), (err: unknown) => err)) as Error;
    expect(error.message).toMatch(new RegExp(`^${name}: KMS says no \\(creating a KMS key in custom key store ${STORE}: `));
    expect(error.message).toMatch(hint);
    expect(error.message).toMatch(/No key was created\.\)$/);
  });

  test('LimitExceededException with a key policy over 32 KB names the policy size and the limit, not the account quotas', async () => {
    kmsMock.on(CreateKeyCommand).rejects(awsError('LimitExceededException', 'too big'));
    const big = { ...POLICY, Statement: [...POLICY.Statement, { Sid: 'x'.repeat(33_000), Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::444455556666:root' }, Action: 'kms:Decrypt', Resource: '*' }] };
    const bytes = Buffer.byteLength(JSON.stringify(big));
    await expect(run(event('Create', { ResourceProperties: props({ Policy: big }) }))).rejects.toThrow(
      `LimitExceededException: too big (creating a KMS key in custom key store ${STORE}: the key policy is ${bytes} bytes, over KMS's limit of 32768 bytes (32 KB) for a key policy document: use fewer statements, or grant through IAM policies (the default key policy lets them decide), and deploy again. No key was created.)`,
    );
  });

  test('a CreateKey whose answer was lost: the key with this request\'s creation tag is found, and no second key is made', async () => {
    kmsMock.on(CreateKeyCommand).rejects(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    accountKeys([{ id: 'ffffffff-0000-0000-0000-000000000000' }, { id: NEW_KEY, store: STORE }, { id: KEY, store: STORE }]);
    kmsMock.on(ListResourceTagsCommand, { KeyId: NEW_KEY }).resolves({ Tags: [{ TagKey: CREATION_TAG_KEY, TagValue: 'PaymentsKey1A2B3C4D/another-request' }] });
    kmsMock.on(ListResourceTagsCommand, { KeyId: KEY }).resolves({ Tags: [{ TagKey: CREATION_TAG_KEY, TagValue: 'PaymentsKey1A2B3C4D/a1b2c3d4-0000-0000-0000-000000000001' }] });
    const result = await run(event('Create'));
    expect(result.PhysicalResourceId).toBe(KEY);
    expect(kmsMock.commandCalls(CreateKeyCommand)).toHaveLength(1);
  });

  test('a search that fails after a lost answer is final: its retries do not stack on CreateKey\'s', async () => {
    kmsMock.on(CreateKeyCommand).rejects(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    kmsMock.on(ListKeysCommand).rejects(awsError('KMSInternalException', 'internal', 500));
    await expect(run(event('Create'))).rejects.toThrow(/KMSInternalException: internal \(looking for the key an earlier CreateKey attempt may have made/);
    expect(kmsMock.commandCalls(CreateKeyCommand)).toHaveLength(1);
    // One retry layer: the search's own attempts, not those times CreateKey's.
    expect(kmsMock.commandCalls(ListKeysCommand)).toHaveLength(DEFAULT_RETRY_POLICY.maxAttempts);
  });

  test('a lost answer after which no key carries the tag: CreateKey again', async () => {
    kmsMock.on(CreateKeyCommand).rejectsOnce(awsError('KMSInternalException', 'internal', 500)).resolves({ KeyMetadata: { KeyId: KEY, Arn: 'arn' } });
    accountKeys([{ id: NEW_KEY, store: STORE, state: 'PendingDeletion' }]);
    expect((await run(event('Create'))).PhysicalResourceId).toBe(KEY);
    expect(kmsMock.commandCalls(CreateKeyCommand)).toHaveLength(2);
    expect(kmsMock.commandCalls(ListResourceTagsCommand)).toHaveLength(0);
  });

  test('throttling is retried after the quota window, without a search: KMS refused the call before acting', async () => {
    kmsMock.on(CreateKeyCommand).rejectsOnce(awsError('ThrottlingException', 'Rate exceeded')).resolves({ KeyMetadata: { KeyId: KEY } });
    const result = await run(event('Create'));
    expect(result.Data).toEqual({ Arn: `arn:aws:kms:us-east-1:${ACCOUNT}:key/${KEY}`, KeyId: KEY });
    expect(kmsCalls()).toEqual(['CreateKey', 'CreateKey']);
    // Past CreateKey's one-second quota window before the second attempt (plus retry.ts's backoff).
    expect(Math.max(...sleeps)).toBeGreaterThanOrEqual(1000);
  });

  describe('eventual consistency: KMS may not show a new key for a while', () => {
    const OWN_TAG = { TagKey: CREATION_TAG_KEY, TagValue: 'PaymentsKey1A2B3C4D/a1b2c3d4-0000-0000-0000-000000000001' };

    test('DisableKey right after CreateKey meets NotFound: tried again, no cleanup', async () => {
      created();
      kmsMock.on(DisableKeyCommand).rejectsOnce(awsError('NotFoundException', `Key '${KEY}' does not exist`)).resolves({});
      expect((await run(event('Create', { ResourceProperties: props({ Enabled: 'false' }) }))).PhysicalResourceId).toBe(KEY);
      expect(kmsCalls()).toEqual(['CreateKey', 'DisableKey', 'DisableKey']);
    });

    test('a key that never shows: bounded tries, then a cleanup whose failure is said as it is', async () => {
      created();
      kmsMock.on(DisableKeyCommand).rejects(awsError('NotFoundException', 'not found'));
      kmsMock.on(ScheduleKeyDeletionCommand).rejects(awsError('NotFoundException', 'still not found'));
      const error = (await run(event('Create', { ResourceProperties: props({ Enabled: 'false' }) })).then(() => new Error('no error'), (err: unknown) => err)) as Error;
      expect(error.message).toMatch(/^NotFoundException: not found \(disabling new KMS key .*: scheduling its deletion failed too \(NotFoundException: still not found\), so the key is left Enabled/);
      expect(error.message).not.toMatch(/was scheduled for deletion/);
      expect(kmsMock.commandCalls(DisableKeyCommand).length).toBe(kmsMock.commandCalls(ScheduleKeyDeletionCommand).length);
      expect(kmsMock.commandCalls(DisableKeyCommand).length).toBeGreaterThan(1);
      expect(kmsMock.commandCalls(DisableKeyCommand).length).toBeLessThan(10);
    });

    test('a lost answer: the search runs again while ListKeys does not show the key yet, and finds it', async () => {
      kmsMock.on(CreateKeyCommand).rejects(awsError('KMSInternalException', 'internal', 500));
      kmsMock
        .on(ListKeysCommand)
        .resolvesOnce({ Keys: [], Truncated: false })
        .resolves({ Keys: [{ KeyId: KEY }], Truncated: false });
      kmsMock.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: KEY, CustomKeyStoreId: STORE, KeyState: 'Enabled' } });
      kmsMock.on(ListResourceTagsCommand).resolves({ Tags: [OWN_TAG] });
      expect((await run(event('Create'))).PhysicalResourceId).toBe(KEY);
      expect(kmsCalls()).toEqual(['CreateKey', 'ListKeys', 'ListKeys', 'DescribeKey', 'ListResourceTags']);
    });

    test('XksKeyAlreadyInUse (a replayed Create, or a lost answer): the key holding the xksKeyId with this request\'s creation tag is adopted', async () => {
      kmsMock.on(CreateKeyCommand).rejects(awsError('XksKeyAlreadyInUseException', 'in use'));
      kmsMock.on(ListKeysCommand).resolves({ Keys: [{ KeyId: NEW_KEY }, { KeyId: KEY }], Truncated: false });
      kmsMock.on(DescribeKeyCommand).callsFake((input: { KeyId: string }) => ({
        KeyMetadata: { KeyId: input.KeyId, CustomKeyStoreId: STORE, KeyState: 'Enabled', XksKeyConfiguration: { Id: input.KeyId === KEY ? 'xk-1' : 'xk-2' } },
      }));
      kmsMock.on(ListResourceTagsCommand).resolves({ Tags: [OWN_TAG] });
      const result = await run(event('Create', { ResourceProperties: props({ Origin: 'EXTERNAL_KEY_STORE', XksKeyId: 'xk-1' }) }));
      expect(result.PhysicalResourceId).toBe(KEY);
      // Only the key holding xk-1 is read for tags.
      expect(kmsMock.commandCalls(ListResourceTagsCommand).map((c) => c.args[0].input.KeyId)).toEqual([KEY]);
      expect(kmsMock.commandCalls(CreateKeyCommand)).toHaveLength(1);
    });

    test('XksKeyAlreadyInUse and the key holding the xksKeyId carries another creation tag: not adopted, the advice stands', async () => {
      kmsMock.on(CreateKeyCommand).rejects(awsError('XksKeyAlreadyInUseException', 'in use'));
      kmsMock.on(ListKeysCommand).resolves({ Keys: [{ KeyId: KEY }], Truncated: false });
      kmsMock.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: KEY, CustomKeyStoreId: STORE, KeyState: 'Enabled', XksKeyConfiguration: { Id: 'xk-1' } } });
      kmsMock.on(ListResourceTagsCommand).resolves({ Tags: [{ TagKey: CREATION_TAG_KEY, TagValue: 'OtherKey/another-request' }] });
      await expect(run(event('Create', { ResourceProperties: props({ Origin: 'EXTERNAL_KEY_STORE', XksKeyId: 'xk-1' }) }))).rejects.toThrow(/^XksKeyAlreadyInUseException: in use \(.*Give this key a different xksKeyId/);
      expect(kmsMock.commandCalls(CreateKeyCommand)).toHaveLength(1);
    });
  });

  test('CreateKey without KeyMetadata is an error, not a key', async () => {
    kmsMock.on(CreateKeyCommand).resolves({});
    await expect(run(event('Create'))).rejects.toThrow(/CreateKey returned no KeyMetadata/);
  });
});

describe('update', () => {
  const update = (oldProps: Record<string, unknown>, newProps: Record<string, unknown>): KeyEvent =>
    event('Update', { PhysicalResourceId: KEY, OldResourceProperties: props(oldProps), ResourceProperties: props(newProps) });

  test('only what changed is sent: description, policy, tags set and removed, enabled', async () => {
    kmsMock.on(UpdateKeyDescriptionCommand).resolves({});
    kmsMock.on(PutKeyPolicyCommand).resolves({});
    kmsMock.on(TagResourceCommand).resolves({});
    kmsMock.on(UntagResourceCommand).resolves({});
    kmsMock.on(DisableKeyCommand).resolves({});
    const newPolicy = { ...POLICY, Statement: [...POLICY.Statement, { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::444455556666:root' }, Action: 'kms:Decrypt', Resource: '*' }] };
    const result = await run(
      update(
        { Tags: [{ TagKey: 'team', TagValue: 'a' }, { TagKey: 'old', TagValue: 'x' }, { TagKey: 'same', TagValue: 's' }] },
        { Description: 'v2', Policy: newPolicy, Enabled: 'false', PendingWindowInDays: '7', Tags: [{ TagKey: 'team', TagValue: 'b' }, { TagKey: 'same', TagValue: 's' }] },
      ),
    );
    expect(result).toEqual({ PhysicalResourceId: KEY, StartedAt: '2026-11-22T12:00:00.000Z', Data: { Arn: `arn:aws:kms:us-east-1:${ACCOUNT}:key/${KEY}`, KeyId: KEY } });
    expect(kmsCalls()).toEqual(['UpdateKeyDescription', 'PutKeyPolicy', 'TagResource', 'UntagResource', 'DisableKey']);
    expect(kmsMock.commandCalls(TagResourceCommand)[0].args[0].input).toEqual({ KeyId: KEY, Tags: [{ TagKey: 'team', TagValue: 'b' }] });
    expect(kmsMock.commandCalls(UntagResourceCommand)[0].args[0].input).toEqual({ KeyId: KEY, TagKeys: ['old'] });
    expect(kmsMock.commandCalls(PutKeyPolicyCommand)[0].args[0].input).toEqual({ KeyId: KEY, Policy: JSON.stringify(newPolicy) });
  });

  test('a PutKeyPolicy refused with LimitExceededException names the new policy\'s size and the 32 KB limit', async () => {
    kmsMock.on(PutKeyPolicyCommand).rejects(awsError('LimitExceededException', 'too big'));
    const big = { ...POLICY, Statement: [...POLICY.Statement, { Sid: 'x'.repeat(33_000), Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::444455556666:root' }, Action: 'kms:Decrypt', Resource: '*' }] };
    await expect(run(update({}, { Policy: big }))).rejects.toThrow(/^LimitExceededException: too big \(updating KMS key .*, step PutKeyPolicy\. Nothing was changed\.\) Cause: the key policy is 33\d{3} bytes, over KMS's limit of 32768 bytes \(32 KB\)/);
  });

  test('nothing that KMS holds changed (pending window only, or a policy reformatted): no call', async () => {
    await run(update({ Policy: JSON.stringify(POLICY, null, 2) }, { PendingWindowInDays: '7' }));
    expect(kmsCalls()).toEqual([]);
  });

  test.each([
    ['CustomKeyStoreId', { CustomKeyStoreId: 'cks-00000000000000000' }],
    ['XksKeyId', { Origin: 'EXTERNAL_KEY_STORE', XksKeyId: 'key-2' }],
  ])('a different %s is a new key (a new PhysicalResourceId); the old one is left to CloudFormation', async (_field, change) => {
    created(NEW_KEY);
    const old = 'XksKeyId' in change ? { Origin: 'EXTERNAL_KEY_STORE', XksKeyId: 'key-1' } : {};
    const result = await run(update(old, change));
    expect(result.PhysicalResourceId).toBe(NEW_KEY);
    expect(kmsCalls()).toEqual(['CreateKey']);
  });

  test('a failure part-way says which steps were applied, and what to do', async () => {
    kmsMock.on(UpdateKeyDescriptionCommand).resolves({});
    kmsMock.on(PutKeyPolicyCommand).rejects(awsError('KMSInvalidStateException', `${KEY} is pending deletion.`));
    await expect(run(update({}, { Description: 'v2', Policy: { ...POLICY, Id: 'x' } }))).rejects.toThrow(
      `KMSInvalidStateException: ${KEY} is pending deletion. (updating KMS key ${KEY}, step PutKeyPolicy. Already applied: UpdateKeyDescription; CloudFormation's rollback reverts them.) The key is pending deletion: cancel its deletion`,
    );
  });

  test.each([
    ['NotFoundException', /Nothing was changed\.\) The key no longer exists: remove the CustomKeyStoreKey/],
    ['MalformedPolicyDocumentException', /Nothing was changed\.\) KMS kept rejecting the key policy .*names a principal that KMS cannot see yet .*or the policy is malformed/],
    ['AccessDeniedException', /Nothing was changed\.\)$/],
  ])('%s on the first step', async (name, expected) => {
    kmsMock.on(UpdateKeyDescriptionCommand).rejects(awsError(name, 'no'));
    await expect(run(update({}, { Description: 'v2' }))).rejects.toThrow(expected);
  });

  test('an update moments after the create, that KMS does not show the key to yet, is applied once it does', async () => {
    kmsMock.on(UpdateKeyDescriptionCommand).rejectsOnce(awsError('NotFoundException', 'not yet')).resolves({});
    kmsMock.on(DisableKeyCommand).resolves({});
    await expect(run(update({}, { Description: 'v2', Enabled: 'false' }))).resolves.toMatchObject({ PhysicalResourceId: KEY });
    expect(kmsCalls()).toEqual(['UpdateKeyDescription', 'UpdateKeyDescription', 'DisableKey']);
  });

  test('enabling a disabled key', async () => {
    await run(update({ Enabled: 'false' }, {}));
    expect(kmsCalls()).toEqual(['EnableKey']);
  });

  test('an update of something that is not a key id changes nothing', async () => {
    await expect(run(event('Update', { PhysicalResourceId: 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED', OldResourceProperties: props() }))).rejects.toThrow(/^InvalidPhysicalResourceId: /);
  });
});

describe('delete', () => {
  const del = (window = '30', id = KEY): KeyEvent => event('Delete', { PhysicalResourceId: id, ResourceProperties: props({ PendingWindowInDays: window }) });

  test('ScheduleKeyDeletion with the pending window', async () => {
    kmsMock.on(ScheduleKeyDeletionCommand).resolves({ KeyId: KEY, DeletionDate: new Date('2026-11-29T12:00:00Z'), KeyState: 'PendingDeletion' });
    expect(await run(del('7'))).toEqual({ PhysicalResourceId: KEY, StartedAt: '2026-11-22T12:00:00.000Z' });
    expect(kmsMock.commandCalls(ScheduleKeyDeletionCommand)[0].args[0].input).toEqual({ KeyId: KEY, PendingWindowInDays: 7 });
    expect(logs.join('\n')).toContain('"deletionDate":"2026-11-29T12:00:00.000Z"');
  });

  test('a key that is gone is success, once the new-key visibility lag has had its time', async () => {
    kmsMock.on(ScheduleKeyDeletionCommand).rejects(awsError('NotFoundException', 'gone'));
    await expect(run(del())).resolves.toMatchObject({ PhysicalResourceId: KEY });
    expect(kmsMock.commandCalls(ScheduleKeyDeletionCommand).length).toBeGreaterThan(1);
    expect(logs.join('\n')).toContain('"outcome":"already gone"');
  });

  test('a key made moments ago (a rollback of its own create) that KMS does not show yet is scheduled once it does', async () => {
    kmsMock.on(ScheduleKeyDeletionCommand)
      .rejectsOnce(awsError('NotFoundException', 'not yet'))
      .resolves({ KeyId: KEY, DeletionDate: new Date('2026-12-22T12:00:00Z'), KeyState: 'PendingDeletion' });
    await expect(run(del())).resolves.toMatchObject({ PhysicalResourceId: KEY });
    expect(kmsMock.commandCalls(ScheduleKeyDeletionCommand)).toHaveLength(2);
    expect(logs.join('\n')).toContain('"deletionDate":"2026-12-22T12:00:00.000Z"');
  });

  test('a key already pending deletion is success', async () => {
    kmsMock.on(ScheduleKeyDeletionCommand).rejects(awsError('KMSInvalidStateException', 'pending'));
    kmsMock.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: KEY, KeyState: 'PendingDeletion', DeletionDate: new Date('2026-12-01T00:00:00Z') } });
    await expect(run(del())).resolves.toMatchObject({ PhysicalResourceId: KEY });
  });

  test('KMSInvalidStateException in another state fails, naming the state', async () => {
    kmsMock.on(ScheduleKeyDeletionCommand).rejects(awsError('KMSInvalidStateException', 'pending import'));
    kmsMock.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: KEY, KeyState: 'PendingImport' } });
    await expect(run(del())).rejects.toThrow(`KMSInvalidStateException: pending import (scheduling deletion of KMS key ${KEY}, which is PendingImport. The key was not scheduled for deletion`);
  });

  test('any other error fails', async () => {
    kmsMock.on(ScheduleKeyDeletionCommand).rejects(awsError('AccessDeniedException', 'denied'));
    await expect(run(del())).rejects.toThrow(/^AccessDeniedException: denied \(scheduling deletion of KMS key .*, which is in an unknown state/);
  });

  test('a PhysicalResourceId that is not a key id (a Create that failed) needs no call', async () => {
    await run(del('30', 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED'));
    expect(kmsCalls()).toEqual([]);
  });

  test('unreadable properties fall back to the default window of 30 days', async () => {
    kmsMock.on(ScheduleKeyDeletionCommand).resolves({});
    await run(event('Delete', { PhysicalResourceId: KEY, ResourceProperties: { Origin: 'nope' } }));
    expect(kmsMock.commandCalls(ScheduleKeyDeletionCommand)[0].args[0].input).toEqual({ KeyId: KEY, PendingWindowInDays: 30 });
  });
});

describe('entry points and malformed events', () => {
  test('index.onEvent and index.isComplete dispatch key events to the key resource', async () => {
    kmsMock.on(ScheduleKeyDeletionCommand).rejects(awsError('NotFoundException', 'gone'));
    const e = event('Delete', { PhysicalResourceId: KEY });
    // The entry points log to the Lambda log (the console): captured here, and checked.
    const console_ = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await expect(onEvent(e)).resolves.toMatchObject({ PhysicalResourceId: KEY });
      await expect(isComplete(e)).resolves.toEqual({ IsComplete: true });
      expect(console_.mock.calls.map((c) => (JSON.parse(String(c[0])) as { phase?: string; step?: string }).phase ?? 'step')).toEqual(['onEvent', 'step', 'onEvent', 'isComplete', 'isComplete']);
    } finally {
      console_.mockRestore();
    }
  });

  test('an unknown request type', async () => {
    await expect(run(event('Replace'))).rejects.toThrow(/^MalformedEvent: RequestType 'Replace' is not Create, Update or Delete\. No KMS call was made\./);
  });

  test('an error that is not the handler\'s own is wrapped with what was happening', async () => {
    kmsMock.on(CreateKeyCommand).callsFake(() => {
      throw new TypeError('boom');
    });
    await expect(run(event('Create'))).rejects.toThrow(/^TypeError: boom \(creating a KMS key/);
    const console_ = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const error = await runKeyWith(makeDeps(new KMSClient({ region: 'us-east-1' }), new SecretsManagerClient({ region: 'us-east-1' }), new SecretRedactor()), new SecretRedactor(), event('Create'), 'onEvent', () => Promise.reject(new TypeError('bad'))).catch((err: unknown) => err as Error);
      expect(error.message).toMatch(/^TypeError: bad \(during Create onEvent of KMS key \(new\)/);
      // makeDeps' own log writes to the console: the failure is there too.
      expect(console_.mock.calls.at(-1)?.[0]).toMatch(/"failed":"TypeError: bad/);
    } finally {
      console_.mockRestore();
    }
  });

  test.each([
    [{ ResourceProperties: undefined }, /ResourceProperties is missing/],
    [{ ResourceProperties: props({ CustomKeyStoreId: '' }) }, /CustomKeyStoreId must be a custom key store id/],
    [{ ResourceProperties: props({ Origin: 'AWS_KMS' }) }, /Origin must be AWS_CLOUDHSM or EXTERNAL_KEY_STORE/],
    [{ ResourceProperties: props({ Origin: 'EXTERNAL_KEY_STORE' }) }, /XksKeyId: is missing; expected 1-128 characters/],
    [{ ResourceProperties: props({ Origin: 'EXTERNAL_KEY_STORE', XksKeyId: 'has space' }) }, /XksKeyId: 'has space' does not match/],
    [{ ResourceProperties: props({ XksKeyId: 'k' }) }, /XksKeyId is only for keys in external key stores/],
    [{ ResourceProperties: props({ Description: 'x'.repeat(8193) }) }, /Description must be a string of at most 8192 characters/],
    [{ ResourceProperties: props({ Policy: null }) }, /Policy is missing/],
    [{ ResourceProperties: props({ Enabled: 'yes' }) }, /Enabled must be "true" or "false"/],
    [{ ResourceProperties: props({ PendingWindowInDays: '6' }) }, /PendingWindowInDays must be a whole number from 7 to 30/],
    [{ ResourceProperties: props({ Tags: [{ TagKey: 'a' }] }) }, /Tags must be a list of \{ TagKey, TagValue \} strings/],
  ])('malformed properties fail before any call: %#', async (extra, expected) => {
    await expect(run(event('Create', extra))).rejects.toThrow(expected);
    expect(kmsCalls()).toEqual([]);
  });
});

describe('refusals that pass: tried again within a window of their own, at no cost when not met', () => {
  const XKS = props({ Origin: 'EXTERNAL_KEY_STORE', XksKeyId: 'xk-1' });
  const PROXY_SAYS = `The request was rejected because the external key store proxy rejected the authentication credential (AuthenticationFailed) for custom key store '${STORE}'.`;
  const invalidState = (): Error => awsError('CustomKeyStoreInvalidStateException', PROXY_SAYS);
  const failure = async (e: KeyEvent, extra: Partial<ResourceDeps> = {}): Promise<string> => run(e, extra).then(() => 'no error', (err: unknown) => (err as Error).message);

  describe("CreateKey's CustomKeyStoreInvalidStateException in an external key store", () => {
    test('the store reads CONNECTED (its proxy failed the request): tried again, and the key is made', async () => {
      kmsMock.on(CreateKeyCommand).rejectsOnce(invalidState()).rejectsOnce(invalidState()).resolves({ KeyMetadata: { KeyId: KEY } });
      storeStates(STORE, 'CONNECTED');
      expect((await run(event('Create', { ResourceProperties: XKS }))).PhysicalResourceId).toBe(KEY);
      expect(kmsCalls()).toEqual(['CreateKey', 'DescribeCustomKeyStores', 'CreateKey', 'DescribeCustomKeyStores', 'CreateKey']);
      expect(clock.waits).toEqual([1000, 2000]);
      expect(logs.join('\n')).toContain('"step":"key-refusal-retry","error":"CustomKeyStoreInvalidStateException","delayMs":1000');
    });

    test('a proxy that keeps failing: about 15 s of tries, then KMS\'s own text, the store CONNECTED, and what to check on the proxy', async () => {
      kmsMock.on(CreateKeyCommand).rejects(invalidState());
      storeStates(STORE, 'CONNECTED');
      const message = await failure(event('Create', { ResourceProperties: XKS }));
      expect(message).toMatch(
        new RegExp(`^CustomKeyStoreInvalidStateException: ${PROXY_SAYS.replace(/[()]/g, '\\$&')} \\(creating a KMS key in external key store ${STORE} \\('payments-hsm'\\), which is CONNECTED: KMS answers CreateKey so when the store's proxy rejects or fails the request\\. The handler tried again for 15 s\\. No key was created\\.`),
      );
      expect(message).toMatch(/accepts the proxy credential KMS holds .*authorization rules allow KMS, that proxyUriPath is the path it serves, and that the proxy and its external key manager are in service/);
      expect(message).not.toMatch(/KMS creates keys only in a CONNECTED store/);
      expect(clock.waits).toEqual([1000, 2000, 4000, 8000]);
      expect(kmsMock.commandCalls(CreateKeyCommand)).toHaveLength(5);
    });

    test('a store that is not CONNECTED: no retry, the not-connected message as before', async () => {
      kmsMock.on(CreateKeyCommand).rejects(awsError('CustomKeyStoreInvalidStateException', 'not connected'));
      storeStates(STORE, 'DISCONNECTED');
      expect(await failure(event('Create', { ResourceProperties: XKS }))).toBe(
        `CustomKeyStoreInvalidStateException: cannot create a KMS key in custom key store ${STORE} ('payments-hsm'), which is DISCONNECTED: KMS creates keys only in a CONNECTED store. No key was created. Connect the store (connected: true on its CustomKeyStore) and deploy again.`,
      );
      expect(kmsCalls()).toEqual(['CreateKey', 'DescribeCustomKeyStores']);
      expect(clock.waits).toEqual([]);
    });

    test('a store that disconnects during the tries: the not-connected message, at once', async () => {
      kmsMock.on(CreateKeyCommand).rejects(invalidState());
      storeStates(STORE, 'CONNECTED', 'DISCONNECTING');
      expect(await failure(event('Create', { ResourceProperties: XKS }))).toMatch(/^CustomKeyStoreInvalidStateException: cannot create a KMS key in custom key store .*, which is DISCONNECTING: KMS creates keys only in a CONNECTED store/);
      expect(clock.waits).toEqual([1000]);
    });

    test('the tries end before the invocation does, leaving it time to report', async () => {
      kmsMock.on(CreateKeyCommand).rejects(invalidState());
      storeStates(STORE, 'CONNECTED');
      expect(await failure(event('Create', { ResourceProperties: XKS }), { remainingTimeMs: () => 13_000 })).toMatch(/which is CONNECTED: .*The handler tried again for 3 s\./);
      expect(clock.waits).toEqual([1000, 2000]);
    });
  });

  describe('MalformedPolicyDocumentException: a principal the policy names may not be visible to KMS yet', () => {
    test('CreateKey is tried again with growing waits until KMS accepts the policy', async () => {
      const policyRefused = awsError('MalformedPolicyDocumentException', 'Policy contains a statement with one or more invalid principals.');
      kmsMock.on(CreateKeyCommand).rejectsOnce(policyRefused).rejectsOnce(policyRefused).resolves({ KeyMetadata: { KeyId: KEY } });
      expect((await run(event('Create'))).PhysicalResourceId).toBe(KEY);
      expect(kmsCalls()).toEqual(['CreateKey', 'CreateKey', 'CreateKey']);
      expect(clock.waits).toEqual([1000, 2000]);
    });

    test('a policy refused for about 25 s: KMS\'s text, then both likely causes', async () => {
      kmsMock.on(CreateKeyCommand).rejects(awsError('MalformedPolicyDocumentException', 'Policy contains a statement with one or more invalid principals.'));
      const message = await failure(event('Create'));
      expect(message).toMatch(/^MalformedPolicyDocumentException: Policy contains a statement with one or more invalid principals\. \(creating a KMS key in custom key store .*: KMS rejected the key policy, also when the handler tried again for about 25 s\. /);
      expect(message).toMatch(/names a principal that KMS cannot see yet \(one created in the same deployment.*\), or the policy is malformed: .*lockout safety check.* No key was created\.\)$/);
      expect(clock.waits).toEqual([1000, 2000, 4000, 8000, 8000]);
    });

    const update = (): KeyEvent => event('Update', { PhysicalResourceId: KEY, OldResourceProperties: props(), ResourceProperties: props({ Policy: { ...POLICY, Id: 'v2' } }) });

    test('PutKeyPolicy on an update is tried again the same way, then applied', async () => {
      kmsMock.on(PutKeyPolicyCommand).rejectsOnce(awsError('MalformedPolicyDocumentException', 'invalid principals')).resolves({});
      await run(update());
      expect(kmsCalls()).toEqual(['PutKeyPolicy', 'PutKeyPolicy']);
      expect(clock.waits).toEqual([1000]);
    });

    test('PutKeyPolicy refused throughout: the update fails naming both causes', async () => {
      kmsMock.on(PutKeyPolicyCommand).rejects(awsError('MalformedPolicyDocumentException', 'invalid principals'));
      expect(await failure(update())).toMatch(/^MalformedPolicyDocumentException: invalid principals \(updating KMS key .*, step PutKeyPolicy\. Nothing was changed\.\) KMS kept rejecting the key policy \(the handler tries PutKeyPolicy again for about 25 s\)\. Either the policy names a principal that KMS cannot see yet/);
      expect(kmsMock.commandCalls(PutKeyPolicyCommand)).toHaveLength(6);
    });
  });

  test('other refusals are not tried again', async () => {
    kmsMock.on(CreateKeyCommand).rejects(awsError('XksKeyNotFoundException', 'not found'));
    await expect(run(event('Create', { ResourceProperties: XKS }))).rejects.toThrow(/^XksKeyNotFoundException/);
    expect(kmsCalls()).toEqual(['CreateKey']);
    expect(clock.waits).toEqual([]);
  });
});

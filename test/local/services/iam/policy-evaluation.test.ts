/** IAM's evaluation logic as the emulator plays it: deny wins, conditions AND across keys, absent keys fail but for IfExists and Null. */
import { AuthorizationRequest, evaluate, Statement } from '../../../../local/services/iam/policy-evaluation';

const KEY = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const request = (context: AuthorizationRequest['context'], action = 'kms:TagResource', resource = KEY): AuthorizationRequest => ({ action, resource, context });
const allow = (extra: Partial<Statement> = {}): Statement => ({ Effect: 'Allow', Action: 'kms:TagResource', Resource: 'arn:aws:kms:us-east-1:111122223333:key/*', ...extra });
const origins = { 'kms:KeyOrigin': ['AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE'] };

test('an allow matching action (case-insensitive, wildcards) and resource allows; nothing matching is the implicit deny', () => {
  expect(evaluate([allow({ Action: 'KMS:Tag*' })], request({}))).toBe('Allow');
  expect(evaluate([allow()], request({}, 'kms:UntagResource'))).toBe('ImplicitDeny');
  expect(evaluate([allow()], request({}, 'kms:TagResource', 'arn:aws:kms:us-west-2:111122223333:key/x'))).toBe('ImplicitDeny');
  expect(evaluate([], request({}))).toBe('ImplicitDeny');
});

test('an explicit deny wins over any allow', () => {
  expect(evaluate([allow(), { Effect: 'Deny', Action: 'kms:*', Resource: '*' }], request({}))).toBe('ExplicitDeny');
});

test('StringEquals on a key absent from the context denies; StringEqualsIfExists passes, and still narrows when the key is there', () => {
  expect(evaluate([allow({ Condition: { StringEquals: origins } })], request({}))).toBe('ImplicitDeny');
  expect(evaluate([allow({ Condition: { StringEqualsIfExists: origins } })], request({}))).toBe('Allow');
  expect(evaluate([allow({ Condition: { StringEqualsIfExists: origins } })], request({ 'kms:KeyOrigin': 'AWS_KMS' }))).toBe('ImplicitDeny');
  expect(evaluate([allow({ Condition: { StringEqualsIfExists: origins } })], request({ 'kms:KeyOrigin': 'EXTERNAL_KEY_STORE' }))).toBe('Allow');
});

test('every key of every operator must match; condition key names are case-insensitive', () => {
  const both = allow({ Condition: { StringEquals: { 'kms:CallerAccount': '111122223333', ...origins } } });
  expect(evaluate([both], request({ 'KMS:CallerAccount': '111122223333', 'kms:KeyOrigin': 'AWS_CLOUDHSM' }))).toBe('Allow');
  expect(evaluate([both], request({ 'kms:KeyOrigin': 'AWS_CLOUDHSM' }))).toBe('ImplicitDeny');
});

test('negated operators match only when no value matches; Null tests presence; set operators over multivalued keys', () => {
  expect(evaluate([allow({ Condition: { StringNotEquals: origins } })], request({ 'kms:KeyOrigin': 'AWS_KMS' }))).toBe('Allow');
  expect(evaluate([allow({ Condition: { StringNotEquals: origins } })], request({ 'kms:KeyOrigin': 'AWS_CLOUDHSM' }))).toBe('ImplicitDeny');
  expect(evaluate([allow({ Condition: { Null: { 'kms:KeyOrigin': 'true' } } })], request({}))).toBe('Allow');
  expect(evaluate([allow({ Condition: { Null: { 'kms:KeyOrigin': 'false' } } })], request({}))).toBe('ImplicitDeny');
  const onlyCreationTag = allow({ Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['created-by'] } } });
  expect(evaluate([onlyCreationTag], request({ 'aws:TagKeys': ['created-by'] }))).toBe('Allow');
  expect(evaluate([onlyCreationTag], request({ 'aws:TagKeys': ['created-by', 'team'] }))).toBe('ImplicitDeny');
  expect(evaluate([allow({ Condition: { 'ForAnyValue:StringLike': { 'aws:TagKeys': 'team*' } } })], request({ 'aws:TagKeys': ['created-by', 'team-a'] }))).toBe('Allow');
});

test('NotAction and NotResource', () => {
  expect(evaluate([{ Effect: 'Allow', NotAction: 'kms:ScheduleKeyDeletion', Resource: '*' }], request({}))).toBe('Allow');
  expect(evaluate([{ Effect: 'Allow', NotAction: 'kms:TagResource', Resource: '*' }], request({}))).toBe('ImplicitDeny');
  expect(evaluate([{ Effect: 'Allow', Action: '*', NotResource: KEY }], request({}))).toBe('ImplicitDeny');
});

test('an operator it does not know is an error, never an allow', () => {
  expect(() => evaluate([allow({ Condition: { DateGreaterThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } } })], request({}))).toThrow(/does not know the condition operator DateGreaterThan/);
});

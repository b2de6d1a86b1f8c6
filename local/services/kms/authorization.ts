/**
 * What KMS asks IAM for each operation: the action, the resource, and the request context, holding
 * only the condition keys the Developer Guide's "AWS KMS permissions" table and "AWS KMS condition
 * keys" page document for that operation. Where a key is documented for some operations and not
 * others, it is left out of the others: a policy that needs it there would deny in a real account
 * whenever KMS does not supply it, and the emulator must fail the same way.
 *
 * - Custom key store operations: Resource "*" (no resource-level permissions); kms:CallerAccount.
 * - CreateKey: Resource "*"; the request's parameters (kms:KeyOrigin, kms:KeySpec, kms:KeyUsage,
 *   kms:MultiRegion, kms:BypassPolicyLockoutSafetyCheck, at their defaults when absent: "This type
 *   of condition works even when the parameter doesn't appear in the request") and its tags. Not
 *   kms:CallerAccount: the Guide documents it for key resource and custom key store operations, and
 *   CreateKey is neither.
 * - CreateKey with Tags also needs kms:TagResource "in an IAM policy that isn't restricted to
 *   particular KMS keys" ("At a minimum, the permission must cover all KMS keys in the account and
 *   Region"): asked here for the resource `key/*` of the account and Region, with the tags in the
 *   context and no key's properties (there is no key yet).
 * - Key resource operations: the key's ARN; kms:CallerAccount and the key's own properties
 *   (kms:KeyOrigin, kms:KeySpec, kms:KeyUsage, kms:MultiRegion), its tags (aws:ResourceTag/*), and
 *   the operation's parameters where it has conditions for them.
 * - ListKeys, GenerateRandom: Resource "*"; no KMS condition keys.
 */
import { AuthorizationRequest } from '../iam/policy-evaluation';
import { Json, Key } from './records';

type Context = Record<string, string | readonly string[]>;

const CUSTOM_KEY_STORE_OPERATIONS = new Set([
  'CreateCustomKeyStore',
  'ConnectCustomKeyStore',
  'DisconnectCustomKeyStore',
  'UpdateCustomKeyStore',
  'DeleteCustomKeyStore',
  'DescribeCustomKeyStores',
]);

const KEY_RESOURCE_OPERATIONS = new Set([
  'DescribeKey',
  'ScheduleKeyDeletion',
  'CancelKeyDeletion',
  'PutKeyPolicy',
  'GetKeyPolicy',
  'UpdateKeyDescription',
  'EnableKey',
  'DisableKey',
  'TagResource',
  'UntagResource',
  'ListResourceTags',
  'Encrypt',
]);

export interface AuthorizationScope {
  readonly accountId: string;
  readonly region: string;
  /** The key an input names, if it exists (no visibility rules: IAM sees the ARN KMS resolves). */
  readonly keyOf: (input: Json) => Key | undefined;
}

/**
 * The authorizations `operation` needs, in the order KMS asks them; empty when the key it names
 * does not exist (the operation then answers NotFound as it always does).
 */
export function authorizationsFor(scope: AuthorizationScope, operation: string, input: Json): AuthorizationRequest[] {
  const action = `kms:${operation}`;
  if (CUSTOM_KEY_STORE_OPERATIONS.has(operation)) {
    return [{ action, resource: '*', context: { 'kms:CallerAccount': scope.accountId } }];
  }
  if (operation === 'CreateKey') {
    const tags = tagContext(input.Tags);
    const create: AuthorizationRequest = {
      action,
      resource: '*',
      context: {
        'kms:KeyOrigin': text(input.Origin, 'AWS_KMS'),
        'kms:KeySpec': text(input.KeySpec ?? input.CustomerMasterKeySpec, 'SYMMETRIC_DEFAULT'),
        'kms:KeyUsage': text(input.KeyUsage, 'ENCRYPT_DECRYPT'),
        'kms:MultiRegion': text(input.MultiRegion, 'false'),
        'kms:BypassPolicyLockoutSafetyCheck': text(input.BypassPolicyLockoutSafetyCheck, 'false'),
        ...tags,
      },
    };
    const tagging: AuthorizationRequest[] = Object.keys(tags).length > 0 ? [{ action: 'kms:TagResource', resource: `arn:aws:kms:${scope.region}:${scope.accountId}:key/*`, context: tags }] : [];
    return [create, ...tagging];
  }
  if (KEY_RESOURCE_OPERATIONS.has(operation)) {
    const key = scope.keyOf(input);
    if (!key) return [];
    return [{ action, resource: key.arn, context: { ...keyContext(scope, key), ...operationContext(operation, input) } }];
  }
  return [{ action, resource: '*', context: {} }];
}

function keyContext(scope: AuthorizationScope, key: Key): Context {
  return {
    'kms:CallerAccount': scope.accountId,
    'kms:KeyOrigin': key.origin,
    'kms:KeySpec': 'SYMMETRIC_DEFAULT',
    'kms:KeyUsage': 'ENCRYPT_DECRYPT',
    'kms:MultiRegion': 'false',
    ...Object.fromEntries([...key.tags].map(([k, v]) => [`aws:ResourceTag/${k}`, v])),
  };
}

function operationContext(operation: string, input: Json): Context {
  switch (operation) {
    case 'TagResource':
      return tagContext(input.Tags);
    case 'UntagResource':
      return { 'aws:TagKeys': (Array.isArray(input.TagKeys) ? input.TagKeys : []).map(String) };
    case 'ScheduleKeyDeletion':
      return { 'kms:ScheduleKeyDeletionPendingWindowInDays': text(input.PendingWindowInDays, '30') };
    case 'PutKeyPolicy':
      return { 'kms:BypassPolicyLockoutSafetyCheck': text(input.BypassPolicyLockoutSafetyCheck, 'false') };
    default:
      return {};
  }
}

function tagContext(tags: unknown): Context {
  const list = Array.isArray(tags) ? (tags as Array<{ TagKey?: unknown; TagValue?: unknown }>) : [];
  if (list.length === 0) return {};
  return {
    'aws:TagKeys': list.map((t) => text(t.TagKey, '')),
    ...Object.fromEntries(list.map((t) => [`aws:RequestTag/${String(t.TagKey)}`, text(t.TagValue, '')])),
  };
}

/** A scalar of the request as the context holds it; `fallback` (the parameter's default) when absent. */
function text(value: unknown, fallback: string): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : fallback;
}

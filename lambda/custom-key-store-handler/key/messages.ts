/**
 * The texts of key failures a user acts on: each says what happened, what state things are in
 * and what to fix. One line each, far below CloudFormation's 4,096-byte response limit.
 */
import { KEY_POLICY_MAX_BYTES } from '../../../lib/private/contract/field-rules';
import { POLICY_REFUSAL_WINDOW } from './passing-refusals';

const POLICY_RETRY_SECONDS = Math.round(POLICY_REFUSAL_WINDOW.budgetMs / 1000);

/** The two causes of a MalformedPolicyDocumentException that lasted, and what to do about each. */
const POLICY_CAUSES =
  'Either the policy names a principal that KMS cannot see yet (one created in the same deployment, such as a role the key policy grants to: IAM takes a while to show a new principal to KMS; deploy again, or create the principal in an earlier deployment), ' +
  "or the policy is malformed: check its statements and principals (each must exist), and that it lets the handler's role manage the key (KMS's policy lockout safety check); the default policy does";

/**
 * LimitExceededException: a policy over 32 KB is the cause that deploying again cannot fix, so it
 * is named first when the policy is that big; otherwise one of the account's quotas.
 */
function limitExceededHint(policyBytes: number | undefined): string {
  if (policyBytes !== undefined && policyBytes > KEY_POLICY_MAX_BYTES) {
    return `the key policy is ${policyBytes} bytes, over KMS's limit of ${KEY_POLICY_MAX_BYTES} bytes (32 KB) for a key policy document: use fewer statements, or grant through IAM policies (the default key policy lets them decide), and deploy again`;
  }
  return `the account has reached a KMS quota (keys per Region, or aliases or grants; the key policy, ${policyBytes ?? 'of unknown size'} bytes, is within the ${KEY_POLICY_MAX_BYTES}-byte limit): raise the quota or delete unused keys, and deploy again`;
}

/** What to fix for each CreateKey error specific to custom key stores. */
const CREATE_KEY_HINTS: Partial<Record<string, (store: string, xksKeyId: string | undefined, policyBytes: number | undefined) => string>> = {
  CloudHsmClusterInvalidConfigurationException: (store) =>
    `the CloudHSM cluster of custom key store ${store} does not meet KMS's requirements (at least two active HSMs in different Availability Zones, and the cluster's security group and kmsuser as KMS set them up): fix the cluster and deploy again`,
  XksKeyNotFoundException: (store, xksKeyId) =>
    `the external key manager behind custom key store ${store} has no key with id '${xksKeyId ?? ''}': create that key in the external key manager, or correct xksKeyId, and deploy again`,
  // A key pending deletion is still a KMS key of the store, so its external key stays taken until
  // the waiting period ends; CloudFormation creates a renamed or moved key before it deletes the old.
  XksKeyAlreadyInUseException: (store, xksKeyId) =>
    `external key '${xksKeyId ?? ''}' already backs another KMS key in custom key store ${store}, and each KMS key needs an external key of its own. ` +
    'The usual causes: the key construct was renamed or moved (CloudFormation creates the new key before it deletes the old one, which still holds the external key), or an earlier key with this xksKeyId is pending deletion (it holds the external key until its waiting period ends). ' +
    'Give this key a different xksKeyId; or, to keep this external key, deploy the removal of the old key first and cancel its deletion or wait out its waiting period (CancelKeyDeletion leaves it Disabled) before adding the new one',
  XksKeyInvalidConfigurationException: (store, xksKeyId) =>
    `external key '${xksKeyId ?? ''}' of custom key store ${store} cannot back a KMS key: it must be a 256-bit AES key that is enabled and allowed to encrypt and decrypt in the external key manager; fix it there and deploy again`,
  CustomKeyStoreNotFoundException: (store) =>
    `custom key store ${store} does not exist in this account and Region: check the store id (an imported store) or the order of the stack's resources`,
  MalformedPolicyDocumentException: () => `KMS rejected the key policy, also when the handler tried again for about ${POLICY_RETRY_SECONDS} s. ${POLICY_CAUSES}`,
  TagException: () => 'KMS rejected the tags: tag keys are 1-128 characters, values at most 256, and keys starting with aws: are reserved',
  LimitExceededException: (_store, _xksKeyId, policyBytes) => limitExceededHint(policyBytes),
};

/** A CreateKey that KMS refused; nothing was created. */
export function createKeyFailedMessage(errorName: string, detail: string, store: string, xksKeyId: string | undefined, policyBytes?: number): string {
  const hint = CREATE_KEY_HINTS[errorName];
  const what = hint ? hint(store, xksKeyId, policyBytes) : 'see the KMS error above';
  return `${errorName}: ${detail} (creating a KMS key in custom key store ${store}: ${what}. No key was created.)`;
}

/** The store is not CONNECTED, so KMS refuses to create keys in it. */
export function storeNotConnectedMessage(store: string, name: string | undefined, state: string): string {
  const named = name ? ` ('${name}')` : '';
  return (
    `CustomKeyStoreInvalidStateException: cannot create a KMS key in custom key store ${store}${named}, which is ${state}: KMS creates keys only in a CONNECTED store. ` +
    `No key was created. Connect the store (connected: true on its CustomKeyStore${state === 'FAILED' ? ', after fixing the cause of the failed connection' : ''}) and deploy again.`
  );
}

/**
 * A CONNECTED external key store whose proxy kept rejecting or failing CreateKey: KMS reports it as
 * CustomKeyStoreInvalidStateException, which alone would read as "not connected".
 */
export function proxyRejectedCreateKeyMessage(detail: string, store: string, name: string | undefined, retriedSeconds: number): string {
  const named = name ? ` ('${name}')` : '';
  return (
    `CustomKeyStoreInvalidStateException: ${detail} (creating a KMS key in external key store ${store}${named}, which is CONNECTED: KMS answers CreateKey so when the store's proxy rejects or fails the request. ` +
    `The handler tried again for ${retriedSeconds} s. No key was created. ` +
    "Check the proxy, then deploy again: that it accepts the proxy credential KMS holds (the store's proxyCredential; a rotation may not have reached the proxy or KMS yet), " +
    "that its authorization rules allow KMS, that proxyUriPath is the path it serves, and that the proxy and its external key manager are in service. " +
    "The proxy's logs, and KMS's XksProxyErrors metric (AWS/KMS, by ExceptionName), say which.)"
  );
}

/** What to do after an in-place update that KMS refused with these errors. */
const UPDATE_HINTS: Partial<Record<string, string>> = {
  NotFoundException: ' The key no longer exists: remove the CustomKeyStoreKey from the stack, or change its xksKeyId or store so that a new key is made.',
  KMSInvalidStateException: ' The key is pending deletion: cancel its deletion (aws kms cancel-key-deletion), then deploy again.',
  MalformedPolicyDocumentException: ` KMS kept rejecting the key policy (the handler tries PutKeyPolicy again for about ${POLICY_RETRY_SECONDS} s). ${POLICY_CAUSES}.`,
};

/** An in-place update that KMS refused part-way. */
export function updateFailedMessage(errorName: string, detail: string, keyId: string, step: string, done: readonly string[], policyBytes?: number): string {
  const applied = done.length > 0 ? `Already applied: ${done.join(', ')}; CloudFormation's rollback reverts them.` : 'Nothing was changed.';
  const hint = errorName === 'LimitExceededException' ? ` Cause: ${limitExceededHint(policyBytes)}.` : (UPDATE_HINTS[errorName] ?? '');
  return `${errorName}: ${detail} (updating KMS key ${keyId}, step ${step}. ${applied})${hint}`;
}

/**
 * A new key that could not be disabled: the context of the KMS error, which is named first.
 * `cleanupFailure` is the error of the cleanup's ScheduleKeyDeletion, when it failed too.
 */
export function disableFailedContext(keyId: string, cleanupWindowDays: number, cleanupFailure?: string): string {
  if (cleanupFailure !== undefined) {
    return (
      `disabling new KMS key ${keyId}: scheduling its deletion failed too (${cleanupFailure}), so the key is left Enabled and no stack owns it; ` +
      `schedule its deletion in KMS (aws kms schedule-key-deletion --key-id ${keyId} --pending-window-in-days ${cleanupWindowDays}), then deploy again`
    );
  }
  return `disabling new KMS key ${keyId}: the key was scheduled for deletion in ${cleanupWindowDays} days; deploy again`;
}

/** An update of a resource whose PhysicalResourceId is no KMS key id. */
export function notAKeyIdMessage(id: string | undefined): string {
  return `InvalidPhysicalResourceId: '${String(id)}' is not a KMS key id, so there is no key to update. Nothing was changed.`;
}

/** ResourceProperties (or OldResourceProperties, `where`) that break a rule: `what` says which. */
export function invalidKeyPropertiesMessage(where: string, what: string): string {
  return `InvalidKeyProperties: ${where}.${what}. Nothing was changed; fix the CustomKeyStoreKey's properties and deploy again.`;
}

export function keyPropertiesMissingMessage(where: string): string {
  return `InvalidKeyProperties: ${where} is missing. Nothing was changed.`;
}

/** ScheduleKeyDeletion refused for a reason other than the key being gone or already pending deletion. */
export function scheduleFailedMessage(errorName: string, detail: string, keyId: string, keyState: string | undefined): string {
  return `${errorName}: ${detail} (scheduling deletion of KMS key ${keyId}, which is ${keyState ?? 'in an unknown state'}. The key was not scheduled for deletion; fix the cause and delete again, or schedule its deletion in KMS.)`;
}

/** The search for a key a lost CreateKey answer may have made failed: the context of the KMS error. */
export const CREATION_SEARCH_FAILED_CONTEXT = 'looking for the key an earlier CreateKey attempt may have made; no key was created by this attempt';

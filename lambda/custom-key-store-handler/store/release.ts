/**
 * Releasing a store CloudFormation is done with, when KMS cannot delete it yet, and reclaiming it.
 *
 * KMS deletes a store only when no key is left in it, and a key pending deletion still counts
 * until its deletion date, 7-30 days away. Two stack operations delete a store that may still hold
 * keys and cannot wait that long, and neither can be helped by failing:
 * - the rollback of the store's own create: the keys the failed deploy made are scheduled for
 *   deletion (RETAIN_ON_UPDATE_OR_DELETE), and a failed delete would leave the stack in
 *   ROLLBACK_FAILED. Released only when every key left is pending deletion;
 * - the cleanup after a replacement: CloudFormation ignores a failed cleanup delete and forgets
 *   the old store without a word; its keys (retained by the keys' UpdateReplacePolicy) need it.
 *
 * Released means: renamed to `released/<stack name>/<logical id>/<store id>`, so the name is free
 * for the stack's next deploy and a person can find it (KMS stores have no tags; the name is the
 * one field every listing shows), left connected as it was (KMS removes a CloudHSM key's material
 * from the cluster only while the store is connected) and forgotten by the stack.
 *
 * A store's cluster (CloudHSM) or proxy (external) backs one store only, so a retried deploy of
 * the same stack meets CloudHsmClusterInUseException or XksProxy...InUseException: its create
 * then reclaims the store this stack's same resource released, by giving it its name back.
 */
import { CreateCustomKeyStoreCommandInput } from '@aws-sdk/client-kms';
import { errorName, explain } from '../../shared/errors';
import { StoreView } from '../../shared/store-api';
import { KeyInStore, KeyScanResult } from '../../shared/key-scanner';
import * as messages from './messages';
import { StoreSteps } from './steps';

/** The stack statuses in which a store's delete releases it instead of failing on its keys. */
const RELEASING_STATUSES: Readonly<Record<string, 'rollback' | 'cleanup'>> = {
  ROLLBACK_IN_PROGRESS: 'rollback',
  UPDATE_ROLLBACK_IN_PROGRESS: 'rollback',
  UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS: 'rollback',
  UPDATE_COMPLETE_CLEANUP_IN_PROGRESS: 'cleanup',
};

/** The errors of a create whose cluster or proxy a store already has (CreateCustomKeyStore's errors). */
const BACKING_IN_USE = new Set(['CloudHsmClusterInUseException', 'XksProxyUriInUseException', 'XksProxyUriEndpointInUseException', 'XksProxyVpcEndpointServiceInUseException']);

const RELEASED_PREFIX = 'released/';
/** CustomKeyStoreName's maximum length (KMS API model, CustomKeyStoreNameType). */
const MAX_NAME = 256;

/** The start of the names of the stores that `logicalId` of the stack `stackId` released. */
function releasedPrefix(stackId: string | undefined, logicalId: string | undefined): string {
  const stackName = (stackId ?? '').split('/')[1] ?? '';
  return `${RELEASED_PREFIX}${stackName}/${logicalId ?? ''}/`;
}

/** A released store's name; the store id at the end keeps it unique (shortened prefix if need be). */
export function releasedName(stackId: string | undefined, logicalId: string | undefined, storeId: string): string {
  return `${releasedPrefix(stackId, logicalId).slice(0, MAX_NAME - storeId.length)}${storeId}`;
}

/**
 * onEvent of a Delete: releases the store when the stack is rolling back its create (and every key
 * left is pending deletion) or cleaning up after its replacement (whatever keys are left). True
 * when released; false when the ordinary delete is to go on (no keys, another stack status, a
 * key that is not pending deletion during a rollback: that delete then fails as it always has).
 */
export async function releaseInsteadOfDelete(s: StoreSteps, store: StoreView, keys: () => Promise<KeyScanResult>): Promise<boolean> {
  const activity = await s.deps.stackStatus?.activity(s.request.event.StackId);
  const why = activity?.status === undefined ? undefined : RELEASING_STATUSES[activity.status];
  const id = store.CustomKeyStoreId ?? s.request.physicalId();
  const state = store.ConnectionState ?? 'UNKNOWN';
  // KMS renames a store only when it is CONNECTED or DISCONNECTED.
  if (why === undefined || (state !== 'CONNECTED' && state !== 'DISCONNECTED')) {
    return false;
  }
  const scan = await keys();
  if (scan.keys.length === 0 || (why === 'rollback' && scan.keys.some((k) => k.keyState !== 'PendingDeletion'))) {
    return false;
  }
  const name = releasedName(s.request.event.StackId, s.request.event.LogicalResourceId, id);
  try {
    await s.stores.update({ CustomKeyStoreId: id, NewCustomKeyStoreName: name });
  } catch (err) {
    throw explain(err, messages.stepFailedContext('release', id, store.CustomKeyStoreName, state, errorName(err)));
  }
  s.log({ step: 'released', store: id, why, name, connectionState: state, keys: scan.keys.map(describeKey).join(','), lastDeletionDate: lastDeletionDate(scan.keys) });
  return true;
}

/**
 * A create that met CloudHsmClusterInUse or XksProxy...InUse: when the store holding the cluster
 * or proxy is one this stack's same resource released, it is given the declared name (and, for an
 * external store, the declared credential) and becomes the resource's store. Undefined otherwise.
 * The kmsuser password is not sent: KMS rotated it on the store's last connect.
 */
export async function reclaimReleased(s: StoreSteps, input: CreateCustomKeyStoreCommandInput, err: unknown): Promise<string | undefined> {
  if (!BACKING_IN_USE.has(errorName(err))) {
    return undefined;
  }
  const { StackId, LogicalResourceId } = s.request.event;
  const stores = await s.stores.listAll();
  const released = [...stores.values()].find((st) => st.CustomKeyStoreId && st.CustomKeyStoreName === releasedName(StackId, LogicalResourceId, st.CustomKeyStoreId) && sameBacking(st, input));
  const id = released?.CustomKeyStoreId;
  if (!id) {
    return undefined;
  }
  try {
    await s.stores.update({
      CustomKeyStoreId: id,
      NewCustomKeyStoreName: input.CustomKeyStoreName,
      ...(input.XksProxyAuthenticationCredential ? { XksProxyAuthenticationCredential: input.XksProxyAuthenticationCredential } : {}),
    });
  } catch (e) {
    throw explain(e, messages.stepFailedContext('reclaim', id, released.CustomKeyStoreName, released.ConnectionState ?? '', errorName(e)));
  }
  s.log({ step: 'reclaimed', store: id, from: released.CustomKeyStoreName, name: input.CustomKeyStoreName });
  return id;
}

function sameBacking(store: StoreView, input: CreateCustomKeyStoreCommandInput): boolean {
  if (input.CloudHsmClusterId !== undefined) {
    return store.CloudHsmClusterId === input.CloudHsmClusterId;
  }
  const xks = store.XksProxyConfiguration;
  if (input.XksProxyVpcEndpointServiceName !== undefined && xks?.VpcEndpointServiceName === input.XksProxyVpcEndpointServiceName) {
    return true;
  }
  return xks?.UriEndpoint === input.XksProxyUriEndpoint && xks?.UriPath === input.XksProxyUriPath;
}

function describeKey(k: KeyInStore): string {
  return `${k.keyId}:${k.keyState}${k.deletionDate ? `@${k.deletionDate.toISOString()}` : ''}`;
}

export function lastDeletionDate(keys: readonly KeyInStore[]): string | undefined {
  const dates = keys.flatMap((k) => (k.deletionDate ? [k.deletionDate.getTime()] : []));
  return dates.length ? new Date(Math.max(...dates)).toISOString() : undefined;
}

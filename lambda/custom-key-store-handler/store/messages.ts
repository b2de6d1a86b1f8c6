/**
 * The texts of a custom key store's failures: each says what happened, the state the store is
 * in and what to do next, built here from values (never from sentence fragments passed down).
 *
 * Two facts of KMS shape the advice, and every hint here is written so that following it works:
 * - CloudFormation calls the handler only when the template changes. A new value stored under
 *   the same secret ARN changes nothing in the template, so it never reaches KMS: a new password
 *   or credential goes into a secret with another ARN, and the stack is pointed at it.
 * - KMS rotates kmsuser's password on every successful connect of a CloudHSM key store, so the
 *   password in the secret is a bootstrap credential: after the first connect only KMS knows the
 *   current one, and sending the old one again can never work.
 */
import { ConnectionErrorCodeType, CustomKeyStoreType } from '@aws-sdk/client-kms';
import { HEARTBEAT_MAX_AGE_MINUTES } from '../../../lib/private/contract/deferred-deletion';
import { KeyStoreError, MAX_MESSAGE_BYTES } from '../../shared/errors';
import { KeyInStore } from '../../shared/key-scanner';

const NEW_PASSWORD_SECRET =
  'put the password in a new secret (CloudFormation does not see a new value under the same secret ARN, so it would never reach KMS), point keyStorePassword at that secret and deploy';
const NEW_CREDENTIAL_SECRET =
  'put the credential the proxy issued, as JSON {"accessKeyId": "...", "secretAccessKey": "..."}, in a new secret (a new value under the same secret ARN never reaches KMS), point proxyCredential at it and deploy';

/** What to fix for each ConnectionErrorCode of a CloudHSM key store (KMS API model, CustomKeyStoresListEntry). */
const CLOUD_HSM_HINTS: Partial<Record<string, string>> = {
  [ConnectionErrorCodeType.INVALID_CREDENTIALS]: `KMS could not log in as kmsuser: the password KMS holds is not kmsuser's password in the cluster (KMS rotates it on every connect, so the secret's value is only good until the store first connects). Reset kmsuser's password in the cluster, then ${NEW_PASSWORD_SECRET}`,
  [ConnectionErrorCodeType.USER_LOCKED_OUT]: `kmsuser is locked out of the cluster after too many failed logins. Reset its password in the cluster, then ${NEW_PASSWORD_SECRET}`,
  [ConnectionErrorCodeType.USER_NOT_FOUND]: `the cluster has no kmsuser crypto user. Create kmsuser (a CU) in the cluster, then ${NEW_PASSWORD_SECRET}`,
  [ConnectionErrorCodeType.USER_LOGGED_IN]:
    "kmsuser is logged in to the cluster, which stops KMS from rotating its password and logging in. Log kmsuser out of every HSM (if you changed its password to log in, also put the new one in a new secret and point keyStorePassword at it), then deploy once with connected: false and once with connected: true",
  [ConnectionErrorCodeType.CLUSTER_NOT_FOUND]: 'KMS cannot find the CloudHSM cluster: it was deleted, or the id is wrong. Restore a cluster from a backup of this one and change clusterId to it',
  [ConnectionErrorCodeType.INSUFFICIENT_CLOUDHSM_HSMS]: 'the cluster has no active HSM: add at least one (two in different Availability Zones are recommended)',
  [ConnectionErrorCodeType.SUBNET_NOT_FOUND]:
    "a subnet of the cluster's configuration was deleted, and a cluster's subnets cannot be changed: create a cluster from a recent backup of this one (it gets a new VPC configuration), then change clusterId to the new, related cluster and deploy",
  [ConnectionErrorCodeType.INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET]: "a private subnet of the cluster has no free IP address (KMS needs one in each, two preferably): free addresses in the cluster's subnets",
  [ConnectionErrorCodeType.NETWORK_ERRORS]: "network errors keep KMS from reaching the cluster: check the cluster's security group (it must allow the cluster's own traffic) and its subnets ('How to fix a connection failure' in the KMS Developer Guide)",
  [ConnectionErrorCodeType.INTERNAL_ERROR]: 'KMS could not complete the connection because of an internal error',
};

/** What to fix for each ConnectionErrorCode of an external key store. */
const EXTERNAL_HINTS: Partial<Record<string, string>> = {
  [ConnectionErrorCodeType.INVALID_CREDENTIALS]: `the XKS proxy does not accept the proxy authentication credential KMS holds. To fix it, ${NEW_CREDENTIAL_SECRET}`,
  [ConnectionErrorCodeType.XKS_PROXY_ACCESS_DENIED]: "the XKS proxy's authorization rules deny KMS: allow KMS in the proxy's authorization configuration",
  [ConnectionErrorCodeType.XKS_PROXY_NOT_REACHABLE]: 'KMS cannot reach the XKS proxy, or the proxy reports every external key manager unavailable: check proxyUriEndpoint and proxyUriPath, DNS, and that the proxy and its key managers are up',
  [ConnectionErrorCodeType.XKS_PROXY_INVALID_CONFIGURATION]: 'a configuration error keeps KMS from the XKS proxy: check that proxyUriPath is the path the proxy serves',
  [ConnectionErrorCodeType.XKS_PROXY_INVALID_RESPONSE]: "KMS cannot read the XKS proxy's answers: check the proxy's logs and version (tell the proxy's vendor if it repeats)",
  [ConnectionErrorCodeType.XKS_PROXY_INVALID_TLS_CONFIGURATION]:
    "the XKS proxy's TLS set-up is not valid: it must support TLS 1.2 or 1.3, and its certificate must be current, match proxyUriEndpoint's host name and be signed by a public certificate authority KMS trusts",
  [ConnectionErrorCodeType.XKS_PROXY_TIMED_OUT]: "the XKS proxy did not answer KMS in time: check the proxy's health and latency (tell the proxy's vendor if it repeats)",
  [ConnectionErrorCodeType.XKS_VPC_ENDPOINT_SERVICE_NOT_FOUND]: 'KMS cannot find the VPC endpoint service: check vpcEndpointServiceName and vpcEndpointServiceOwner',
  [ConnectionErrorCodeType.XKS_VPC_ENDPOINT_SERVICE_INVALID_CONFIGURATION]:
    "the VPC endpoint service does not meet KMS's requirements: its allowed principals must include cks.kms.<region>.amazonaws.com, it must not require acceptance of connection requests, its network load balancer needs subnets in at least two Availability Zones, and its verified private DNS name must be proxyUriEndpoint's host",
  [ConnectionErrorCodeType.NETWORK_ERRORS]: 'network errors keep KMS from reaching the XKS proxy: check the network path to the proxy (for a VPC endpoint service: its load balancer, listeners and target health)',
  [ConnectionErrorCodeType.INTERNAL_ERROR]: 'KMS could not complete the connection because of an internal error',
};

export function connectionHint(type: string, code: string | undefined): string {
  const hints = type === CustomKeyStoreType.EXTERNAL_KEY_STORE ? EXTERNAL_HINTS : CLOUD_HSM_HINTS;
  return (code !== undefined ? hints[code] : undefined) ?? 'see ConnectionErrorCode in the KMS Developer Guide';
}

function label(storeId: string, name: string | undefined): string {
  return name ? `${storeId} ('${name}')` : storeId;
}

/** A store that is FAILED after a connect: the message CloudFormation shows. */
export function connectionFailedMessage(storeId: string, name: string, type: string, code: string | undefined): string {
  return (
    `CustomKeyStoreConnectionFailed: custom key store ${label(storeId, name)} failed to connect (ConnectionErrorCode ${code ?? 'unknown'}): ${connectionHint(type, code)}. ` +
    'The store exists and is FAILED. Fix the cause, then deploy again; a deployment with no change in the template does not reach the store, so to retry a fix made outside the stack, deploy once with connected: false and once with connected: true.'
  );
}

/**
 * A kmsuser password update after which KMS could not log in. KMS now holds the new password:
 * the one it held before was rotated on its last connect and cannot be restored, so the rollback
 * leaves the password as it is.
 */
export function passwordUpdateFailedMessage(storeId: string, name: string, clusterId: string, secretArn: string, code: string | undefined): string {
  return (
    `CustomKeyStoreConnectionFailed: after the kmsuser password update, custom key store ${label(storeId, name)} failed to connect to cluster ${clusterId} (ConnectionErrorCode ${code ?? 'unknown'}). ` +
    `KMS now holds the password from secret ${secretArn}; the password it held before was rotated by KMS on its last connect and cannot be sent again, so CloudFormation's rollback leaves the password as it is and the store DISCONNECTED. ` +
    `The store is FAILED. To fix it: set kmsuser's password in the cluster to the value of secret ${secretArn} (or ${NEW_PASSWORD_SECRET.replace('put the password', "put kmsuser's current password")}), then deploy this change again.`
  );
}

/** The update had to wait for DISCONNECTED before sending a value KMS never shows; it did not come in time. */
export function disconnectTimedOutMessage(storeId: string, name: string, fields: string, seconds: number, state: string, reconnecting: boolean): string {
  return (
    `DisconnectTimedOut: custom key store ${label(storeId, name)} did not reach DISCONNECTED within ${seconds} s, so ${fields} was not updated (KMS changes it only while the store is disconnected, and never shows it, so it is sent exactly once, from here). ` +
    `The store is ${state}${reconnecting ? ' and is being reconnected with its previous settings' : ''}; nothing else was changed. Deploy again; if disconnecting keeps taking this long, disconnect the store (connected: false) in one deployment and change ${fields} in the next.`
  );
}

/**
 * The delete-blocked message. It begins with the KMS exception name so pipelines can match it,
 * and lists as many keys as fit under the message cap.
 */
function hasKeysMessage(storeId: string, name: string | undefined, type: string | undefined, keys: readonly KeyInStore[], unreadable: readonly string[], stateNow: string, stateNote: string, deferral?: string): string {
  const head = `CustomKeyStoreHasCMKsException: custom key store ${label(storeId, name)} still holds ${keys.length} KMS key${keys.length === 1 ? '' : 's'}, so it was not deleted: `;
  const unreadableNote =
    unreadable.length > 0 ? ` The handler's role could not read ${unreadable.length} more key${unreadable.length === 1 ? '' : 's'} of the account (their key policies deny it kms:DescribeKey), which may be in the store too: ${listIds(unreadable, 600)}.` : '';
  // Keys that are all pending deletion only need time: deferred deletion lets the stack finish now.
  const allPending = keys.length > 0 && unreadable.length === 0 && keys.every((k) => k.keyState === 'PendingDeletion');
  const deferralNote = deferral ?? (allPending ? DEFERRAL_ADVICE : '');
  const tail = `. The store is ${stateNow}${stateNote}.${unreadableNote} ${deleteAdvice(type)}${deferralNote}`;
  return head + listKeys(keys, MAX_MESSAGE_BYTES - Buffer.byteLength(head + tail, 'utf8') - 40) + tail;
}

/** How to have a delete that waits only for keys pending deletion finish now. */
const DEFERRAL_ADVICE =
  ' Or let the stack finish now: deploy a CustomKeyStoreJanitor once in this account and Region (in a long-lived stack) and set deferDeletion: true on this store; the janitor then deletes it once the keys are gone.';

/** deferDeletion is on, but no janitor has run lately: the store was not handed over. */
export function noJanitorAdvice(lastHeartbeat: Date | undefined): string {
  const seen = lastHeartbeat ? `its last run was at ${lastHeartbeat.toISOString()}` : 'none has ever run';
  return ` deferDeletion is on, but no CustomKeyStoreJanitor has run in this account and Region in the last ${HEARTBEAT_MAX_AGE_MINUTES} minutes (${seen}), so the store was not handed over: deploy one (or fix the one whose schedule stopped) and delete the stack again.`;
}

/** hasKeysMessage as the error a delete throws. */
export function hasKeysError(storeId: string, store: { CustomKeyStoreName?: string; CustomKeyStoreType?: string }, scan: { keys: readonly KeyInStore[]; unreadable: readonly string[] }, stateNow: string, stateNote: string, deferral?: string): KeyStoreError {
  return new KeyStoreError(hasKeysMessage(storeId, store.CustomKeyStoreName, store.CustomKeyStoreType, scan.keys, scan.unreadable, stateNow, stateNote, deferral));
}

/** What a failed delete says of the store's state after "The store is <state>": the delete changed nothing. */
export const UNCHANGED_BY_DELETE_NOTE = ', as it was before the delete; nothing was changed';
/** The store is in the state it was in before the delete. */
export const AS_BEFORE_DELETE_NOTE = ', as it was before the delete';
/** The store was disconnected for the delete and is being put back. */
export const RECONNECTING_AFTER_DELETE_NOTE = ' again: it was DISCONNECTED for the delete and is being reconnected, as it was before';
/** A store FAILED before the delete is left DISCONNECTED: KMS has no way back to FAILED. */
export const FAILED_BEFORE_DELETE_NOTE = ' (it was FAILED before the delete and cannot be put back in that state)';

/** The store was connected before the delete, and the reconnect after a refused delete failed. */
export function reconnectFailedNote(prior: string | undefined, connectionErrorCode: string | undefined): string {
  return ` (it was ${prior ?? ''} before the delete; reconnecting failed with ${connectionErrorCode ?? 'an unknown error'})`;
}

/** KMS refused the delete for keys, and none the handler can read is in the store: the unreadable ones are. */
export function unreadableKeysMessage(storeId: string, name: string | undefined, type: string | undefined, unreadable: readonly string[], stateNow: string): string {
  return (
    `CustomKeyStoreHasCMKsException: KMS refused to delete custom key store ${label(storeId, name)} because KMS keys remain in it. None of the keys the handler's role can read is in the store, ` +
    `but ${unreadable.length} key${unreadable.length === 1 ? '' : 's'} of the account could not be read (their key policies deny the role kms:DescribeKey), so the remaining keys are among them: ${listIds(unreadable, 1500)}. ` +
    `The store is ${stateNow}. Ask the keys' administrators which of them are in this store (or allow the handler's role kms:DescribeKey in their key policies). ${deleteAdvice(type)}`
  );
}

function deleteAdvice(type: string | undefined): string {
  const cloudHsm =
    type === CustomKeyStoreType.AWS_CLOUDHSM
      ? 'keep the store connected while they wait (KMS deletes the key material from the cluster only while it is connected), '
      : '';
  return `To delete the store: schedule deletion of every key in it (kms:ScheduleKeyDeletion), ${cloudHsm}wait until their deletion dates pass (keys pending deletion still count), then delete the stack again. To keep the store, set removalPolicy to RETAIN.`;
}

function listKeys(keys: readonly KeyInStore[], budget: number): string {
  const parts: string[] = [];
  let used = 0;
  for (const key of keys) {
    const part = key.deletionDate ? `${key.keyId} (${key.keyState}, deleted on ${key.deletionDate.toISOString()})` : `${key.keyId} (${key.keyState})`;
    if (used + part.length + 2 > budget) {
      break;
    }
    parts.push(part);
    used += part.length + 2;
  }
  const more = keys.length - parts.length;
  return parts.join(', ') + (more > 0 ? ` and ${more} more` : '');
}

function listIds(ids: readonly string[], budget: number): string {
  const shown: string[] = [];
  let used = 0;
  for (const id of ids) {
    if (used + id.length + 2 > budget) {
      break;
    }
    shown.push(id);
    used += id.length + 2;
  }
  const more = ids.length - shown.length;
  return shown.join(', ') + (more > 0 ? ` and ${more} more` : '');
}

export function storeGoneMessage(storeId: string, name: string, during: 'update' | 'wait'): string {
  return during === 'update'
    ? `CustomKeyStoreNotFoundException: custom key store ${label(storeId, name)} no longer exists, so it cannot be updated; nothing was changed. Remove the CustomKeyStore from the stack (or change its name to create a new store) and deploy again.`
    : `CustomKeyStoreNotFoundException: custom key store ${label(storeId, name)} disappeared while waiting for it; something outside this stack deleted it. Remove the CustomKeyStore from the stack, or change its name to create a new store, and deploy again.`;
}

export function replacementNeedsNewNameMessage(storeId: string, name: string, what: string): string {
  return (
    `ReplacementNeedsNewName: changing the ${what} of custom key store ${label(storeId, name)} needs a new store, and store names are unique in an account and Region, so the new store needs a new customKeyStoreName. Nothing was changed. ` +
    'Change customKeyStoreName as well and deploy again; CloudFormation then deletes the old store once the new one is in place.'
  );
}

export function replacementNeedsNewClusterMessage(storeId: string, name: string, clusterId: string): string {
  return (
    `ReplacementNeedsNewCluster: a new trust anchor certificate needs a new store, and a new CloudHSM key store needs a cluster that no other store uses and that shares no backup history with one; cluster ${clusterId} backs custom key store ${label(storeId, name)} until CloudFormation deletes it after the replacement, so KMS would refuse with CloudHsmClusterInUseException. Nothing was changed. ` +
    'Use a cluster initialized on its own (not restored from a backup of this one: a new trust anchor means a newly initialized cluster anyway), then change clusterId, trustAnchorCertificate and customKeyStoreName together and deploy again.'
  );
}

export function connectivitySwitchMessage(storeId: string, name: string, from: string, to: string, endpoint: string): string {
  return (
    `InvalidConnectivityChange: custom key store ${label(storeId, name)} would change XksProxyConnectivity from ${from} to ${to} with the same proxyUriEndpoint (${endpoint}); KMS requires a new XksProxyUriEndpoint with a change of connectivity. Nothing was changed. ` +
    `Give the proxy its ${to === 'VPC_ENDPOINT_SERVICE' ? "VPC endpoint service's private DNS name" : 'public host name'} as proxyUriEndpoint and deploy again.`
  );
}

export function adoptRefusedMessage(storeId: string, name: string, createdAt: string): string {
  return (
    `CustomKeyStoreAlreadyExists: KMS answered the create of '${name}' with custom key store ${storeId}, which already existed (made ${createdAt}) with the same name, cluster and trust anchor. It was not made by this stack, so the stack will not take it over (it would delete it later). Nothing was changed. ` +
    'Choose another customKeyStoreName, or refer to that store with CustomKeyStore.fromCustomKeyStoreId.'
  );
}

/** An update that needed the store disconnected failed: the store goes back in service as it was. */
export function reconnectingAfterFailedUpdate(failure: string): string {
  return `${failure} The store is being reconnected with its previous settings; CloudFormation will roll the stack back.`;
}

export function waitTimedOutMessage(storeId: string, operation: string, minutes: number, state: string): string {
  return (
    `WaitTimedOut: custom key store ${storeId} did not reach the state this ${operation} needs within ${minutes} minutes; it is ${state}. ` +
    'KMS may still finish the step. Check the store in the KMS console, then retry the deployment; raise waitTimeout if connecting legitimately takes longer.'
  );
}

/** A wrapped KMS error, with the context of the step that failed. */
export function stepFailedContext(step: 'create' | 'update' | 'delete' | 'disconnect' | 'connect' | 'release' | 'reclaim' | 'hand-over', storeId: string, name: string | undefined, state: string, errorName: string): string {
  switch (step) {
    case 'create':
      return `creating custom key store '${name ?? ''}'; no store was created. ${createAdvice(errorName)}`;
    case 'update':
      return `updating custom key store ${label(storeId, name)}, which is ${state}; the update was not applied. ${updateAdvice(errorName)}`;
    case 'delete':
      return `deleting custom key store ${storeId}, which is ${state}; it was not deleted. Delete the stack again once the cause is fixed`;
    case 'disconnect':
      return `disconnecting custom key store ${storeId}; its connection state did not change`;
    case 'release':
      return `releasing custom key store ${label(storeId, name)}, which is ${state} and still holds keys, by renaming it; it was neither renamed nor deleted. Fix the cause and retry the stack operation`;
    case 'hand-over':
      return `handing custom key store ${label(storeId, name)}, which is ${state} and holds only keys pending deletion, to the janitor by renaming it; it was not renamed (its registry entry is written, and the janitor leaves a store that keeps its name). Fix the cause and delete the stack again`;
    case 'reclaim':
      return `taking back custom key store ${label(storeId, name)}, which an earlier rollback of this stack released, by renaming it; it keeps its released name. Fix the cause (e.g. free the declared name) and deploy again`;
    case 'connect':
      return `connecting custom key store ${storeId}; it stays ${state}. ${errorName === 'CloudHsmClusterNotActiveException' ? 'Activate the cluster and deploy again.' : 'Fix the cause and deploy again.'}`;
  }
}

function createAdvice(name: string): string {
  switch (name) {
    case 'CustomKeyStoreNameInUseException':
      return 'Another custom key store in this account and Region has this name: choose another customKeyStoreName.';
    case 'CustomKeyStoresLimitExceededException':
    case 'LimitExceededException':
      return 'The account already has 10 custom key stores in this Region (the quota counts every type and state): delete one first.';
    case 'XksProxyUriInUseException':
    case 'XksProxyVpcEndpointServiceInUseException':
      return 'Another external key store in this account and Region already uses this proxy endpoint and path (or VPC endpoint service): each proxy URI and endpoint service serves one store.';
    case 'XksProxyUriEndpointInUseException':
      return 'Another external key store in this account and Region already uses this proxyUriEndpoint: a store with VPC endpoint service connectivity needs an endpoint (the private DNS name of its VPC endpoint service) of its own, whatever the path. Give this store its own endpoint, or delete the other store first.';
    case 'CloudHsmClusterNotFoundException':
    case 'CloudHsmClusterInUseException':
    case 'CloudHsmClusterNotActiveException':
    case 'CloudHsmClusterInvalidConfigurationException':
    case 'IncorrectTrustAnchorException':
      return 'Fix the CloudHSM cluster (it must be active, unused by another store, with two active HSMs in different Availability Zones and the trust anchor of customerCA.crt) and deploy again.';
    default:
      return proxyCheckAdvice(name, 'create') ?? 'Fix the cause and deploy again.';
  }
}

function updateAdvice(name: string): string {
  switch (name) {
    case 'CloudHsmClusterNotRelatedException':
      return 'The new cluster must share the backup lineage of the old one; to move to an unrelated cluster, declare a new store.';
    case 'CustomKeyStoreNameInUseException':
      return 'Another custom key store has the new name: choose another customKeyStoreName.';
    case 'XksProxyIncorrectAuthenticationCredentialException':
      return 'The XKS proxy refused the new credential, so KMS kept the old one: make the proxy accept the new credential first (keep the old one valid until KMS has switched), then deploy again.';
    default:
      return proxyCheckAdvice(name, 'update') ?? 'Fix the cause and deploy again.';
  }
}

/**
 * KMS checks an external key store's proxy before it creates the store or changes its proxy
 * settings (CreateCustomKeyStore and UpdateCustomKeyStore in the kms model), so these refusals
 * come before the store exists or the change is made. Unreachable and invalid response can be a
 * passing condition of the proxy: the handler retried them within waitTimeout before giving up.
 */
function proxyCheckAdvice(name: string, step: 'create' | 'update'): string | undefined {
  const why = step === 'create' ? 'KMS checks the proxy before it creates an external key store, even one declared connected: false, so the proxy must be in service first' : 'KMS checks the proxy with the new settings before it applies them';
  switch (name) {
    case 'XksProxyUriUnreachableException':
      return `${why}: it could not reach proxyUriEndpoint + proxyUriPath, or the proxy's GetHealthStatus said every external key manager is unavailable. The handler retried for up to waitTimeout. Put the proxy in service (DNS name, TLS certificate, network path or VPC endpoint service, at least one external key manager available), then deploy again.`;
    case 'XksProxyInvalidResponseException':
      return `${why}: it could not interpret the proxy's answer, which a passing network problem can cause; the handler retried for up to waitTimeout. If it persists, check the proxy's logs and report it to the proxy vendor, then deploy again.`;
    case 'XksProxyInvalidConfigurationException':
      return `${why}: the proxy is not configured correctly (KMS's text above names the problem; a proxyUriPath other than the path the proxy serves is a common one). Fix the proxy or proxyUriPath, then deploy again.`;
    case 'XksProxyIncorrectAuthenticationCredentialException':
      return `${why}: the proxy rejected the credential in proxyCredential's secret (or the endpoint is not this store's proxy). Make the proxy accept that credential, or ${NEW_CREDENTIAL_SECRET}.`;
    case 'XksProxyVpcEndpointServiceNotFoundException':
      return `${why}: KMS could not find the VPC endpoint service. Check vpcEndpointServiceName (and vpcEndpointServiceOwner), and that the service's allowed principals include cks.kms.<region>.amazonaws.com, then deploy again.`;
    case 'XksProxyVpcEndpointServiceInvalidConfigurationException':
      return `${why}: the VPC endpoint service does not meet the requirements for an external key store (KMS's text above names the problem): a verified private DNS name equal to proxyUriEndpoint, acceptance not required, the KMS service principal allowed, a Network Load Balancer in at least two Availability Zones. Fix it, then deploy again.`;
    default:
      return undefined;
  }
}

/** The store's state in words for messages; DescribeCustomKeyStores may omit it. */
export function stateName(state: string | undefined): string {
  return state ?? 'in an unknown state';
}

// ---- Adoption (adopt.ts, release.ts) ---------------------------------------------------------------

export function adoptionMismatchMessage(storeId: string, name: string, state: string, differences: readonly string[]): string {
  return (
    `AdoptionMismatch: custom key store ${label(storeId, name)} exists, but it is not the store declared: ${differences.join('; ')}. ` +
    `Nothing was changed; the store is ${state}. Declare the store as it is (or change it outside the stack first), or choose another customKeyStoreName for a new store.`
  );
}

export function adoptionCredentialNote(shown: string, declared: string): string {
  return `the proxy credential's access key id is ${shown}, the declared secret holds ${declared} (KMS never shows the secret access key: set adoptSendsSecrets to send the declared credential)`;
}

export function adoptionUndecidedMessage(storeId: string, stackError: string): string {
  return (
    `AdoptionUndecided: custom key store ${storeId} was adopted by this stack, and the stack's status could not be read (${stackError}), so the handler cannot tell a rollback (the store is given back) from a delete (the removal policy applies). ` +
    'Nothing was changed. Allow cloudformation:DescribeStacks on the stack to the handler role, then retry.'
  );
}

/**
 * The texts of the failures a user acts on: keys that block a delete, and a store that failed to
 * connect. Each says what happened, the state the store is in and what to do next.
 */
import { MAX_MESSAGE_BYTES } from './errors';
import { KeyInStore } from './key-scanner';

/** One line per ConnectionErrorCode: what to fix before connecting again. */
const CONNECTION_HINTS: Record<string, string> = {
  INVALID_CREDENTIALS: "the kmsuser password KMS holds is not the kmsuser password in the cluster: put the right password in the secret and deploy with the secret changed, or reset kmsuser's password in the cluster",
  CLUSTER_NOT_FOUND: 'KMS cannot find the CloudHSM cluster: check the cluster id and that the cluster was not deleted',
  NETWORK_ERRORS: "KMS cannot reach the cluster: check the cluster's security group and subnets (see 'Fix a failed connection' in the KMS Developer Guide)",
  INTERNAL_ERROR: 'KMS could not complete the request because of an internal error: deploy again',
  INSUFFICIENT_CLOUDHSM_HSMS: 'the cluster has no active HSMs: add at least one HSM (two in different Availability Zones are recommended)',
  USER_LOCKED_OUT: 'kmsuser is locked out of the cluster: reset its password in the cluster, update the secret, and deploy again',
  USER_NOT_FOUND: 'the cluster has no kmsuser crypto user: create kmsuser (a CU) with the password in the secret',
  USER_LOGGED_IN: 'kmsuser is logged in to the cluster, which blocks KMS: log it out of every HSM',
  SUBNET_NOT_FOUND: "a subnet of the cluster's configuration was deleted: fix the cluster's subnets",
  INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET: "a private subnet of the cluster has no free addresses: free or add addresses",
  XKS_PROXY_ACCESS_DENIED: 'the XKS proxy rejected the request: check the proxy credential in the secret and the proxy\'s authorization rules',
  XKS_PROXY_NOT_REACHABLE: 'KMS cannot reach the XKS proxy: check the endpoint, DNS and the proxy\'s availability',
  XKS_VPC_ENDPOINT_SERVICE_NOT_FOUND: 'KMS cannot find the VPC endpoint service: check its name and owner, and that KMS is an allowed principal',
  XKS_PROXY_INVALID_RESPONSE: 'the XKS proxy answered with something KMS cannot read: check the proxy\'s logs and version',
  XKS_PROXY_INVALID_CONFIGURATION: 'the XKS proxy is misconfigured: check the URI path and the proxy\'s configuration',
  XKS_VPC_ENDPOINT_SERVICE_INVALID_CONFIGURATION: 'the VPC endpoint service is misconfigured: check acceptance settings, the private DNS name and its Availability Zones',
  XKS_PROXY_TIMED_OUT: 'the XKS proxy did not answer in time: check its health and latency',
  XKS_PROXY_INVALID_TLS_CONFIGURATION: 'the XKS proxy\'s TLS certificate is not trusted or does not match the endpoint: fix the certificate',
};

export function connectionHint(code: string | undefined): string {
  return (code && CONNECTION_HINTS[code]) ?? 'see the ConnectionErrorCode in the KMS Developer Guide';
}

/** A store that is FAILED after a connect: the message CloudFormation shows. */
export function connectionFailedMessage(storeId: string, name: string, code: string | undefined): string {
  return (
    `CustomKeyStoreConnectionFailed: custom key store ${storeId} ('${name}') failed to connect (ConnectionErrorCode ${code ?? 'unknown'}): ${connectionHint(code)}. ` +
    'The store exists and is FAILED. Fix the cause and deploy again; to retry without other changes, deploy once with connected: false and once with connected: true.'
  );
}

/**
 * The delete-blocked message. It begins with the KMS exception name so pipelines can match it,
 * and lists as many keys as fit under the message cap.
 */
export function hasKeysMessage(storeId: string, name: string | undefined, keys: readonly KeyInStore[], stateNow: string, stateNote: string): string {
  const label = name ? `${storeId} ('${name}')` : storeId;
  const head = `CustomKeyStoreHasCMKsException: custom key store ${label} still holds ${keys.length} KMS key${keys.length === 1 ? '' : 's'}, so it was not deleted: `;
  const tail =
    `. The store is ${stateNow}${stateNote}. ` +
    'To delete it: schedule deletion of every key in it (kms:ScheduleKeyDeletion), wait until the deletion dates pass (keys pending deletion still count), then delete the stack again. ' +
    'To keep the store, set removalPolicy to RETAIN.';
  const budget = MAX_MESSAGE_BYTES - Buffer.byteLength(head + tail, 'utf8') - 40;
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
  return head + parts.join(', ') + (more > 0 ? ` and ${more} more` : '') + tail;
}

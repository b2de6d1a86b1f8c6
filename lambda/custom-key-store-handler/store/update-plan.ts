/**
 * What an update from the old properties to the new ones must do: nothing, an in-place change, a
 * change that needs the store disconnected, or a new store; and how the store's state and the kind
 * of update (a rollback) narrow that plan.
 */
import { ConnectionStateType } from '@aws-sdk/client-kms';
import { DesiredStore } from './desired';

/** What an update from `old` to `desired` has to do. */
export interface UpdatePlan {
  /** The type or trust anchor changed: KMS cannot change them, so a new store is needed. */
  readonly replace: boolean;
  readonly nameChanged: boolean;
  /** Fields KMS changes while the store is CONNECTED or DISCONNECTED. */
  readonly online: readonly string[];
  /** Fields KMS changes only while the store is DISCONNECTED. */
  readonly offline: readonly string[];
  readonly connectedChanged: boolean;
}

/**
 * Fields DescribeCustomKeyStores never shows. Re-sending them is not harmless (a kmsuser password
 * that KMS has since rotated away breaks the store), so the handler sends them exactly once, from
 * onEvent, and never guesses from a read whether they were applied.
 */
export const UNOBSERVABLE_FIELDS: ReadonlySet<string> = new Set(['KeyStorePassword', 'XksProxyVpcEndpointServiceOwner']);

/** The fields that decide which XKS proxy KMS talks to, and with which credential. */
const XKS_CONNECTION_FIELDS: ReadonlySet<string> = new Set([
  'XksProxyUriEndpoint',
  'XksProxyUriPath',
  'XksProxyConnectivity',
  'XksProxyVpcEndpointServiceName',
  'XksProxyVpcEndpointServiceOwner',
  'XksProxyAuthenticationCredential',
]);

/** States in which KMS lets UpdateCustomKeyStore change the name, the XKS path and the credential. */
const ONLINE_UPDATE_STATES: ReadonlySet<string> = new Set([ConnectionStateType.CONNECTED, ConnectionStateType.DISCONNECTED]);

/**
 * `sameIdentity`: the store already has the desired type and trust anchor, whatever the old
 * properties say. That is the case when CloudFormation rolls back an update that failed before
 * replacing anything: the rollback must then be an in-place update, not a second failure.
 */
export function planUpdate(old: DesiredStore, desired: DesiredStore, sameIdentity = false): UpdatePlan {
  const nameChanged = old.name !== desired.name;
  const online: string[] = nameChanged ? ['CustomKeyStoreName'] : [];
  const offline: string[] = [];
  const connectedChanged = old.connected !== desired.connected;
  const changed = (label: string, a: string | undefined, b: string | undefined, into: string[]): void => {
    if (a !== b) {
      into.push(label);
    }
  };
  if (old.type !== desired.type) {
    return { replace: !sameIdentity, nameChanged, online, offline, connectedChanged };
  }
  if (old.cloudHsm && desired.cloudHsm) {
    if (!sameIdentity && !samePem(old.cloudHsm.trustAnchorCertificate, desired.cloudHsm.trustAnchorCertificate)) {
      return { replace: true, nameChanged, online, offline, connectedChanged };
    }
    changed('CloudHsmClusterId', old.cloudHsm.clusterId, desired.cloudHsm.clusterId, offline);
    changed('KeyStorePassword', old.cloudHsm.passwordSecretArn, desired.cloudHsm.passwordSecretArn, offline);
  }
  if (old.external && desired.external) {
    const [a, b] = [old.external, desired.external];
    changed('XksProxyUriEndpoint', a.uriEndpoint, b.uriEndpoint, offline);
    changed('XksProxyConnectivity', a.connectivity, b.connectivity, offline);
    changed('XksProxyVpcEndpointServiceName', a.vpcEndpointServiceName, b.vpcEndpointServiceName, offline);
    changed('XksProxyVpcEndpointServiceOwner', a.vpcEndpointServiceOwner, b.vpcEndpointServiceOwner, offline);
    changed('XksProxyUriPath', a.uriPath, b.uriPath, online);
    changed('XksProxyAuthenticationCredential', a.credentialSecretArn, b.credentialSecretArn, online);
  }
  return { replace: false, nameChanged, online, offline, connectedChanged };
}

/**
 * The plan as the store's state at the start of the update allows it: in FAILED, CONNECTING or
 * DISCONNECTING KMS changes nothing at all, so every change waits for DISCONNECTED.
 */
export function planForState(plan: UpdatePlan, state: string | undefined): UpdatePlan {
  if (plan.online.length === 0 || (state !== undefined && ONLINE_UPDATE_STATES.has(state))) {
    return plan;
  }
  return { ...plan, online: [], offline: [...plan.offline, ...plan.online] };
}

/** A rollback never sends a kmsuser password again: KMS rotated it away on the store's last connect. */
export function withoutPassword(plan: UpdatePlan): UpdatePlan {
  return { ...plan, offline: plan.offline.filter((f) => f !== 'KeyStorePassword') };
}

export function hasUnobservable(plan: UpdatePlan): boolean {
  return plan.offline.some((f) => UNOBSERVABLE_FIELDS.has(f));
}

/** The update changes which proxy KMS reaches or how it signs in: KMS takes up to five minutes to use it. */
export function changesXksConnection(plan: UpdatePlan): boolean {
  return [...plan.online, ...plan.offline].some((f) => XKS_CONNECTION_FIELDS.has(f));
}

/** Certificates compared without their line breaks and surrounding white space. */
export function samePem(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.replace(/\s+/g, '') === b.replace(/\s+/g, '');
}

/**
 * Reads ResourceProperties (every scalar a string) into the store the stack asks for, and works
 * out what an update must do: nothing, an in-place change, a change that needs the store
 * disconnected, or a new store.
 */
import { ConnectionStateType, CustomKeyStoreType, XksProxyConnectivityType } from '@aws-sdk/client-kms';
import * as rules from '../../../lib/private/contract/field-rules';
import { DEFAULT_WAIT_SECONDS, KeyStoreResourceProperties, MAX_WAIT_SECONDS, MIN_WAIT_SECONDS } from '../../../lib/private/contract/resource-properties';
import { KeyStoreError } from '../../shared/errors';
import { malformedEventMessage } from '../messages';

export interface CloudHsmSettings {
  readonly clusterId: string;
  readonly trustAnchorCertificate: string;
  readonly passwordSecretArn: string;
}

export interface ExternalSettings {
  readonly uriEndpoint: string;
  readonly uriPath: string;
  readonly connectivity: XksProxyConnectivityType;
  readonly vpcEndpointServiceName?: string;
  readonly vpcEndpointServiceOwner?: string;
  readonly credentialSecretArn: string;
}

export interface DesiredStore {
  readonly name: string;
  readonly type: CustomKeyStoreType;
  readonly cloudHsm?: CloudHsmSettings;
  readonly external?: ExternalSettings;
  readonly connected: boolean;
  readonly waitTimeoutSeconds: number;
}

/** Parses and checks one ResourceProperties object; `which` names it in messages. */
export function parseDesiredStore(raw: unknown, which: string): DesiredStore {
  if (typeof raw !== 'object' || raw === null) {
    throw malformed(`${which} is missing`);
  }
  const props = raw as Partial<Record<keyof KeyStoreResourceProperties, unknown>>;
  const text = (key: keyof KeyStoreResourceProperties, rule?: rules.FieldRule): string => {
    const value = props[key];
    if (typeof value !== 'string' || value.length === 0) {
      throw malformed(`${which}.${key} is missing`);
    }
    checkRule(`${which}.${key}`, value, rule);
    return value;
  };
  const optional = (key: keyof KeyStoreResourceProperties, rule?: rules.FieldRule): string | undefined =>
    props[key] === undefined || props[key] === '' ? undefined : text(key, rule);

  const name = text('CustomKeyStoreName', rules.CUSTOM_KEY_STORE_NAME);
  const type = text('CustomKeyStoreType');
  const connected = parseBoolean(`${which}.Connected`, text('Connected'));
  const waitTimeoutSeconds = parseWait(`${which}.WaitTimeoutSeconds`, optional('WaitTimeoutSeconds'));

  if (type === CustomKeyStoreType.AWS_CLOUDHSM) {
    return {
      name,
      type,
      connected,
      waitTimeoutSeconds,
      cloudHsm: {
        clusterId: text('CloudHsmClusterId', rules.CLOUD_HSM_CLUSTER_ID),
        trustAnchorCertificate: text('TrustAnchorCertificate', rules.TRUST_ANCHOR_CERTIFICATE),
        passwordSecretArn: text('KeyStorePasswordSecretArn'),
      },
    };
  }
  if (type === CustomKeyStoreType.EXTERNAL_KEY_STORE) {
    const connectivity = text('XksProxyConnectivity');
    if (connectivity !== XksProxyConnectivityType.PUBLIC_ENDPOINT && connectivity !== XksProxyConnectivityType.VPC_ENDPOINT_SERVICE) {
      throw malformed(`${which}.XksProxyConnectivity is '${rules.abbreviate(connectivity)}'; expected ${XksProxyConnectivityType.PUBLIC_ENDPOINT} or ${XksProxyConnectivityType.VPC_ENDPOINT_SERVICE}`);
    }
    const vpc = connectivity === XksProxyConnectivityType.VPC_ENDPOINT_SERVICE;
    return {
      name,
      type,
      connected,
      waitTimeoutSeconds,
      external: {
        uriEndpoint: text('XksProxyUriEndpoint', rules.XKS_PROXY_URI_ENDPOINT),
        uriPath: text('XksProxyUriPath', rules.XKS_PROXY_URI_PATH),
        connectivity,
        vpcEndpointServiceName: vpc ? text('XksProxyVpcEndpointServiceName', rules.XKS_VPC_ENDPOINT_SERVICE_NAME) : undefined,
        vpcEndpointServiceOwner: vpc ? optional('XksProxyVpcEndpointServiceOwner', rules.XKS_VPC_ENDPOINT_SERVICE_OWNER) : undefined,
        credentialSecretArn: text('XksProxyCredentialSecretArn'),
      },
    };
  }
  throw malformed(`${which}.CustomKeyStoreType is '${rules.abbreviate(type)}'; expected ${CustomKeyStoreType.AWS_CLOUDHSM} or ${CustomKeyStoreType.EXTERNAL_KEY_STORE}`);
}

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

function checkRule(label: string, value: string, rule: rules.FieldRule | undefined): void {
  const problem = rule ? rules.describeViolation(value, rule) : undefined;
  if (problem) {
    throw malformed(`${label}: ${problem}; expected ${rule?.rule}`);
  }
}

function parseBoolean(label: string, value: string): boolean {
  if (value === 'true') {
    return true;
  }
  if (value === 'false') {
    return false;
  }
  throw malformed(`${label} is '${rules.abbreviate(value)}'; expected 'true' or 'false'`);
}

function parseWait(label: string, value: string | undefined): number {
  if (value === undefined) {
    return DEFAULT_WAIT_SECONDS;
  }
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < MIN_WAIT_SECONDS || seconds > MAX_WAIT_SECONDS) {
    throw malformed(`${label} is '${rules.abbreviate(value)}'; expected a whole number of seconds from ${MIN_WAIT_SECONDS} to ${MAX_WAIT_SECONDS}`);
  }
  return seconds;
}

function malformed(what: string): KeyStoreError {
  return new KeyStoreError(malformedEventMessage(what));
}

/**
 * Reads ResourceProperties (every scalar a string) into the store the stack asks for, and works
 * out what an update must do: nothing, an in-place change, a change that needs the store
 * disconnected, or a new store.
 */
import * as rules from '../lib/private/contract/field-rules';
import {
  CLOUD_HSM,
  DEFAULT_WAIT_SECONDS,
  EXTERNAL_KEY_STORE,
  KeyStoreResourceProperties,
  MAX_WAIT_SECONDS,
  MIN_WAIT_SECONDS,
  PUBLIC_ENDPOINT,
  VPC_ENDPOINT_SERVICE,
} from '../lib/private/contract/resource-properties';
import { KeyStoreError } from './errors';

export interface CloudHsmSettings {
  readonly clusterId: string;
  readonly trustAnchorCertificate: string;
  readonly passwordSecretArn: string;
}

export interface ExternalSettings {
  readonly uriEndpoint: string;
  readonly uriPath: string;
  readonly connectivity: string;
  readonly vpcEndpointServiceName?: string;
  readonly vpcEndpointServiceOwner?: string;
  readonly credentialSecretArn: string;
}

export interface DesiredStore {
  readonly name: string;
  readonly type: string;
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

  if (type === CLOUD_HSM) {
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
  if (type === EXTERNAL_KEY_STORE) {
    const connectivity = text('XksProxyConnectivity');
    if (connectivity !== PUBLIC_ENDPOINT && connectivity !== VPC_ENDPOINT_SERVICE) {
      throw malformed(`${which}.XksProxyConnectivity is '${rules.abbreviate(connectivity)}'; expected ${PUBLIC_ENDPOINT} or ${VPC_ENDPOINT_SERVICE}`);
    }
    const vpc = connectivity === VPC_ENDPOINT_SERVICE;
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
  throw malformed(`${which}.CustomKeyStoreType is '${rules.abbreviate(type)}'; expected ${CLOUD_HSM} or ${EXTERNAL_KEY_STORE}`);
}

/** What an update from `old` to `desired` has to do. */
export interface UpdatePlan {
  /** The type or trust anchor changed: KMS cannot change them, so a new store is needed. */
  readonly replace: boolean;
  readonly nameChanged: boolean;
  /** Fields KMS changes while the store is connected. */
  readonly online: readonly string[];
  /** Fields KMS changes only while the store is DISCONNECTED. */
  readonly offline: readonly string[];
  readonly connectedChanged: boolean;
}

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
  return new KeyStoreError(`Malformed event: ${what}. No KMS call was made. The resource properties come from the CustomKeyStore construct; synthesize the stack again with this library rather than editing the template.`);
}

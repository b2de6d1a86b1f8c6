/**
 * Reads ResourceProperties (every scalar a string) into the store the stack asks for, checked
 * against the same field rules as the construct (the construct lets tokens through). What an
 * update must do is worked out in update-plan.ts.
 */
import { CustomKeyStoreType, XksProxyConnectivityType } from '@aws-sdk/client-kms';
import * as rules from '../../../lib/private/contract/field-rules';
import { DEFAULT_WAIT_SECONDS, KeyStoreResourceProperties, MAX_WAIT_SECONDS, MIN_WAIT_SECONDS } from '../../../lib/private/contract/store-properties';
import { KeyStoreError } from '../../shared/errors';
import { malformedEventMessage } from '../messages';

interface CloudHsmSettings {
  readonly clusterId: string;
  readonly trustAnchorCertificate: string;
  readonly passwordSecretArn: string;
}

interface ExternalSettings {
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
  /** A Create takes over a store of this name made outside the stack (adopt.ts). */
  readonly adoptExisting?: boolean;
  /** That adoption also sends the kmsuser password or proxy credential, which KMS never shows. */
  readonly adoptSendsSecrets?: boolean;
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
  const flag = (key: 'AdoptExisting' | 'AdoptSendsSecrets'): boolean | undefined => {
    const value = optional(key);
    return value === undefined ? undefined : parseBoolean(`${which}.${key}`, value);
  };
  // Absent when false: a template from before adoption existed reads the same.
  const adoption = { ...(flag('AdoptExisting') ? { adoptExisting: true } : {}), ...(flag('AdoptSendsSecrets') ? { adoptSendsSecrets: true } : {}) };

  if (type === CustomKeyStoreType.AWS_CLOUDHSM) {
    return {
      name,
      type,
      connected,
      waitTimeoutSeconds,
      ...adoption,
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
      ...adoption,
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

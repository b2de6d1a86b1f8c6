/**
 * The KMS API's inputs read and checked as the API model constrains them, with the messages KMS
 * gives when they are not (never echoing a secret value).
 */
import * as rules from '../../../lib/private/contract/field-rules';
import { ServiceError } from '../../endpoint/service-error';
import { validation } from './errors';
import { Json, XksConfig } from './records';

/** Reads a string field and checks it against the API model's constraint. */
export function field(input: Json, name: string, rule: rules.FieldRule, required: boolean, secret = false): string | undefined {
  const value = input[name];
  if (value === undefined) {
    if (required) throw validation(`1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`);
    return undefined;
  }
  if (typeof value !== 'string') throw validation(`${name} must be a string.`);
  const problem = rules.describeViolation(value, rule, secret);
  if (problem) {
    // KMS does not echo secret values in its messages either.
    throw validation(`1 validation error detected: Value ${secret ? '(sensitive)' : `'${rules.abbreviate(value)}'`} at '${name}' failed to satisfy constraint: ${problem}`);
  }
  return value;
}

/** An external key store's settings from a create (`current` undefined: all required) or an update of `current`. */
export function xksSettings(input: Json, current: XksConfig | undefined): XksConfig {
  const required = current === undefined;
  const endpoint = field(input, 'XksProxyUriEndpoint', rules.XKS_PROXY_URI_ENDPOINT, required) ?? current?.endpoint;
  const path = field(input, 'XksProxyUriPath', rules.XKS_PROXY_URI_PATH, required) ?? current?.path;
  const connectivity = (input.XksProxyConnectivity as string | undefined) ?? current?.connectivity;
  if (connectivity !== 'PUBLIC_ENDPOINT' && connectivity !== 'VPC_ENDPOINT_SERVICE') {
    throw validation(`XksProxyConnectivity must be PUBLIC_ENDPOINT or VPC_ENDPOINT_SERVICE, not '${String(connectivity)}'.`);
  }
  let vpcServiceName = field(input, 'XksProxyVpcEndpointServiceName', rules.XKS_VPC_ENDPOINT_SERVICE_NAME, false) ?? current?.vpcServiceName;
  let vpcServiceOwner = field(input, 'XksProxyVpcEndpointServiceOwner', rules.XKS_VPC_ENDPOINT_SERVICE_OWNER, false) ?? current?.vpcServiceOwner;
  if (connectivity === 'VPC_ENDPOINT_SERVICE' && vpcServiceName === undefined) {
    throw validation('XksProxyVpcEndpointServiceName is required when XksProxyConnectivity is VPC_ENDPOINT_SERVICE.');
  }
  if (connectivity === 'PUBLIC_ENDPOINT') {
    vpcServiceName = undefined;
    vpcServiceOwner = undefined;
  }
  let accessKeyId = current?.accessKeyId;
  let secretAccessKey = current?.secretAccessKey;
  const credential = input.XksProxyAuthenticationCredential as Json | undefined;
  if (credential !== undefined || required) {
    if (typeof credential !== 'object') {
      throw validation('XksProxyAuthenticationCredential is required for an external key store.');
    }
    accessKeyId = field(credential, 'AccessKeyId', rules.XKS_ACCESS_KEY_ID, true, true);
    secretAccessKey = field(credential, 'RawSecretAccessKey', rules.XKS_SECRET_ACCESS_KEY, true, true);
  }
  return { endpoint: endpoint as string, path: path as string, connectivity, vpcServiceName, vpcServiceOwner, accessKeyId: accessKeyId as string, secretAccessKey: secretAccessKey as string };
}

/** The key policy KMS gives a key created without one. */
export function defaultKeyPolicy(accountId: string): string {
  return JSON.stringify({ Version: '2012-10-17', Id: 'key-default-1', Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: 'kms:*', Resource: '*' }] });
}

/** The Developer Guide's quota for a key policy document: 32 KB, well below the API model's 131,072 characters. */
export const KEY_POLICY_QUOTA_BYTES = 32_768;

/**
 * What KMS checks of a key policy that a local model can: the model's length and characters, the
 * 32 KB quota (`maxBytes`; LimitExceededException, as for KMS's other quotas), JSON, statements.
 */
export function checkPolicy(policy: unknown, maxBytes?: number): string {
  if (typeof policy !== 'string' || policy.length < 1 || policy.length > 131072 || !/^[\u0009\u000A\u000D\u0020-\u00FF]+$/.test(policy)) {
    throw validation("1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length between 1 and 131072 and match [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+");
  }
  const bytes = Buffer.byteLength(policy, 'utf8');
  if (maxBytes !== undefined && bytes > maxBytes) {
    throw new ServiceError('LimitExceededException', `The key policy document is ${bytes} bytes, which exceeds the maximum key policy size of ${maxBytes} bytes.`);
  }
  let doc: { Statement?: unknown };
  try {
    doc = JSON.parse(policy) as { Statement?: unknown };
  } catch {
    throw new ServiceError('MalformedPolicyDocumentException', 'The key policy is not valid JSON.');
  }
  const statements = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement !== undefined ? [doc.Statement] : [];
  if (statements.length === 0 || statements.some((st) => typeof st !== 'object' || st === null || !('Effect' in st) || !('Principal' in st) || !('Action' in st))) {
    throw new ServiceError('MalformedPolicyDocumentException', 'The key policy must have statements, each with Effect, Principal and Action.');
  }
  return policy;
}

/** A key's tags: 50 at most, keys 1-128 and values 0-256 characters, no aws: prefix, no duplicates. */
export function checkTags(tags: unknown): Map<string, string> {
  if (!Array.isArray(tags)) throw validation('Tags must be a list.');
  const out = new Map<string, string>();
  for (const t of tags as Array<{ TagKey?: unknown; TagValue?: unknown }>) {
    const k = t.TagKey;
    const v = t.TagValue;
    if (typeof k !== 'string' || k.length < 1 || k.length > 128 || typeof v !== 'string' || v.length > 256) {
      throw validation("1 validation error detected: Value at 'tags' failed to satisfy constraint: tag keys are 1-128 characters and values 0-256");
    }
    if (k.startsWith('aws:')) throw new ServiceError('TagException', `Tag key ${k} uses the reserved prefix aws:.`);
    if (out.has(k)) throw new ServiceError('TagException', `Duplicate tag key ${k}.`);
    out.set(k, v);
  }
  if (out.size > 50) throw new ServiceError('TagException', 'A KMS key can have at most 50 tags.');
  return out;
}

/**
 * The field constraints of the KMS API model (kms/2014-11-01) for custom key stores.
 *
 * Pure data and functions with no CDK or SDK imports: the construct checks literals against these
 * rules at synth time and the handler checks the same rules on every event, so a constraint lives
 * in exactly one place.
 */

/** One constraint of a string field, with the rule stated the way an error message quotes it. */
export interface FieldRule {
  readonly minLength: number;
  readonly maxLength: number;
  readonly pattern?: RegExp;
  /** The rule in words, quoted in error messages. */
  readonly rule: string;
}

export const CUSTOM_KEY_STORE_NAME: FieldRule = {
  minLength: 1,
  maxLength: 256,
  rule: '1-256 characters, unique in the account and Region',
};

export const CLOUD_HSM_CLUSTER_ID: FieldRule = {
  minLength: 19,
  maxLength: 24,
  pattern: /^cluster-[2-7a-zA-Z]{11,16}$/,
  rule: "'cluster-' followed by 11-16 characters of [2-7a-zA-Z] (19-24 characters)",
};

/**
 * The API model bounds only the length. KMS itself decides whether the certificate is the
 * cluster's (IncorrectTrustAnchorException), so a PEM on one line, a chain or trailing white space
 * is not rejected here; the one shape check left is that it holds a PEM block at all, which
 * catches a file path passed instead of the file's content.
 */
export const TRUST_ANCHOR_CERTIFICATE: FieldRule = {
  minLength: 1,
  maxLength: 5000,
  pattern: /-----BEGIN CERTIFICATE-----[\s\S]*-----END CERTIFICATE-----/,
  rule: 'the PEM content of customerCA.crt (containing a -----BEGIN CERTIFICATE----- ... -----END CERTIFICATE----- block), 1-5000 characters',
};

export const KEY_STORE_PASSWORD: FieldRule = {
  minLength: 7,
  maxLength: 32,
  rule: 'the kmsuser password: 7-32 characters',
};

export const XKS_PROXY_URI_ENDPOINT: FieldRule = {
  minLength: 10,
  maxLength: 128,
  pattern: /^https:\/\/[a-zA-Z0-9.-]+$/,
  rule: "'https://' followed by a host name of [a-zA-Z0-9.-], with no port and no path (10-128 characters)",
};

export const XKS_PROXY_URI_PATH: FieldRule = {
  minLength: 10,
  maxLength: 128,
  pattern: /^((\/[a-zA-Z0-9/_-]+\/kms\/xks\/v\d{1,2})|(\/kms\/xks\/v\d{1,2}))$/,
  rule: "an optional prefix followed by '/kms/xks/v' and a 1-2 digit version, e.g. '/kms/xks/v1' or '/example/prefix/kms/xks/v1' (10-128 characters)",
};

export const XKS_VPC_ENDPOINT_SERVICE_NAME: FieldRule = {
  minLength: 20,
  maxLength: 64,
  pattern: /^(com|eu)\.amazonaws\.vpce\.([a-z]+-){2,3}\d+\.vpce-svc-[0-9a-z]+$/,
  rule: "'com.amazonaws.vpce.<region>.vpce-svc-<id>' (20-64 characters)",
};

export const XKS_VPC_ENDPOINT_SERVICE_OWNER: FieldRule = {
  minLength: 12,
  maxLength: 12,
  pattern: /^[0-9]{12}$/,
  rule: 'a 12-digit AWS account id',
};

export const XKS_ACCESS_KEY_ID: FieldRule = {
  minLength: 20,
  maxLength: 30,
  pattern: /^[A-Z2-7]+$/,
  rule: '20-30 characters of [A-Z2-7]',
};

export const XKS_SECRET_ACCESS_KEY: FieldRule = {
  minLength: 43,
  maxLength: 64,
  pattern: /^[a-zA-Z0-9/+=]+$/,
  rule: '43-64 characters of [a-zA-Z0-9/+=]',
};

/**
 * Says what is wrong with `value` under `rule`, or returns undefined when it complies.
 *
 * `secret` values are never quoted back: the message speaks of their length and shape only.
 */
export function describeViolation(value: string, rule: FieldRule, secret = false): string | undefined {
  const shown = secret ? 'the value' : `'${abbreviate(value)}'`;
  if (value.length < rule.minLength || value.length > rule.maxLength) {
    return `${shown} has ${value.length} characters`;
  }
  if (rule.pattern && !rule.pattern.test(value)) {
    return `${shown} does not match`;
  }
  return undefined;
}

/** Keeps a quoted value short, so one bad 5,000-character certificate does not flood a message. */
export function abbreviate(value: string, max = 60): string {
  const oneLine = value.replace(/\s+/g, ' ');
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 3)}...`;
}

/** XksKeyId of CreateKey: the external key's id in the XKS proxy. */
export const XKS_KEY_ID: FieldRule = {
  minLength: 1,
  maxLength: 128,
  pattern: /^[a-zA-Z0-9-_.]+$/,
  rule: '1-128 characters of [a-zA-Z0-9-_.], the id of the external key in the XKS proxy',
};

/** Description of CreateKey and UpdateKeyDescription. */
export const KEY_DESCRIPTION: FieldRule = {
  minLength: 0,
  maxLength: 8192,
  rule: 'at most 8192 characters',
};

/**
 * A key policy document's size limit: 32 KB (the Developer Guide's resource quotas), far below the
 * API model's 131,072 characters for the Policy field; KMS refuses a larger one with
 * LimitExceededException.
 */
export const KEY_POLICY_MAX_BYTES = 32_768;

/**
 * Synth-time checks of the construct's input against the KMS field rules.
 *
 * Values that are tokens pass through: CloudFormation resolves them at deploy time and the
 * handler checks them again before calling KMS.
 */
import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { CustomKeyStoreErrorCode, CustomKeyStoreValidationError } from '../errors';
import { describeViolation, FieldRule, abbreviate } from './contract/field-rules';

/** Checks a required string property; `hints` name a more specific problem than the rule's. */
export function checkField(scope: IConstruct, property: string, value: unknown, rule: FieldRule, hints: ReadonlyArray<[RegExp, string]> = []): void {
  if (value === undefined || value === null) {
    throw new CustomKeyStoreValidationError(CustomKeyStoreErrorCode.MISSING_PROPERTY, `${property} is required; expected ${rule.rule}`, scope);
  }
  if (Token.isUnresolved(value)) {
    return;
  }
  if (typeof value !== 'string') {
    throw new CustomKeyStoreValidationError(CustomKeyStoreErrorCode.INVALID_VALUE, `${property} must be a string; expected ${rule.rule}`, scope);
  }
  const problem = describeViolation(value, rule);
  if (!problem) {
    return;
  }
  const specific = hints.find(([pattern]) => pattern.test(value));
  const what = specific ? `'${abbreviate(value)}' ${specific[1]}` : problem;
  throw new CustomKeyStoreValidationError(CustomKeyStoreErrorCode.INVALID_VALUE, `${property}: ${what}; expected ${rule.rule}`, scope);
}

export function checkOptionalField(scope: IConstruct, property: string, value: string | undefined, rule: FieldRule, hints: ReadonlyArray<[RegExp, string]> = []): void {
  if (value !== undefined) {
    checkField(scope, property, value, rule, hints);
  }
}

/** Problems with an XKS proxy endpoint that deserve their own words. */
export const ENDPOINT_HINTS: ReadonlyArray<[RegExp, string]> = [
  [/^(?!https:\/\/)/, "does not start with 'https://'"],
  [/^https:\/\/[^/]*:\d*/, 'has a port (KMS always uses 443)'],
  [/^https:\/\/[^/]+\/./, "has a path (put it in proxyUriPath, which must end in '/kms/xks/v1')"],
  [/^https:\/\/[^/]+\/$/, 'ends with a slash'],
];

export const PATH_HINTS: ReadonlyArray<[RegExp, string]> = [
  [/^(?!\/)/, "does not start with '/'"],
  [/^(?!.*\/kms\/xks\/v\d{1,2}$)/, "does not end in '/kms/xks/v' and a version number"],
];

export const VPC_SERVICE_NAME_HINTS: ReadonlyArray<[RegExp, string]> = [
  [/^(?!(com|eu)\.amazonaws\.vpce\.)/, "does not start with 'com.amazonaws.vpce.'"],
  [/^(com|eu)\.amazonaws\.vpce\.(?!([a-z]+-){2,3}\d+\.)/, "does not name a Region such as 'us-east-1' after 'com.amazonaws.vpce.'"],
  [/^(?!.*\.vpce-svc-[0-9a-z]+$)/, "does not end in '.vpce-svc-' and a lower-case id"],
];

export const OWNER_HINTS: ReadonlyArray<[RegExp, string]> = [[/^(?!\d{12}$)/, 'is not 12 digits']];

export const CLUSTER_ID_HINTS: ReadonlyArray<[RegExp, string]> = [
  [/^(?!cluster-)/, "does not start with 'cluster-'"],
  [/^cluster-.*[^2-7a-zA-Z]/, 'has characters outside [2-7a-zA-Z] after the prefix'],
];

export const CERTIFICATE_HINTS: ReadonlyArray<[RegExp, string]> = [
  [/^(?![\s\S]*-----BEGIN CERTIFICATE-----)/, "has no '-----BEGIN CERTIFICATE-----' (pass the content of customerCA.crt, not its path)"],
  [/^(?![\s\S]*-----END CERTIFICATE-----)/, "has no '-----END CERTIFICATE-----'"],
];

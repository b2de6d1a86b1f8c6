/**
 * The contract between the key construct and the handler: the ResourceProperties of one
 * `Custom::KmsCustomKeyStoreKey` resource (a KMS key in a custom key store).
 *
 * CloudFormation delivers every scalar as a string. Nothing secret travels here.
 */

export const KEY_RESOURCE_TYPE = 'Custom::KmsCustomKeyStoreKey';

/** ScheduleKeyDeletion's waiting period, in days (KMS Developer Guide; the API model's 1-365 is wider than what KMS accepts). */
export const MIN_PENDING_WINDOW_DAYS = 7;
export const MAX_PENDING_WINDOW_DAYS = 30;
export const DEFAULT_PENDING_WINDOW_DAYS = 30;

/**
 * The tag the handler puts on every key it creates: its value names the CloudFormation request,
 * so a CreateKey whose answer was lost can be found again instead of making a second key.
 */
export const CREATION_TAG_KEY = 'cdk-kms-custom-key-store:creation';

/** One tag, as CreateKey and TagResource take it. */
export interface KeyTag {
  readonly TagKey: string;
  readonly TagValue: string;
}

export interface KeyResourceProperties {
  /** The store's id (a Ref to the store resource, or an imported id). */
  readonly CustomKeyStoreId: string;
  /** `AWS_CLOUDHSM` or `EXTERNAL_KEY_STORE`. */
  readonly Origin: string;
  /** The external key's id in the XKS proxy; external key stores only. */
  readonly XksKeyId?: string;
  readonly Description?: string;
  /** The key policy, as a JSON object (the handler sends it as a string). */
  readonly Policy: unknown;
  /** `"true"` or `"false"`. */
  readonly Enabled: string;
  /** `"7"` to `"30"`: the waiting period when the key is deleted. */
  readonly PendingWindowInDays: string;
  readonly Tags?: KeyTag[];
}

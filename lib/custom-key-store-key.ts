import { Annotations, CustomResource, Duration, ITaggable, Lazy, RemovalPolicy, Resource, Stack, TagManager, TagType, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct, IConstruct } from 'constructs';
import type { ICustomKeyStore } from './custom-key-store';
import * as rules from './private/contract/field-rules';
import { CLOUD_HSM, EXTERNAL_KEY_STORE } from './private/contract/store-properties';
import { DEFAULT_PENDING_WINDOW_DAYS, KEY_RESOURCE_TYPE, KeyResourceProperties, KeyTag, MAX_PENDING_WINDOW_DAYS, MIN_PENDING_WINDOW_DAYS } from './private/contract/key-properties';
import { isDeclaredDisconnected, recordKey } from './private/key-store-facts';
import { KeyStoreProvider } from './private/provider/key-store-provider';
import { CustomKeyStoreErrorCode, CustomKeyStoreValidationError } from './errors';
import { checkOptionalField } from './private/validation';

/** Properties of a KMS key in a custom key store, apart from the store (see `CustomKeyStore.addKey`). */
export interface CustomKeyStoreKeyOptions {
  /**
   * The id of the external key in the XKS proxy that backs this KMS key (1-128 characters of
   * [a-zA-Z0-9-_.]). Required for an external key store, refused for a CloudHSM key store.
   *
   * For an imported store, whose type is unknown at synth, giving it makes the key an
   * external key store key (Origin EXTERNAL_KEY_STORE), leaving it out a CloudHSM one.
   *
   * @default - none (CloudHSM key stores)
   */
  readonly xksKeyId?: string;

  /**
   * A description of the key (at most 8192 characters). It appears in CloudTrail logs.
   *
   * @default - no description
   */
  readonly description?: string;

  /**
   * An alias to create for the key, like kms.Key's `alias`.
   *
   * @default - no alias
   */
  readonly alias?: string;

  /**
   * Whether the key is enabled.
   *
   * @default true
   */
  readonly enabled?: boolean;

  /**
   * The key policy.
   *
   * @default - the default key policy kms.Key uses: the account's root principal may do kms:*,
   * which lets IAM policies in the account grant access to the key
   */
  readonly policy?: iam.PolicyDocument;

  /**
   * How long KMS waits before deleting the key once its deletion is scheduled (7-30 days).
   *
   * @default Duration.days(30)
   */
  readonly pendingWindow?: Duration;

  /**
   * What happens to the key when it leaves the stack. With DESTROY its deletion is scheduled
   * (after `pendingWindow`); with RETAIN CloudFormation forgets the key and KMS keeps it, and the
   * key then keeps its store from being deleted. With RETAIN_ON_UPDATE_OR_DELETE (the default) the
   * key is kept as with RETAIN, except when the deployment that created it fails: its rollback
   * schedules the key's deletion (after `pendingWindow`), so the rollback can release the store
   * and complete. SNAPSHOT is not supported.
   *
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE: retained as kms.Key's RETAIN, except by the
   * rollback of the deployment that created it
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * The key spec. Custom key stores support only symmetric encryption keys: accepted only for
   * parity with kms.KeyProps, and only `KeySpec.SYMMETRIC_DEFAULT`.
   *
   * @default KeySpec.SYMMETRIC_DEFAULT
   */
  readonly keySpec?: kms.KeySpec;

  /**
   * The key usage. Accepted only for parity with kms.KeyProps, and only `KeyUsage.ENCRYPT_DECRYPT`.
   *
   * @default KeyUsage.ENCRYPT_DECRYPT
   */
  readonly keyUsage?: kms.KeyUsage;

  /**
   * Keys in custom key stores cannot be multi-Region keys: only `false` is accepted.
   *
   * @default false
   */
  readonly multiRegion?: boolean;

  /**
   * Keys in custom key stores do not support automatic key rotation: only `false` is accepted.
   *
   * @default false
   */
  readonly enableKeyRotation?: boolean;
}

/** Properties of a CustomKeyStoreKey. */
export interface CustomKeyStoreKeyProps extends CustomKeyStoreKeyOptions {
  /** The custom key store that holds the key: declared in this app or imported. */
  readonly customKeyStore: ICustomKeyStore;
}

/**
 * A KMS key in a custom key store (a CloudHSM key store or an external key store), which
 * `AWS::KMS::Key` cannot declare. It is a `kms.IKey`: it can be granted, aliased and used
 * wherever aws-cdk-lib takes a key.
 *
 * Backed by a custom resource on the same provider as the stack's key stores: CreateKey when the
 * store is connected, in-place updates of description, policy, enabled state and tags, and
 * ScheduleKeyDeletion on deletion (with RemovalPolicy.DESTROY).
 *
 * @resource Custom::KmsCustomKeyStoreKey
 */
export class CustomKeyStoreKey extends Resource implements kms.IKey, ITaggable {
  /** The key's ARN. @attribute */
  public readonly keyArn: string;

  /** The key's id. @attribute */
  public readonly keyId: string;

  /** Tags applied with `Tags.of(...)`, sent to KMS with CreateKey and TagResource. */
  public readonly tags: TagManager;

  /** The key's grant methods, as kms.Key's `grants` (the `grantXxx()` methods call them). */
  public readonly grants: kms.KeyGrants;

  /** The key policy: `addToResourcePolicy` adds to it. */
  private readonly policy: iam.PolicyDocument;
  private readonly resource: CustomResource;
  private aliasCount = 0;

  /** Declares a KMS key in a custom key store; its input is checked here, at synth time (see `CustomKeyStoreErrorCode`). */
  constructor(scope: Construct, id: string, props: CustomKeyStoreKeyProps) {
    super(scope, id);
    const store = props.customKeyStore as ICustomKeyStore | undefined;
    if (!store || typeof store.customKeyStoreId !== 'string') {
      throw new CustomKeyStoreValidationError(CustomKeyStoreErrorCode.MISSING_PROPERTY, 'customKeyStore is required; expected a CustomKeyStore or CustomKeyStore.fromCustomKeyStoreId(...)', this);
    }
    checkKeyKind(this, props);
    const origin = originFor(this, store, props.xksKeyId);
    checkOptionalField(this, 'xksKeyId', props.xksKeyId, rules.XKS_KEY_ID);
    checkOptionalField(this, 'description', props.description, rules.KEY_DESCRIPTION);
    const pendingWindowDays = pendingWindowInDays(this, props.pendingWindow);
    // Not RETAIN: a key kept by the rollback of its own create would keep its store, and the
    // stack would end in ROLLBACK_FAILED (README, "When a first deployment fails").
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;
    rejectSnapshot(this, removalPolicy);

    this.policy = props.policy ?? defaultKeyPolicy();
    this.node.addValidation({ validate: () => [...this.policy.validateForResourcePolicy(), ...policySizeErrors(this, this.policy)] });
    this.tags = new TagManager(TagType.KEY_VALUE, KEY_RESOURCE_TYPE);

    const provider = KeyStoreProvider.of(this);
    provider.grantKeyManagement();
    const properties: KeyResourceProperties = {
      CustomKeyStoreId: store.customKeyStoreId,
      Origin: origin,
      ...(props.xksKeyId !== undefined ? { XksKeyId: props.xksKeyId } : {}),
      ...(props.description !== undefined ? { Description: props.description } : {}),
      // Resolved at synth, after every addToResourcePolicy and grant.
      Policy: this.policy,
      Enabled: String(props.enabled ?? true),
      PendingWindowInDays: String(pendingWindowDays),
      Tags: Lazy.any({ produce: () => renderTags(this.tags) }, { omitEmptyArray: true }) as unknown as KeyTag[],
    };
    const resource = (this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: KEY_RESOURCE_TYPE,
      properties: { ...properties },
      removalPolicy,
    }));
    this.keyId = resource.ref;
    this.keyArn = resource.getAttString('Arn');
    // trustAccountIdentities: kms.Key's default since CDK v2 (the default key policy lets the account's IAM policies decide).
    this.grants = kms.KeyGrants.fromKey(this, true);
    const declared = { kind: 'key' as const, storeId: store.customKeyStoreId, keyId: this.keyId, enabled: properties.Enabled, ...(props.description !== undefined ? { description: props.description } : {}) };
    recordKey(store, { owner: this, declared, key: this });

    if (props.alias !== undefined) {
      this.addAlias(props.alias);
    }
  }

  /**
   * Sets what happens to the key when it leaves the stack, as the `removalPolicy` property does:
   * the policy goes on the key's custom resource (its DeletionPolicy and UpdateReplacePolicy).
   *
   * With DESTROY the key's deletion is scheduled after `pendingWindow`; with RETAIN (or
   * RETAIN_ON_UPDATE_OR_DELETE, when it is not a failed first deployment) CloudFormation forgets
   * the key and KMS keeps it. SNAPSHOT is not supported.
   */
  public applyRemovalPolicy(policy: RemovalPolicy): void {
    rejectSnapshot(this, policy);
    this.resource.applyRemovalPolicy(policy);
  }

  /** The key as aws-cdk-lib's generated interfaces refer to it. */
  public get keyRef(): kms.KeyReference {
    return { keyArn: this.keyArn, keyId: this.keyId };
  }

  /** Adds an alias (`alias/...`) for the key. */
  public addAlias(aliasName: string): kms.Alias {
    const id = this.aliasCount === 0 ? 'Alias' : `Alias${aliasName}`;
    this.aliasCount++;
    return new kms.Alias(this, id, { aliasName, targetKey: this });
  }

  /**
   * Adds a statement to the key policy.
   *
   * @param _allowNoOp kms.IKey's parameter; the key always has a policy, so there is never nothing to add to
   */
  public addToResourcePolicy(statement: iam.PolicyStatement, _allowNoOp?: boolean): iam.AddToResourcePolicyResult {
    this.policy.addStatements(statement);
    return { statementAdded: true, policyDependable: this.policy };
  }

  /**
   * Grants `actions` on this key, by kms.Key's rules (aws-cdk-lib's `kms.KeyGrants`): with the
   * default key policy (which lets the account's IAM policies decide) to the principal's policy
   * when it is in this account, and to the key policy as well for principals of other accounts or
   * Regions.
   */
  public grant(grantee: iam.IGrantable, ...actions: string[]): iam.Grant {
    return this.grants.actions(grantee, ...actions);
  }

  /** Grants decryption (`kms:Decrypt`) with this key to `grantee`, as kms.Key's. */
  public grantDecrypt(grantee: iam.IGrantable): iam.Grant {
    return this.grants.decrypt(grantee);
  }

  /** Grants encryption (`kms:Encrypt`, `kms:ReEncrypt*`, `kms:GenerateDataKey*`) with this key to `grantee`, as kms.Key's. */
  public grantEncrypt(grantee: iam.IGrantable): iam.Grant {
    return this.grants.encrypt(grantee);
  }

  /** Grants encryption and decryption with this key to `grantee` (`grantEncrypt`'s actions and `kms:Decrypt`), as kms.Key's. */
  public grantEncryptDecrypt(grantee: iam.IGrantable): iam.Grant {
    return this.grants.encryptDecrypt(grantee);
  }

  /** As kms.Key's; a key in a custom key store is symmetric, so KMS refuses Sign with it. */
  public grantSign(grantee: iam.IGrantable): iam.Grant {
    return this.grants.sign(grantee);
  }

  /** As kms.Key's; a key in a custom key store is symmetric, so KMS refuses Verify with it. */
  public grantVerify(grantee: iam.IGrantable): iam.Grant {
    return this.grants.verify(grantee);
  }

  /** As kms.Key's; a key in a custom key store is symmetric, so KMS refuses Sign and Verify with it. */
  public grantSignVerify(grantee: iam.IGrantable): iam.Grant {
    return this.grants.signVerify(grantee);
  }

  /** As kms.Key's; a key in a custom key store is not an HMAC key, so KMS refuses GenerateMac with it. */
  public grantGenerateMac(grantee: iam.IGrantable): iam.Grant {
    return this.grants.generateMac(grantee);
  }

  /** As kms.Key's; a key in a custom key store is not an HMAC key, so KMS refuses VerifyMac with it. */
  public grantVerifyMac(grantee: iam.IGrantable): iam.Grant {
    return this.grants.verifyMac(grantee);
  }
}

/**
 * The key policy's size as KMS will count it, at least: the JSON the handler sends, with every
 * value not known until deployment counted as empty. Checked at synth, after every grant.
 */
function policySizeErrors(scope: IConstruct, policy: iam.PolicyDocument): string[] {
  const resolved: unknown = Stack.of(scope).resolve(policy.toJSON());
  const bytes = Buffer.byteLength(JSON.stringify(withoutIntrinsics(resolved)), 'utf8');
  if (bytes <= rules.KEY_POLICY_MAX_BYTES) {
    return [];
  }
  return [
    `${CustomKeyStoreErrorCode.OUT_OF_RANGE}: policy: the key policy is at least ${bytes} bytes; expected at most ${rules.KEY_POLICY_MAX_BYTES} bytes (32 KB, KMS's limit for a key policy document). Use fewer statements, or grant through IAM policies, which the default key policy lets decide`,
  ];
}

/** A resolved template value with each CloudFormation intrinsic (a value known only at deployment) as an empty string. */
function withoutIntrinsics(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutIntrinsics);
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value);
  if (entries.length === 1 && (entries[0][0] === 'Ref' || entries[0][0].startsWith('Fn::'))) return '';
  return Object.fromEntries(entries.map(([k, v]) => [k, withoutIntrinsics(v)]));
}

/** kms.Key's default policy (feature flag @aws-cdk/aws-kms:defaultKeyPolicies, always on in CDK v2). */
function defaultKeyPolicy(): iam.PolicyDocument {
  return new iam.PolicyDocument({
    statements: [new iam.PolicyStatement({ actions: ['kms:*'], resources: ['*'], principals: [new iam.AccountRootPrincipal()] })],
  });
}

function checkKeyKind(scope: IConstruct, props: CustomKeyStoreKeyOptions): void {
  const why = 'KMS keys in custom key stores are symmetric encryption keys only';
  if (props.keySpec !== undefined && props.keySpec !== kms.KeySpec.SYMMETRIC_DEFAULT) {
    throw new CustomKeyStoreValidationError(CustomKeyStoreErrorCode.UNSUPPORTED_SETTING, `keySpec: ${props.keySpec} is not supported; expected SYMMETRIC_DEFAULT (${why})`, scope);
  }
  if (props.keyUsage !== undefined && props.keyUsage !== kms.KeyUsage.ENCRYPT_DECRYPT) {
    throw new CustomKeyStoreValidationError(CustomKeyStoreErrorCode.UNSUPPORTED_SETTING, `keyUsage: ${props.keyUsage} is not supported; expected ENCRYPT_DECRYPT (${why})`, scope);
  }
  if (props.multiRegion === true) {
    throw new CustomKeyStoreValidationError(CustomKeyStoreErrorCode.UNSUPPORTED_SETTING, 'multiRegion: true is not supported; expected false (KMS cannot create multi-Region keys in a custom key store)', scope);
  }
  if (props.enableKeyRotation === true) {
    throw new CustomKeyStoreValidationError(CustomKeyStoreErrorCode.UNSUPPORTED_SETTING, 'enableKeyRotation: true is not supported; expected false (KMS does not rotate keys in custom key stores automatically; rotate by creating a new key and moving the alias)', scope);
  }
}

/** Origin from the store's type; xksKeyId must match it. */
function originFor(scope: IConstruct, store: ICustomKeyStore, xksKeyId: string | undefined): string {
  const name = store.customKeyStoreName;
  const label = name !== undefined && !Token.isUnresolved(name) ? ` '${name}'` : '';
  if (isDeclaredDisconnected(store)) {
    // KMS keeps the keys of a disconnected store (Unavailable, still managed and deletable); only
    // CreateKey needs CONNECTED. So an operator may take a store offline without losing its keys.
    Annotations.of(scope).addWarningV2(
      'cdk-kms-custom-key-store:keyInDisconnectedStore',
      `customKeyStore:${label} is declared with connected: false. A key already in it stays (Unavailable until the store is connected again, and can still be updated or scheduled for deletion), but a new key cannot be created there: KMS creates keys only in a CONNECTED store, so a deployment that creates this key fails until the store is declared connected.`,
    );
  }
  // A store imported without its type: the xksKeyId says which kind it is.
  const type: string = store.customKeyStoreType ?? (xksKeyId !== undefined ? EXTERNAL_KEY_STORE : CLOUD_HSM);
  if (type === EXTERNAL_KEY_STORE && xksKeyId === undefined) {
    throw new CustomKeyStoreValidationError(CustomKeyStoreErrorCode.STORE_TYPE_MISMATCH, `xksKeyId is required for a key in external key store${label}; expected ${rules.XKS_KEY_ID.rule}`, scope);
  }
  if (type === CLOUD_HSM && xksKeyId !== undefined) {
    throw new CustomKeyStoreValidationError(CustomKeyStoreErrorCode.STORE_TYPE_MISMATCH, `xksKeyId: is not allowed for a key in CloudHSM key store${label}; expected no xksKeyId (KMS generates the key material in the cluster)`, scope);
  }
  return type;
}

function rejectSnapshot(scope: IConstruct, policy: RemovalPolicy): void {
  if (policy === RemovalPolicy.SNAPSHOT) {
    throw new CustomKeyStoreValidationError(CustomKeyStoreErrorCode.UNSUPPORTED_SETTING, 'removalPolicy: SNAPSHOT is not supported by KMS keys; expected RETAIN_ON_UPDATE_OR_DELETE (the default), RETAIN or DESTROY', scope);
  }
}

function pendingWindowInDays(scope: IConstruct, window: Duration | undefined): number {
  if (window === undefined) {
    return DEFAULT_PENDING_WINDOW_DAYS;
  }
  if (window.isUnresolved()) {
    throw new CustomKeyStoreValidationError(CustomKeyStoreErrorCode.TOKEN_NOT_SUPPORTED, 'pendingWindow: is a token; expected a literal Duration of 7-30 days', scope);
  }
  const days = window.toDays({ integral: false });
  if (!Number.isInteger(days) || days < MIN_PENDING_WINDOW_DAYS || days > MAX_PENDING_WINDOW_DAYS) {
    throw new CustomKeyStoreValidationError(CustomKeyStoreErrorCode.OUT_OF_RANGE, `pendingWindow: ${window.toHumanString()} is out of range; expected whole days from ${MIN_PENDING_WINDOW_DAYS} to ${MAX_PENDING_WINDOW_DAYS} (ScheduleKeyDeletion's PendingWindowInDays)`, scope);
  }
  return days;
}

function renderTags(tags: TagManager): KeyTag[] | undefined {
  const rendered = tags.renderTags() as Array<{ Key: string; Value: string }> | undefined;
  if (!rendered || rendered.length === 0) {
    return undefined;
  }
  return rendered.map((t) => ({ TagKey: t.Key, TagValue: t.Value }));
}

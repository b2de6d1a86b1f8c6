/**
 * KMS keys, as far as custom key stores and the handler use them: CreateKey (symmetric, single-Region
 * keys in a CONNECTED store, backed by an external key the proxy holds), DescribeKey and ListKeys,
 * key policies, descriptions, Enable/DisableKey, tags, and ScheduleKeyDeletion/CancelKeyDeletion.
 * A key is Unavailable while its store is not CONNECTED, and is deleted once its waiting period ends.
 */
import { randomUUID } from 'crypto';
import * as rules from '../../../lib/private/contract/field-rules';
import { ServiceError } from '../../endpoint/service-error';
import type { KmsAccount } from './account';
import { invalidState, validation } from './errors';
import { checkPolicy, checkTags, defaultKeyPolicy, field, KEY_POLICY_QUOTA_BYTES } from './inputs';
import { proxyErrorNow, proxyRejectedCreateKey } from './proxy-requests';
import { Json, Key, Store } from './records';

export class Keys {
  constructor(private readonly account: KmsAccount) {}

  public CreateKey(input: Json): Json {
    const { accountId, region, world } = this.account;
    const origin = (input.Origin as string | undefined) ?? 'AWS_KMS';
    const storeId = input.CustomKeyStoreId as string | undefined;
    if ((origin === 'AWS_CLOUDHSM' || origin === 'EXTERNAL_KEY_STORE') !== (storeId !== undefined)) {
      throw validation('CustomKeyStoreId is required with Origin AWS_CLOUDHSM or EXTERNAL_KEY_STORE, and only then.');
    }
    const description = (input.Description as string | undefined) ?? '';
    if (typeof description !== 'string' || description.length > 8192) {
      throw validation("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 8192");
    }
    const policy = input.Policy === undefined ? defaultKeyPolicy(accountId) : checkPolicy(input.Policy, this.account.enforceKeyPolicyQuota ? KEY_POLICY_QUOTA_BYTES : undefined);
    this.account.checkPrincipalsVisible(policy);
    const tags = checkTags(input.Tags ?? []);
    const xksKeyId = input.XksKeyId as string | undefined;
    if (xksKeyId !== undefined && origin !== 'EXTERNAL_KEY_STORE') {
      throw validation('XksKeyId is valid only with Origin EXTERNAL_KEY_STORE.');
    }
    let store: Store | undefined;
    if (storeId !== undefined) {
      // KMS creates only symmetric encryption, single-Region keys in custom key stores.
      if ((input.KeySpec ?? 'SYMMETRIC_DEFAULT') !== 'SYMMETRIC_DEFAULT' || (input.KeyUsage ?? 'ENCRYPT_DECRYPT') !== 'ENCRYPT_DECRYPT') {
        throw new ServiceError('UnsupportedOperationException', 'KMS keys in custom key stores must be symmetric encryption keys (KeySpec SYMMETRIC_DEFAULT, KeyUsage ENCRYPT_DECRYPT).');
      }
      if (input.MultiRegion === true) {
        throw new ServiceError('UnsupportedOperationException', 'Multi-Region keys cannot be created in a custom key store.');
      }
      store = this.account.store({ CustomKeyStoreId: storeId });
      if (store.type !== origin) {
        throw new ServiceError('IncorrectKeyException', `Origin ${origin} does not match the type of custom key store ${storeId}.`);
      }
      const { state } = this.account.stateOf(store);
      if (state !== 'CONNECTED') {
        throw invalidState(store.id, state, 'CreateKey');
      }
      if (origin === 'EXTERNAL_KEY_STORE') {
        field(input, 'XksKeyId', rules.XKS_KEY_ID, true);
        const id = xksKeyId as string;
        if ([...this.account.liveKeys()].some((k) => k.storeId === store?.id && k.xksKeyId === id)) {
          throw new ServiceError('XksKeyAlreadyInUseException', `The external key ${id} is already associated with a KMS key in this external key store.`);
        }
        // KMS now asks the proxy about the external key: what the proxy fails, KMS reports as an invalid state.
        const proxyError = this.account.checkProxyAtCreateKey && store.xks ? proxyErrorNow(world, store.xks) : undefined;
        if (proxyError !== undefined) {
          throw proxyRejectedCreateKey(store.id, proxyError);
        }
        if (world.missingExternalKeys.has(id)) {
          throw new ServiceError('XksKeyNotFoundException', `The external key store proxy could not find the external key ${id}.`);
        }
        if (world.invalidExternalKeys.has(id)) {
          throw new ServiceError('XksKeyInvalidConfigurationException', `The external key ${id} is not a 256-bit AES key that is enabled and can encrypt and decrypt.`);
        }
      } else if ((world.clusters.get(store.clusterId as string)?.hsmCount ?? 2) < 2) {
        throw new ServiceError('CloudHsmClusterInvalidConfigurationException', 'The associated CloudHSM cluster must have at least two active HSMs, each in a different Availability Zone.');
      }
    }
    const id = randomUUID();
    const key: Key = {
      id,
      arn: `arn:aws:kms:${region}:${accountId}:key/${id}`,
      createdAt: this.account.clock.now(),
      origin,
      storeId,
      description,
      xksKeyId,
      enabled: true,
      policy,
      tags,
    };
    this.account.keys.set(id, key);
    return { KeyMetadata: this.keyMetadata(key) };
  }

  public PutKeyPolicy(input: Json): Json {
    const key = this.usableKey(input, 'PutKeyPolicy', false);
    if ((input.PolicyName ?? 'default') !== 'default') {
      throw validation("1 validation error detected: Value at 'policyName' failed to satisfy constraint: the only valid policy name is 'default'");
    }
    const policy = checkPolicy(input.Policy, this.account.enforceKeyPolicyQuota ? KEY_POLICY_QUOTA_BYTES : undefined);
    this.account.checkPrincipalsVisible(policy);
    key.policy = policy;
    return {};
  }

  public GetKeyPolicy(input: Json): Json {
    const key = this.usableKey(input, 'GetKeyPolicy', false);
    return { Policy: key.policy, PolicyName: 'default' };
  }

  public UpdateKeyDescription(input: Json): Json {
    const key = this.usableKey(input, 'UpdateKeyDescription', true);
    const description = input.Description;
    if (typeof description !== 'string' || description.length > 8192) {
      throw validation("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 8192");
    }
    key.description = description;
    return {};
  }

  public EnableKey(input: Json): Json {
    this.enabledState(input, 'EnableKey').enabled = true;
    return {};
  }

  public DisableKey(input: Json): Json {
    this.enabledState(input, 'DisableKey').enabled = false;
    return {};
  }

  public TagResource(input: Json): Json {
    const key = this.usableKey(input, 'TagResource', true);
    const tags = checkTags(input.Tags);
    const merged = new Map([...key.tags, ...tags]);
    if (merged.size > 50) {
      throw new ServiceError('TagException', 'A KMS key can have at most 50 tags.');
    }
    key.tags = merged;
    return {};
  }

  public UntagResource(input: Json): Json {
    const key = this.usableKey(input, 'UntagResource', true);
    const keys = input.TagKeys;
    if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string')) {
      throw validation('TagKeys is required.');
    }
    for (const k of keys as string[]) key.tags.delete(k);
    return {};
  }

  public ListResourceTags(input: Json): Json {
    const key = this.usableKey(input, 'ListResourceTags', false);
    const limit = (input.Limit as number | undefined) ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 50) {
      throw validation(`1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 50`);
    }
    const all = [...key.tags].map(([TagKey, TagValue]) => ({ TagKey, TagValue }));
    const start = input.Marker !== undefined ? Number(input.Marker) : 0;
    const truncated = start + limit < all.length;
    return { Tags: all.slice(start, start + limit), Truncated: truncated, ...(truncated ? { NextMarker: String(start + limit) } : {}) };
  }

  public ListKeys(input: Json): Json {
    const limit = (input.Limit as number | undefined) ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw validation(`1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 1000`);
    }
    // Eventually consistent: a key made in the last keyVisibilityLagMs is not listed yet.
    const all = [...this.account.liveKeys()].filter((k) => this.account.visible(k));
    const start = input.Marker !== undefined ? Number(input.Marker) : 0;
    const page = all.slice(start, start + limit);
    const truncated = start + limit < all.length;
    return { Keys: page.map((k) => ({ KeyId: k.id, KeyArn: k.arn })), Truncated: truncated, ...(truncated ? { NextMarker: String(start + limit) } : {}) };
  }

  public DescribeKey(input: Json): Json {
    const key = this.key(input);
    if (key.locked) {
      // A key policy that neither names the caller nor delegates to IAM denies even an admin role.
      throw new ServiceError('AccessDeniedException', `User: arn:aws:sts::${this.account.accountId}:assumed-role/handler is not authorized to perform: kms:DescribeKey on resource: ${key.arn} because no resource-based policy allows the kms:DescribeKey action`);
    }
    return { KeyMetadata: this.keyMetadata(key) };
  }

  public ScheduleKeyDeletion(input: Json): Json {
    const key = this.key(input);
    const days = (input.PendingWindowInDays as number | undefined) ?? 30;
    if (!Number.isInteger(days) || days < 7 || days > 30) {
      throw validation(`1 validation error detected: Value '${days}' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value between 7 and 30`);
    }
    if (key.deletionDate !== undefined) {
      throw new ServiceError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
    }
    key.deletionDate = this.account.clock.now() + days * 86_400_000;
    return { KeyId: key.arn, DeletionDate: key.deletionDate / 1000, KeyState: 'PendingDeletion', PendingWindowInDays: days };
  }

  public CancelKeyDeletion(input: Json): Json {
    const key = this.key(input);
    if (key.deletionDate === undefined) {
      throw new ServiceError('KMSInvalidStateException', `${key.arn} is not pending deletion.`);
    }
    key.deletionDate = undefined;
    key.enabled = false;
    return { KeyId: key.arn };
  }

  /** The key an input's KeyId names (by id or ARN); NotFound once its waiting period is over. */
  public key(input: Json): Key {
    const ref = input.KeyId as string | undefined;
    if (typeof ref !== 'string') throw validation('KeyId is required.');
    const id = ref.startsWith('arn:') ? ref.split('/').pop() ?? ref : ref;
    const key = this.account.keys.get(id);
    if (!key || (key.deletionDate !== undefined && key.deletionDate <= this.account.clock.now())) {
      if (key) this.account.keys.delete(key.id);
      throw new ServiceError('NotFoundException', `Key '${ref}' does not exist`);
    }
    if (!this.account.visible(key)) {
      // Eventual consistency: right after CreateKey, KMS may answer NotFound for the new key.
      throw new ServiceError('NotFoundException', `Key '${key.arn}' does not exist`);
    }
    return key;
  }

  /** A key for an operation the key's policy governs; `notPendingDeletion` for those KMS refuses then. */
  private usableKey(input: Json, op: string, notPendingDeletion: boolean): Key {
    const key = this.key(input);
    if (key.locked) {
      throw new ServiceError('AccessDeniedException', `User: arn:aws:sts::${this.account.accountId}:assumed-role/handler is not authorized to perform: kms:${op} on resource: ${key.arn} because no resource-based policy allows the kms:${op} action`);
    }
    if (notPendingDeletion && key.deletionDate !== undefined) {
      throw new ServiceError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
    }
    return key;
  }

  /**
   * EnableKey and DisableKey: refused while pending deletion. On an Unavailable key (its store not
   * CONNECTED) they succeed, and the key shows the new state once available again (Guide, "Key states
   * of AWS KMS keys": "the operation succeeds, but the key state of the KMS key does not change until
   * it becomes available").
   */
  private enabledState(input: Json, op: string): Key {
    return this.usableKey(input, op, true);
  }

  private keyState(key: Key): string {
    if (key.deletionDate !== undefined) return 'PendingDeletion';
    if (key.storeId !== undefined) {
      const store = this.account.stores.get(key.storeId);
      if (!store || this.account.stateOf(store).state !== 'CONNECTED') return 'Unavailable';
    }
    return key.enabled ? 'Enabled' : 'Disabled';
  }

  private keyMetadata(key: Key): Json {
    const store = key.storeId ? this.account.stores.get(key.storeId) : undefined;
    return {
      AWSAccountId: this.account.accountId,
      KeyId: key.id,
      Arn: key.arn,
      CreationDate: key.createdAt / 1000,
      Enabled: this.keyState(key) === 'Enabled',
      Description: key.description,
      KeyUsage: 'ENCRYPT_DECRYPT',
      KeyState: this.keyState(key),
      Origin: key.origin,
      KeyManager: 'CUSTOMER',
      KeySpec: 'SYMMETRIC_DEFAULT',
      ...(key.deletionDate !== undefined ? { DeletionDate: key.deletionDate / 1000 } : {}),
      ...(key.storeId ? { CustomKeyStoreId: key.storeId } : {}),
      ...(store?.clusterId ? { CloudHsmClusterId: store.clusterId } : {}),
      ...(key.xksKeyId ? { XksKeyConfiguration: { Id: key.xksKeyId } } : {}),
    };
  }
}

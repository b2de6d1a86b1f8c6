/**
 * One KMS key in a custom key store (`Custom::KmsCustomKeyStoreKey`): the CloudFormation phases,
 * on the ResourceHandler base that the store's resource (store/resource.ts) has too.
 *
 * Every phase finishes in onEvent (KMS creates, updates and schedules keys at once), so
 * isComplete only confirms. The key's id is its PhysicalResourceId; its ARN and id are returned
 * as Data (`Arn`, `KeyId`).
 */
import { ConnectionStateType, KeyMetadata, Tag } from '@aws-sdk/client-kms';
import { CREATION_TAG_KEY } from '../../../lib/private/contract/key-properties';
import { EXTERNAL_KEY_STORE } from '../../../lib/private/contract/store-properties';
import { errorName, explain, KeyStoreError } from '../../shared/errors';
import { realSleep } from '../../shared/retry';
import { StoreView } from '../../shared/store-api';
import { ResourceHandler } from '../common';
import { ResourceDeps } from '../deps';
import { KeyEvent, KeyIsCompleteResult, KeyOnEventResult } from '../events';
import { DesiredKey, needsNewKey, parseDesiredKey, samePolicy, tagChanges } from './desired';
import { asOrigin, KeyApi } from './key-api';
import { POLICY_REFUSAL_WINDOW, PROXY_REFUSAL_WINDOW, RefusalWindow, retryingPassingRefusals } from './passing-refusals';
import {
  createKeyFailedMessage,
  disableFailedContext,
  notAKeyIdMessage,
  proxyRejectedCreateKeyMessage,
  scheduleFailedMessage,
  storeNotConnectedMessage,
  updateFailedMessage,
} from './messages';

/** What a KMS key id looks like (a UUID; multi-Region ids start with mrk-, which custom key stores cannot have). */
const KEY_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The shortest waiting period, for a key this handler made but could not finish setting up. */
const CLEANUP_WINDOW_DAYS = 7;

const DONE: KeyIsCompleteResult = { IsComplete: true };
/** Time left to report a failure after the last retry of a passing refusal. */
const REPORT_MARGIN_MS = 10_000;

/** What CreateKey's CustomKeyStoreInvalidStateExceptions found: the store's last read, and the first refusal's time. */
interface InvalidStateRefusals {
  store?: StoreView;
  since?: number;
}

export class KeyResource extends ResourceHandler<KeyOnEventResult, KeyIsCompleteResult> {
  private readonly keys: KeyApi;

  constructor(
    deps: ResourceDeps,
    private readonly event: KeyEvent,
  ) {
    super(deps, event);
    this.keys = new KeyApi(deps.stores.kms, deps.scan);
  }

  // Every phase finishes in onEvent: isComplete only confirms.

  protected isCreateComplete(): Promise<KeyIsCompleteResult> {
    return Promise.resolve(DONE);
  }

  protected isUpdateComplete(): Promise<KeyIsCompleteResult> {
    return Promise.resolve(DONE);
  }

  protected isDeleteComplete(): Promise<KeyIsCompleteResult> {
    return Promise.resolve(DONE);
  }

  // ---- Create ----------------------------------------------------------------------------------

  protected async onCreate(): Promise<KeyOnEventResult> {
    const desired = parseDesiredKey(this.event.ResourceProperties, 'ResourceProperties');
    return this.createKey(desired);
  }

  private async createKey(desired: DesiredKey): Promise<KeyOnEventResult> {
    let key: KeyMetadata;
    const refusals: InvalidStateRefusals = {};
    try {
      key = await this.retryingRefusals(
        async () =>
          this.keys.createKey(
            {
              Origin: asOrigin(desired.origin),
              CustomKeyStoreId: desired.storeId,
              ...(desired.xksKeyId !== undefined ? { XksKeyId: desired.xksKeyId } : {}),
              Description: desired.description,
              Policy: desired.policy,
              KeySpec: 'SYMMETRIC_DEFAULT',
              KeyUsage: 'ENCRYPT_DECRYPT',
              Tags: desired.tags,
            },
            this.creationTag(),
          ),
        async (err) => this.createRefusalWindow(err, desired, refusals),
      );
    } catch (err) {
      throw await this.createError(err, desired, refusals);
    }
    const keyId = key.KeyId as string;
    this.log({ step: 'create-key', key: keyId, store: desired.storeId });
    if (!desired.enabled) {
      try {
        // A key made in this invocation: KMS may not show it yet (eventual consistency).
        await this.keys.onNewKey(async () => this.keys.setEnabled(keyId, false));
      } catch (err) {
        // The framework ignores the rollback Delete of a Create that failed, so the key would be
        // left behind: schedule its deletion now, with the shortest waiting period.
        const cleanup = await this.keys.onNewKey(async () => this.keys.scheduleDeletion(keyId, CLEANUP_WINDOW_DAYS)).then(
          () => undefined,
          (cleanupErr: unknown) => `${errorName(cleanupErr)}: ${cleanupErr instanceof Error ? cleanupErr.message : String(cleanupErr)}`,
        );
        this.log({ step: 'cleanup-new-key', key: keyId, outcome: cleanup ?? 'scheduled for deletion' });
        throw explain(err, disableFailedContext(keyId, CLEANUP_WINDOW_DAYS, cleanup));
      }
    }
    return { PhysicalResourceId: keyId, StartedAt: this.startedAt(), Data: { Arn: key.Arn ?? this.keyArn(keyId), KeyId: keyId } };
  }

  /** A tag naming this request, so that a retried CreateKey finds the key an earlier attempt made. */
  private creationTag(): Tag {
    const value = `${this.event.LogicalResourceId ?? 'key'}/${this.event.RequestId ?? 'unknown-request'}`;
    return { TagKey: CREATION_TAG_KEY, TagValue: value.slice(-256) };
  }

  /**
   * Which CreateKey refusals may pass: a policy naming a principal KMS cannot see yet, and an external
   * store's CustomKeyStoreInvalidStateException while the store reads CONNECTED (its proxy rejected or
   * failed the request). A store that is not CONNECTED will not become so by waiting: no retry.
   */
  private async createRefusalWindow(err: unknown, desired: DesiredKey, refusals: InvalidStateRefusals): Promise<RefusalWindow | undefined> {
    const name = errorName(err);
    if (name === 'MalformedPolicyDocumentException') return POLICY_REFUSAL_WINDOW;
    if (name !== 'CustomKeyStoreInvalidStateException' || desired.origin !== EXTERNAL_KEY_STORE) return undefined;
    refusals.store = await this.deps.stores.describe(desired.storeId).catch(() => undefined);
    refusals.since ??= this.now();
    return refusals.store?.ConnectionState === ConnectionStateType.CONNECTED ? PROXY_REFUSAL_WINDOW : undefined;
  }

  private async createError(err: unknown, desired: DesiredKey, refusals: InvalidStateRefusals): Promise<KeyStoreError> {
    const name = errorName(err);
    const detail = err instanceof Error ? err.message : String(err);
    if (name === 'CustomKeyStoreInvalidStateException') {
      // The store as the last refusal found it, when that was read already.
      const store = refusals.since !== undefined ? refusals.store : await this.deps.stores.describe(desired.storeId).catch(() => undefined);
      if (store?.ConnectionState === ConnectionStateType.CONNECTED && desired.origin === EXTERNAL_KEY_STORE) {
        const retried = Math.round((this.now() - (refusals.since ?? this.now())) / 1000);
        return new KeyStoreError(proxyRejectedCreateKeyMessage(detail, desired.storeId, store.CustomKeyStoreName, retried));
      }
      return new KeyStoreError(storeNotConnectedMessage(desired.storeId, store?.CustomKeyStoreName, store?.ConnectionState ?? 'not CONNECTED'));
    }
    return new KeyStoreError(createKeyFailedMessage(name, detail, desired.storeId, desired.xksKeyId, Buffer.byteLength(desired.policy, 'utf8')));
  }

  /** `call`, tried again while `windowFor` says its refusal may pass, within the invocation's time. */
  private async retryingRefusals<T>(call: () => Promise<T>, windowFor: (err: unknown) => Promise<RefusalWindow | undefined>): Promise<T> {
    const remaining = this.deps.remainingTimeMs?.();
    return retryingPassingRefusals(call, windowFor, {
      now: this.now,
      sleep: this.deps.sleep ?? realSleep,
      deadline: remaining === undefined ? undefined : this.now() + remaining - REPORT_MARGIN_MS,
      onRetry: (error, delayMs) => {
        this.log({ step: 'key-refusal-retry', error, delayMs });
      },
    });
  }

  // ---- Update ----------------------------------------------------------------------------------

  protected async onUpdate(): Promise<KeyOnEventResult> {
    const desired = parseDesiredKey(this.event.ResourceProperties, 'ResourceProperties');
    const old = parseDesiredKey(this.event.OldResourceProperties, 'OldResourceProperties');
    const keyId = this.physicalId();
    if (needsNewKey(old, desired)) {
      // KMS cannot move a key: a new one, and CloudFormation then deletes the old one by its removal policy.
      const created = await this.createKey(desired);
      this.log({ step: 'replace-key', oldKey: keyId, newKey: created.PhysicalResourceId });
      return created;
    }
    const done: string[] = [];
    const step = async (name: string, action: () => Promise<void>): Promise<void> => {
      try {
        // A deploy moments after the one that made the key (or the rollback of such a deploy) may
        // meet KMS's new-key visibility lag: NotFoundException is believed only once it has passed.
        await this.keys.onNewKey(action);
        done.push(name);
      } catch (err) {
        throw new KeyStoreError(updateFailedMessage(errorName(err), err instanceof Error ? err.message : String(err), keyId, name, done, Buffer.byteLength(desired.policy, 'utf8')));
      }
    };
    if (old.description !== desired.description) {
      await step('UpdateKeyDescription', async () => this.keys.updateDescription(keyId, desired.description));
    }
    if (!samePolicy(old.policy, desired.policy)) {
      await step('PutKeyPolicy', async () =>
        this.retryingRefusals(
          async () => this.keys.putPolicy(keyId, desired.policy),
          // A principal the new policy names may have been created in this deployment.
          async (err) => Promise.resolve(errorName(err) === 'MalformedPolicyDocumentException' ? POLICY_REFUSAL_WINDOW : undefined),
        ),
      );
    }
    const tags = tagChanges(old.tags, desired.tags);
    if (tags.set.length > 0) {
      await step('TagResource', async () => this.keys.tag(keyId, tags.set));
    }
    if (tags.remove.length > 0) {
      await step('UntagResource', async () => this.keys.untag(keyId, tags.remove));
    }
    if (old.enabled !== desired.enabled) {
      await step(desired.enabled ? 'EnableKey' : 'DisableKey', async () => this.keys.setEnabled(keyId, desired.enabled));
    }
    this.log({ step: 'update-key', key: keyId, applied: done.join(',') || 'nothing' });
    return { PhysicalResourceId: keyId, StartedAt: this.startedAt(), Data: { Arn: this.keyArn(keyId), KeyId: keyId } };
  }

  // ---- Delete ----------------------------------------------------------------------------------

  protected async onDelete(): Promise<KeyOnEventResult> {
    const keyId = this.event.PhysicalResourceId ?? '';
    const result = { PhysicalResourceId: keyId, StartedAt: this.startedAt() };
    if (!KEY_ID_PATTERN.test(keyId)) {
      // Not a key this handler made (e.g. a Create that failed before it made one): nothing to delete.
      this.log({ step: 'delete-key', key: keyId, outcome: 'not a key id: nothing to delete' });
      return result;
    }
    const days = pendingWindow(this.event.ResourceProperties);
    try {
      // A key this stack made moments ago (a rollback of the deploy that made it) may not show in
      // KMS yet: NotFoundException is believed only once the visibility lag has had its time.
      const out = await this.keys.onNewKey(async () => this.keys.scheduleDeletion(keyId, days));
      this.log({ step: 'schedule-key-deletion', key: keyId, deletionDate: out.DeletionDate?.toISOString() });
      return result;
    } catch (err) {
      const name = errorName(err);
      if (name === 'NotFoundException') {
        this.log({ step: 'schedule-key-deletion', key: keyId, outcome: 'already gone' });
        return result;
      }
      if (name !== 'KMSInvalidStateException') {
        throw new KeyStoreError(scheduleFailedMessage(name, err instanceof Error ? err.message : String(err), keyId, undefined));
      }
      // Pending deletion already (an earlier attempt, or someone else) is what was asked for.
      const key = await this.keys.describe(keyId).catch(() => undefined);
      if (key?.KeyState === 'PendingDeletion') {
        this.log({ step: 'schedule-key-deletion', key: keyId, outcome: 'already pending deletion', deletionDate: key.DeletionDate?.toISOString() });
        return result;
      }
      throw new KeyStoreError(scheduleFailedMessage(name, err instanceof Error ? err.message : String(err), keyId, key?.KeyState));
    }
  }

  // ---- Helpers ---------------------------------------------------------------------------------

  private physicalId(): string {
    const id = this.event.PhysicalResourceId;
    if (!id || !KEY_ID_PATTERN.test(id)) {
      throw new KeyStoreError(notAKeyIdMessage(id));
    }
    return id;
  }

  /** The key's ARN, from the stack's partition, Region and account (KMS keys live in the stack's). */
  private keyArn(keyId: string): string {
    const [, partition, , region, account] = (this.event.StackId ?? '').split(':');
    return `arn:${partition || 'aws'}:kms:${region}:${account}:key/${keyId}`;
  }
}

/** The key's pending window from a Delete event's properties; KMS's default when they are unreadable. */
function pendingWindow(properties: unknown): number {
  try {
    return parseDesiredKey(properties, 'ResourceProperties').pendingWindowInDays;
  } catch {
    return 30;
  }
}

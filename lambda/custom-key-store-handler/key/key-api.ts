/**
 * The KMS key calls the key resource makes, each retried on transient errors (retry.ts), and the
 * search that makes CreateKey safe to retry.
 */
import {
  CreateKeyCommand,
  CreateKeyCommandInput,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  KeyMetadata,
  KMSClient,
  ListResourceTagsCommand,
  OriginType,
  PutKeyPolicyCommand,
  ScheduleKeyDeletionCommand,
  ScheduleKeyDeletionCommandOutput,
  Tag,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateKeyDescriptionCommand,
} from '@aws-sdk/client-kms';
import { errorName, explain } from '../../shared/errors';
import { findKeysInStore, KeyScanOptions } from '../../shared/key-scanner';
import { CREATION_SEARCH_FAILED_CONTEXT } from './messages';
import { isThrottling, isTransient, realSleep, RetryOptions, RetryPolicy, withRetry } from '../../shared/retry';

/** The window in which KMS counts CreateKey's quota (5 calls a second per account). */
const CREATE_KEY_QUOTA_WINDOW_MS = 1000;

/**
 * How long to wait for a new key to show in reads. KMS is eventually consistent: right after
 * CreateKey, ListKeys may omit the key and DescribeKey and the key operations may answer
 * NotFoundException (docs/kms-facts.md, "Eventual consistency of new keys"). Full-jitter backoff,
 * ~20 s at most; nothing is spent unless a read or an operation misses the key.
 */
const NEW_KEY_VISIBILITY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 500, maxDelayMs: 8_000 };

/** Searches for a key an earlier CreateKey may have made, before creating again. */
const CREATION_SEARCHES = 4;

export class KeyApi {
  /** The key calls share the scan's retry options: one retry policy and one call count for the handler. */
  private readonly retry: RetryOptions;

  constructor(
    public readonly kms: KMSClient,
    private readonly scan: KeyScanOptions = {},
  ) {
    this.retry = scan.retry ?? {};
  }

  /**
   * CreateKey, safe to retry. An attempt that failed in a way that may have taken effect (a
   * dropped connection, a 5xx, KMSInternalException: anything transient but throttling, which KMS
   * refuses before acting) may have made the key with its answer lost. Before trying again, the
   * keys of the store are searched for the creation tag, whose value names this CloudFormation
   * request: if one has it, that key is the result and no second key is made. A new key may not
   * show in ListKeys yet, so the search runs up to CREATION_SEARCHES times, spaced out, before a
   * second CreateKey. An XksKeyAlreadyInUseException is the same story seen from the write side
   * (the lost attempt, or a replayed Create event, holds the external key): the key that holds it
   * is adopted when it carries this request's creation tag.
   */
  public async createKey(input: CreateKeyCommandInput, creationTag: Tag): Promise<KeyMetadata> {
    let mayExist = false;
    let throttled = false;
    const sleep = this.retry.sleep ?? realSleep;
    const random = this.retry.random ?? Math.random;
    return withRetry(async () => {
      if (throttled) {
        // CreateKey allows 5 calls a second per account, and a stack's keys are created at once:
        // wait out the quota's one-second window (spread by jitter) rather than spend calls inside it.
        await sleep(CREATE_KEY_QUOTA_WINDOW_MS + Math.floor(random() * CREATE_KEY_QUOTA_WINDOW_MS));
      }
      if (mayExist && input.CustomKeyStoreId) {
        const found = await this.searchOwnKey(input.CustomKeyStoreId, creationTag, CREATION_SEARCHES);
        if (found) {
          return found;
        }
        // No earlier attempt took effect: the next failure decides whether to look again.
        mayExist = false;
      }
      try {
        const out = await this.kms.send(new CreateKeyCommand({ ...input, Tags: [...(input.Tags ?? []), creationTag] }));
        if (!out.KeyMetadata?.KeyId) {
          throw new Error('CreateKey returned no KeyMetadata');
        }
        return out.KeyMetadata;
      } catch (err) {
        throttled = isThrottling(err);
        mayExist ||= isTransient(err) && !throttled;
        if (errorName(err) === 'XksKeyAlreadyInUseException' && input.CustomKeyStoreId && input.XksKeyId) {
          const own = await this.searchOwnKey(input.CustomKeyStoreId, creationTag, CREATION_SEARCHES, input.XksKeyId);
          if (own) {
            return own;
          }
        }
        throw err;
      }
    }, this.retry);
  }

  /**
   * The key of this request (its creation tag; holding `xksKeyId` when given), searched for up to
   * `searches` times, spaced by NEW_KEY_VISIBILITY's backoff, as a new key may not be listed yet.
   * The lookup retries its own calls; a failure of it is final, so the retries do not stack.
   */
  private async searchOwnKey(storeId: string, tag: Tag, searches: number, xksKeyId?: string): Promise<KeyMetadata | undefined> {
    const sleep = this.retry.sleep ?? realSleep;
    const random = this.retry.random ?? Math.random;
    for (let search = 1; ; search++) {
      const found = await this.findByTag(storeId, tag, xksKeyId).catch((err: unknown) => {
        throw explain(err, CREATION_SEARCH_FAILED_CONTEXT);
      });
      if (found || search >= searches) {
        return found;
      }
      await sleep(backoff(search, random));
    }
  }

  /** The live key of `storeId` that carries `tag` (and holds `xksKeyId` when given), if any. */
  private async findByTag(storeId: string, tag: Tag, xksKeyId?: string): Promise<KeyMetadata | undefined> {
    const { keys } = await findKeysInStore(this.kms, storeId, this.scan);
    for (const key of keys) {
      if (key.keyState === 'PendingDeletion' || (xksKeyId !== undefined && key.xksKeyId !== xksKeyId)) {
        continue;
      }
      const tags = await this.listTags(key.keyId).catch((err: unknown) => {
        // Listed but not yet readable (eventual consistency), or gone since: not this one, this time.
        if (errorName(err) === 'NotFoundException') return [];
        throw err;
      });
      if (tags.some((t) => t.TagKey === tag.TagKey && t.TagValue === tag.TagValue)) {
        // The scan has read the key already; its id is all the caller needs (it derives the ARN).
        return { KeyId: key.keyId };
      }
    }
    return undefined;
  }

  /**
   * `call` on a key made in this invocation, or moments earlier by the same deployment (a rollback's
   * Delete): NotFoundException means KMS does not show the new key yet (eventual consistency), so
   * it is tried again within NEW_KEY_VISIBILITY's bounds.
   * Costs nothing more when the key is visible at once.
   */
  public async onNewKey<T>(call: () => Promise<T>): Promise<T> {
    const sleep = this.retry.sleep ?? realSleep;
    const random = this.retry.random ?? Math.random;
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (err) {
        if (errorName(err) !== 'NotFoundException' || attempt >= NEW_KEY_VISIBILITY.maxAttempts) {
          throw err;
        }
        await sleep(backoff(attempt, random));
      }
    }
  }

  private async listTags(keyId: string): Promise<Tag[]> {
    const tags: Tag[] = [];
    let marker: string | undefined;
    do {
      const out = await withRetry(async () => this.kms.send(new ListResourceTagsCommand({ KeyId: keyId, Marker: marker })), this.retry);
      tags.push(...(out.Tags ?? []));
      marker = out.Truncated ? out.NextMarker : undefined;
    } while (marker);
    return tags;
  }

  public async describe(keyId: string): Promise<KeyMetadata | undefined> {
    return (await withRetry(async () => this.kms.send(new DescribeKeyCommand({ KeyId: keyId })), this.retry)).KeyMetadata;
  }

  public async setEnabled(keyId: string, enabled: boolean): Promise<void> {
    await withRetry(async () => this.kms.send(enabled ? new EnableKeyCommand({ KeyId: keyId }) : new DisableKeyCommand({ KeyId: keyId })), this.retry);
  }

  public async putPolicy(keyId: string, policy: string): Promise<void> {
    await withRetry(async () => this.kms.send(new PutKeyPolicyCommand({ KeyId: keyId, Policy: policy })), this.retry);
  }

  public async updateDescription(keyId: string, description: string): Promise<void> {
    await withRetry(async () => this.kms.send(new UpdateKeyDescriptionCommand({ KeyId: keyId, Description: description })), this.retry);
  }

  public async tag(keyId: string, tags: Tag[]): Promise<void> {
    await withRetry(async () => this.kms.send(new TagResourceCommand({ KeyId: keyId, Tags: tags })), this.retry);
  }

  public async untag(keyId: string, tagKeys: string[]): Promise<void> {
    await withRetry(async () => this.kms.send(new UntagResourceCommand({ KeyId: keyId, TagKeys: tagKeys })), this.retry);
  }

  public async scheduleDeletion(keyId: string, days: number): Promise<ScheduleKeyDeletionCommandOutput> {
    return withRetry(async () => this.kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: days })), this.retry);
  }
}

/** The full-jitter wait before attempt `attempt + 1` of a visibility retry. */
function backoff(attempt: number, random: () => number): number {
  const ceiling = Math.min(NEW_KEY_VISIBILITY.maxDelayMs, NEW_KEY_VISIBILITY.baseDelayMs * 2 ** (attempt - 1));
  return Math.max(1, Math.floor(random() * ceiling));
}

export function asOrigin(origin: string): OriginType {
  return origin as OriginType;
}

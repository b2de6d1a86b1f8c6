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
import { explain } from '../../shared/errors';
import { findKeysInStore, KeyScanOptions } from '../key-scanner';
import { CREATION_SEARCH_FAILED_CONTEXT } from './messages';
import { isThrottling, isTransient, realSleep, RetryOptions, withRetry } from '../../shared/retry';

/** The window in which KMS counts CreateKey's quota (5 calls a second per account). */
const CREATE_KEY_QUOTA_WINDOW_MS = 1000;

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
   * request: if one has it, that key is the result and no second key is made.
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
        // The lookup retries its own calls; a failure of it is final here, so the retries do not stack.
        const found = await this.findByTag(input.CustomKeyStoreId, creationTag).catch((err: unknown) => {
          throw explain(err, CREATION_SEARCH_FAILED_CONTEXT);
        });
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
        throw err;
      }
    }, this.retry);
  }

  /** The live key of `storeId` that carries `tag`, if any. */
  private async findByTag(storeId: string, tag: Tag): Promise<KeyMetadata | undefined> {
    const { keys } = await findKeysInStore(this.kms, storeId, this.scan);
    for (const key of keys) {
      if (key.keyState === 'PendingDeletion') {
        continue;
      }
      const tags = await this.listTags(key.keyId);
      if (tags.some((t) => t.TagKey === tag.TagKey && t.TagValue === tag.TagValue)) {
        // The scan has read the key already; its id is all the caller needs (it derives the ARN).
        return { KeyId: key.keyId };
      }
    }
    return undefined;
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

export function asOrigin(origin: string): OriginType {
  return origin as OriginType;
}

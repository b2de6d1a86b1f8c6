/**
 * What the handler remembers of a store it adopted, in an SSM parameter per store: which stack and
 * resource adopted it, and the connection state it had then. The rollback Delete of that Create
 * needs both to give the store back as it was, and nothing else survives a failed Create: the
 * framework keeps no Data of a failed operation, a Delete event carries none, and the physical id
 * is the store id every key and output uses (ARCHITECTURE.md, "Adopting a store").
 *
 * The SSM client is loaded on first use: only stores declared with adoptExisting ever ask.
 */
import type { SSMClient } from '@aws-sdk/client-ssm';
import { ADOPTION_RECORD_PREFIX } from '../../../lib/private/contract/store-properties';
import { errorName } from '../../shared/errors';
import { RetryOptions, withRetry } from '../../shared/retry';

export interface AdoptionRecord {
  readonly stackId: string;
  readonly logicalId: string;
  /** The store's ConnectionState when the Create first found it. */
  readonly priorState: string;
  readonly adoptedAt: string;
}

export class AdoptionRecords {
  constructor(
    private readonly client: () => Promise<SSMClient>,
    private readonly retry: RetryOptions = {},
  ) {}

  /** The record of the store, undefined when there is none (or it is not one of ours). */
  public async read(stackId: string | undefined, storeId: string): Promise<AdoptionRecord | undefined> {
    const [{ GetParameterCommand }, ssm] = await Promise.all([import('@aws-sdk/client-ssm'), this.client()]);
    try {
      const out = await withRetry(async () => ssm.send(new GetParameterCommand({ Name: recordName(stackId, storeId) })), this.retry);
      return parseRecord(out.Parameter?.Value);
    } catch (err) {
      if (errorName(err) === 'ParameterNotFound') return undefined;
      throw err;
    }
  }

  public async write(storeId: string, record: AdoptionRecord): Promise<void> {
    const [{ PutParameterCommand }, ssm] = await Promise.all([import('@aws-sdk/client-ssm'), this.client()]);
    const input = { Name: recordName(record.stackId, storeId), Value: JSON.stringify(record), Type: 'String' as const, Overwrite: true };
    await withRetry(async () => ssm.send(new PutParameterCommand(input)), this.retry);
  }

  /** Removes the record; one already gone is fine (a retried call). */
  public async remove(stackId: string | undefined, storeId: string): Promise<void> {
    const [{ DeleteParameterCommand }, ssm] = await Promise.all([import('@aws-sdk/client-ssm'), this.client()]);
    try {
      await withRetry(async () => ssm.send(new DeleteParameterCommand({ Name: recordName(stackId, storeId) })), this.retry);
    } catch (err) {
      if (errorName(err) !== 'ParameterNotFound') throw err;
    }
  }
}

/** `<prefix>/<stack name>/<store id>`: the construct grants the handler its own stack's records only. */
function recordName(stackId: string | undefined, storeId: string): string {
  // arn:aws:cloudformation:<region>:<account>:stack/<name>/<guid>
  const stackName = stackId?.split(':')[5]?.split('/')[1] ?? 'unknown-stack';
  return `${ADOPTION_RECORD_PREFIX}/${stackName}/${storeId}`;
}

function parseRecord(value: string | undefined): AdoptionRecord | undefined {
  try {
    const parsed = JSON.parse(value ?? '') as Partial<AdoptionRecord>;
    if (typeof parsed.stackId === 'string' && typeof parsed.logicalId === 'string' && typeof parsed.priorState === 'string') {
      return { stackId: parsed.stackId, logicalId: parsed.logicalId, priorState: parsed.priorState, adoptedAt: typeof parsed.adoptedAt === 'string' ? parsed.adoptedAt : '' };
    }
  } catch {
    // Not a record this handler wrote: treated as none.
  }
  return undefined;
}

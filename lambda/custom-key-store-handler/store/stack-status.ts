/**
 * What the stack is doing while the handler runs: rolling a failed update back, or nothing at all.
 *
 * A custom resource's event does not say so, but the stack's status does. The handler needs to
 * know for the kmsuser password, which KMS rotates on every connect:
 * - a rollback of a password change would send back a password KMS has rotated away, which can
 *   never work and would leave the stack in UPDATE_ROLLBACK_FAILED;
 * - CloudFormation sends events only while a stack operation is in progress, so an Update that
 *   arrives when the stack is settled is a late duplicate, and re-sending its password would
 *   overwrite the one KMS rotated to since.
 *
 * A delete asks too: a store deleted by the rollback of its own create, or by the cleanup after
 * its replacement, is released rather than left failing when keys remain (release.ts).
 *
 * Only updates and deletes ask, so the CloudFormation client is loaded on first use, not at every cold start.
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { errorName } from '../../shared/errors';
import { RetryOptions, withRetry } from '../../shared/retry';

const ROLLBACK_STATUSES = new Set(['UPDATE_ROLLBACK_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS', 'IMPORT_ROLLBACK_IN_PROGRESS']);

export interface StackActivity {
  readonly rollingBack: boolean;
  /** No operation is in progress: the event is a late duplicate of one already answered. */
  readonly settled: boolean;
  /** The stack's status, when it could be read. */
  readonly status?: string;
  /** Why the status is unknown (the error DescribeStacks gave), when it is. */
  readonly unknownBecause?: string;
}

/** What is assumed when the stack's status cannot be read: a forward operation in progress. */
export const UNKNOWN_ACTIVITY: StackActivity = { rollingBack: false, settled: false };

export class StackStatusReader {
  constructor(
    private readonly client: () => Promise<CloudFormationClient>,
    private readonly retry: RetryOptions = {},
  ) {}

  /** What the stack is doing; when its status cannot be read, a forward update in progress. */
  public async activity(stackId: string | undefined): Promise<StackActivity> {
    if (!stackId) {
      return UNKNOWN_ACTIVITY;
    }
    try {
      const [{ DescribeStacksCommand }, client] = await Promise.all([import('@aws-sdk/client-cloudformation'), this.client()]);
      const out = await withRetry(async () => client.send(new DescribeStacksCommand({ StackName: stackId })), this.retry);
      const status = out.Stacks?.[0]?.StackStatus;
      if (status === undefined) {
        return UNKNOWN_ACTIVITY;
      }
      return { rollingBack: ROLLBACK_STATUSES.has(status), settled: !status.endsWith('_IN_PROGRESS'), status };
    } catch (err) {
      return { ...UNKNOWN_ACTIVITY, unknownBecause: errorName(err) };
    }
  }
}

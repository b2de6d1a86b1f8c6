/**
 * Whether an Update event is CloudFormation rolling a failed update back.
 *
 * A custom resource's event does not say so, but the stack's status does
 * (UPDATE_ROLLBACK_IN_PROGRESS). The handler needs to know for one reason: a rollback of a kmsuser
 * password change would send back a password that KMS has rotated away on its last connect, which
 * can never work and would leave the stack in UPDATE_ROLLBACK_FAILED.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { errorName } from './errors';
import { RetryOptions, withRetry } from './retry';

const ROLLBACK_STATUSES = new Set(['UPDATE_ROLLBACK_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS', 'IMPORT_ROLLBACK_IN_PROGRESS']);

export class StackStatusReader {
  constructor(
    private readonly client: CloudFormationClient,
    private readonly retry: RetryOptions = {},
    private readonly log: (entry: Record<string, string>) => void = () => undefined,
  ) {}

  /** True while the stack rolls back; false when it does not, or when its status cannot be read. */
  public async isRollingBack(stackId: string | undefined): Promise<boolean> {
    if (!stackId) {
      return false;
    }
    try {
      const out = await withRetry(async () => this.client.send(new DescribeStacksCommand({ StackName: stackId })), this.retry);
      const status = out.Stacks?.[0]?.StackStatus ?? '';
      return ROLLBACK_STATUSES.has(status);
    } catch (err) {
      // Without the status the update is treated as a forward one, as before this check existed.
      this.log({ step: 'stack-status-unknown', error: errorName(err) });
      return false;
    }
  }
}

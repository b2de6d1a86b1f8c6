/**
 * What the local endpoint knows of CloudFormation: the status of the stacks the runner plays, so
 * that DescribeStacks tells the handler when an update is a rollback, as the real service does.
 *
 * Inputs and outputs are the fields of CloudFormation's query protocol; the server renders XML.
 */
import { ServiceError } from '../endpoint/service-error';

type Json = Record<string, unknown>;

interface StackRecord {
  readonly stackId: string;
  readonly stackName: string;
  readonly createdAt: Date;
  status: string;
}

export class CloudFormationModel {
  private readonly stacks = new Map<string, StackRecord>();

  /** Called by the runner as the stack moves: CREATE_IN_PROGRESS, UPDATE_ROLLBACK_IN_PROGRESS, ... */
  public setStackStatus(stackId: string, stackName: string, status: string): void {
    const known = this.stacks.get(stackId);
    if (known) {
      known.status = status;
    } else {
      this.stacks.set(stackId, { stackId, stackName, createdAt: new Date(), status });
    }
  }

  public DescribeStacks(input: Json): Json {
    const name = input.StackName;
    const stack = [...this.stacks.values()].find((s) => s.stackId === name || s.stackName === name);
    if (typeof name !== 'string' || !stack) {
      throw new ServiceError('ValidationError', `Stack with id ${String(name)} does not exist`);
    }
    return { Stacks: [{ StackId: stack.stackId, StackName: stack.stackName, CreationTime: stack.createdAt.toISOString(), StackStatus: stack.status }] };
  }
}

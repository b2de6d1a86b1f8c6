/**
 * One custom key store resource: the onEvent and isComplete halves of each CloudFormation
 * operation, on the ResourceHandler base (common.ts). The event is read once, when the resource
 * is made (request.ts); each phase is in its own file (create.ts, update.ts, delete.ts).
 *
 * onEvent starts an operation and returns at once; isComplete is then called every poll interval
 * and acts as a reconciler (connection.ts): it reads the store's state, takes at most one step
 * towards the state the stack asks for, and says whether it is there. Every step is safe to repeat
 * (steps.ts), so a retried or replayed call ends in the same place. The one exception is a value
 * KMS never shows (the kmsuser password, the VPC endpoint service owner): it is sent exactly once,
 * from onEvent.
 *
 * KMS is eventually consistent ("in some cases it can take several minutes"), so a read right
 * after a change may miss a new store or show the state from before: within a grace period,
 * NotFound and stale states mean "not yet".
 */
import { ResourceHandler } from '../common';
import { ResourceDeps } from '../deps';
import { IsCompleteResult, KeyStoreEvent, OnEventResult } from '../events';
import { isCreateComplete, onCreate } from './create';
import { isDeleteComplete, onDelete } from './delete';
import { StoreRequest } from './request';
import { StoreSteps } from './steps';
import { isUpdateComplete, onUpdate } from './update';

export class CustomKeyStoreResource extends ResourceHandler<OnEventResult, IsCompleteResult> {
  private readonly steps: StoreSteps;

  constructor(deps: ResourceDeps, event: KeyStoreEvent) {
    super(deps, event);
    this.steps = new StoreSteps(deps, new StoreRequest(this.requestType, event, this.now));
  }

  protected async onCreate(): Promise<OnEventResult> {
    return onCreate(this.steps);
  }

  protected async isCreateComplete(): Promise<IsCompleteResult> {
    return isCreateComplete(this.steps);
  }

  protected async onUpdate(): Promise<OnEventResult> {
    return onUpdate(this.steps);
  }

  protected async isUpdateComplete(): Promise<IsCompleteResult> {
    return isUpdateComplete(this.steps);
  }

  protected async onDelete(): Promise<OnEventResult> {
    return onDelete(this.steps);
  }

  protected async isDeleteComplete(): Promise<IsCompleteResult> {
    return isDeleteComplete(this.steps);
  }
}

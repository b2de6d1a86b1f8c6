/**
 * What the custom key store and the key resources have in common, in the shape of aws-cdk's EKS
 * cluster-resource handler (custom-resource-handlers/lib/aws-eks/cluster-resource-handler/common.ts):
 * the RequestType is checked once, when the resource is made, and onEvent and isComplete each
 * dispatch to one protected method per phase.
 */
import { KeyStoreError } from '../shared/errors';
import { LogEntry, ResourceDeps } from './deps';
import { RequestType } from './events';
import { malformedEventMessage } from './messages';

/** The field of an event every resource reads first. */
export interface RequestTypeEvent {
  readonly RequestType?: string;
}

export abstract class ResourceHandler<OnEvent, IsComplete> {
  protected readonly requestType: RequestType;
  protected readonly now: () => number;
  protected readonly log: (entry: LogEntry) => void;

  protected constructor(
    protected readonly deps: ResourceDeps,
    event: RequestTypeEvent,
  ) {
    const type = event.RequestType;
    if (type !== 'Create' && type !== 'Update' && type !== 'Delete') {
      throw new KeyStoreError(malformedEventMessage(`RequestType '${type ?? ''}' is not Create, Update or Delete`));
    }
    this.requestType = type;
    this.now = deps.now ?? Date.now;
    this.log = deps.log ?? (() => undefined);
  }

  public async onEvent(): Promise<OnEvent> {
    switch (this.requestType) {
      case 'Create':
        return this.onCreate();
      case 'Update':
        return this.onUpdate();
      case 'Delete':
        return this.onDelete();
    }
  }

  public async isComplete(): Promise<IsComplete> {
    switch (this.requestType) {
      case 'Create':
        return this.isCreateComplete();
      case 'Update':
        return this.isUpdateComplete();
      case 'Delete':
        return this.isDeleteComplete();
    }
  }

  /** Now, as onEvent hands it on in StartedAt. */
  protected startedAt(): string {
    return new Date(this.now()).toISOString();
  }

  protected abstract onCreate(): Promise<OnEvent>;
  protected abstract onUpdate(): Promise<OnEvent>;
  protected abstract onDelete(): Promise<OnEvent>;
  protected abstract isCreateComplete(): Promise<IsComplete>;
  protected abstract isUpdateComplete(): Promise<IsComplete>;
  protected abstract isDeleteComplete(): Promise<IsComplete>;
}

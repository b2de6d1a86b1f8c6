/**
 * A custom key store's event, read once when the resource is made: the store's id, the store the
 * stack asks for (and asked for before an update), and the clock of the operation (onEvent's
 * StartedAt, which every isComplete call of the operation carries).
 */
import { KeyStoreError } from '../../shared/errors';
import { StoreView } from '../../shared/store-api';
import { KeyStoreEvent, RequestType } from '../events';
import { malformedEventMessage } from '../messages';
import { DesiredStore, parseDesiredStore } from './desired';
import { stateName, waitTimedOutMessage } from './messages';

/** How long a NotFound may be KMS's eventual consistency rather than a missing store. */
const VISIBILITY_GRACE_MS = 5 * 60 * 1000;

export class StoreRequest {
  /** The store id; absent only for a Create. */
  private readonly storeId?: string;
  /** The store the stack asks for: for a Delete, only when its properties are readable. */
  private readonly desired?: DesiredStore;
  private readonly old?: DesiredStore;

  constructor(
    public readonly type: RequestType,
    public readonly event: KeyStoreEvent,
    private readonly now: () => number,
  ) {
    // A Create's isComplete has the id too: the framework merges onEvent's answer into the event.
    this.storeId = event.PhysicalResourceId;
    if (type !== 'Create' && !this.storeId) {
      throw new KeyStoreError(malformedEventMessage(`PhysicalResourceId is missing from a ${type} event`));
    }
    if (type === 'Delete') {
      // A delete must go ahead even if the properties are unreadable; they only bound the wait.
      this.desired = tryParse(event.ResourceProperties);
    } else {
      this.desired = parseDesiredStore(event.ResourceProperties, 'ResourceProperties');
    }
    if (type === 'Update') {
      this.old = parseDesiredStore(event.OldResourceProperties, 'OldResourceProperties');
    }
  }

  /** The store the stack asks for. */
  public want(): DesiredStore {
    if (!this.desired) {
      throw new KeyStoreError(malformedEventMessage('ResourceProperties is missing'));
    }
    return this.desired;
  }

  /** The store the stack asks for, undefined for a Delete whose properties are unreadable. */
  public wantIfReadable(): DesiredStore | undefined {
    return this.desired;
  }

  /** The store the stack asked for before an update. */
  public wasBefore(): DesiredStore {
    if (!this.old) {
      throw new KeyStoreError(malformedEventMessage('OldResourceProperties is missing'));
    }
    return this.old;
  }

  public physicalId(): string {
    if (!this.storeId) {
      throw new KeyStoreError(malformedEventMessage(`PhysicalResourceId is missing from a ${this.type} event`));
    }
    return this.storeId;
  }

  /** Now, as onEvent hands it on in StartedAt. */
  public startedAt(): string {
    return new Date(this.now()).toISOString();
  }

  public stackAccount(): string | undefined {
    return this.event.StackId?.split(':')[4];
  }

  /** Fails the operation once it has waited longer than the store's waitTimeout. */
  public checkDeadline(id: string, store?: StoreView): void {
    const limit = this.desired?.waitTimeoutSeconds;
    const elapsed = this.elapsedMs();
    if (Number.isNaN(elapsed) || limit === undefined) {
      return;
    }
    if (elapsed / 1000 > limit) {
      throw new KeyStoreError(waitTimedOutMessage(id, this.type.toLowerCase(), Math.round(limit / 60), stateName(store?.ConnectionState)));
    }
  }

  /** Milliseconds since onEvent started; NaN when the event does not say. */
  public elapsedMs(): number {
    const started = this.event.StartedAt ? Date.parse(this.event.StartedAt) : NaN;
    return this.now() - started;
  }

  /** A store KMS does not show may be one too new for its reads yet. */
  public withinGrace(): boolean {
    const elapsed = this.elapsedMs();
    return !Number.isNaN(elapsed) && elapsed < VISIBILITY_GRACE_MS;
  }
}

function tryParse(raw: unknown): DesiredStore | undefined {
  try {
    return parseDesiredStore(raw, 'ResourceProperties');
  } catch {
    return undefined;
  }
}

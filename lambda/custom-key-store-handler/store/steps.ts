/**
 * The KMS steps the store's phases share, each safe to repeat: a retried or replayed call ends in
 * the same place. Creating a store adopts the one an earlier attempt of the same create made;
 * connecting and disconnecting take "already under way" for done; a read that fails is "not yet".
 */
import { ConnectionStateType } from '@aws-sdk/client-kms';
import { errorName, explain, KeyStoreError } from '../../shared/errors';
import { realSleep } from '../../shared/retry';
import { StoreApi, StoreView } from '../../shared/store-api';
import { LogEntry, ResourceDeps } from '../deps';
import { IsCompleteResult } from '../events';
import { DesiredStore } from './desired';
import { createInput } from './kms-input';
import * as messages from './messages';
import { reclaimReleased } from './release';
import { StoreRequest } from './request';

const { DISCONNECTED } = ConnectionStateType;

/** isComplete's answer while the store is on its way. */
export const NOT_YET: IsCompleteResult = { IsComplete: false };
/** How onEvent polls for a disconnect: briefly, or up to 8 minutes for a value only onEvent may send. */
const DEFAULT_SETTLE = { intervalMs: 1000, timeoutMs: 20_000, longTimeoutMs: 8 * 60 * 1000 };
/**
 * KMS checks an external key store's proxy at CreateCustomKeyStore and UpdateCustomKeyStore. Two of
 * its refusals can be a passing condition of the proxy: XksProxyUriUnreachableException (the
 * Developer Guide's "Monitoring an external key store" table: UpdateCustomKeyStore gets the
 * retryable proxy errors, timeouts, throttling and internal errors as this exception) and
 * XksProxyInvalidResponseException ("could also be a transient network issue", kms model).
 */
export const PASSING_PROXY_FAILURES: ReadonlySet<string> = new Set(['XksProxyUriUnreachableException', 'XksProxyInvalidResponseException']);
/** The longest pause between two tries of a call a passing proxy condition refused. */
const MAX_PROXY_RETRY_DELAY_MS = 30_000;
/** A store holding our name may be our own earlier attempt only if it is this young. */
const ADOPT_WINDOW_MS = 15 * 60 * 1000;

export class StoreSteps {
  public readonly stores: StoreApi;
  public readonly now: () => number;
  public readonly log: (entry: LogEntry) => void;

  constructor(
    public readonly deps: ResourceDeps,
    public readonly request: StoreRequest,
  ) {
    this.stores = deps.stores;
    this.now = deps.now ?? Date.now;
    this.log = deps.log ?? (() => undefined);
  }

  /** Creates the store, or adopts the one an earlier attempt of this create made; its id. */
  public async createStore(desired: DesiredStore): Promise<string> {
    const input = await createInput(desired, this.deps.secrets);
    const created = this.now();
    const outcome = await this.retryingPassingProxyFailures(desired, 'create', async () => this.stores.create(input, (existing) => isOwnRecentStore(existing, desired, created))).catch(async (err: unknown) => {
      const reclaimed = await reclaimReleased(this, input, err);
      if (reclaimed === undefined) {
        throw explain(err, messages.stepFailedContext('create', '', desired.name, '', errorName(err)));
      }
      return { id: reclaimed, adopted: false, foreign: undefined, reclaimed: true };
    });
    if (outcome.foreign) {
      throw new KeyStoreError(messages.adoptRefusedMessage(outcome.id, desired.name, outcome.foreign.CreationDate?.toISOString() ?? 'earlier'));
    }
    this.log({ step: 'reclaimed' in outcome ? 'reclaimed' : outcome.adopted ? 'adopted' : 'created', store: outcome.id, name: desired.name, type: desired.type });
    return outcome.id;
  }

  /**
   * Runs `call` (from onEvent), trying it again while KMS's check of the proxy meets a passing
   * condition, with growing pauses, for up to the store's waitTimeout (and no longer than onEvent
   * may wait); then the last refusal is rethrown as it came.
   */
  public async retryingPassingProxyFailures<T>(desired: DesiredStore, step: string, call: () => Promise<T>): Promise<T> {
    const sleep = this.deps.sleep ?? realSleep;
    const deadline = this.now() + Math.min(this.settle().longTimeoutMs, desired.waitTimeoutSeconds * 1000);
    let delay = this.settle().intervalMs;
    for (;;) {
      try {
        return await call();
      } catch (err) {
        if (!PASSING_PROXY_FAILURES.has(errorName(err)) || this.now() + delay > deadline) {
          throw err;
        }
        this.log({ step: 'proxy-check-retry', operation: step, error: errorName(err), delayMs: delay });
        await sleep(delay);
        delay = Math.min(delay * 2, MAX_PROXY_RETRY_DELAY_MS);
      }
    }
  }

  public async disconnectIgnoringState(id: string): Promise<void> {
    try {
      await this.stores.disconnect(id);
    } catch (err) {
      // Already DISCONNECTING or DISCONNECTED: the disconnect this step wanted is under way.
      if (errorName(err) !== 'CustomKeyStoreInvalidStateException') {
        throw explain(err, messages.stepFailedContext('disconnect', id, undefined, '', errorName(err)));
      }
    }
  }

  public async connectIgnoringState(id: string): Promise<void> {
    try {
      await this.stores.connect(id);
    } catch (err) {
      // DISCONNECTING: KMS has not finished the previous step; the next poll tries again.
      if (errorName(err) !== 'CustomKeyStoreInvalidStateException') {
        throw explain(err, messages.stepFailedContext('connect', id, undefined, DISCONNECTED, errorName(err)));
      }
    }
  }

  /** The store, null when it does not exist, undefined when KMS could not say just now. */
  public async describeOrNotYet(id: string): Promise<StoreView | null | undefined> {
    try {
      return (await this.stores.describe(id)) ?? null;
    } catch (err) {
      // isComplete is polled: a throttled or failing call means "not yet", never a failure.
      this.log({ step: 'describe-deferred', store: id, error: errorName(err) });
      return undefined;
    }
  }

  /**
   * Reads the store's state every settle interval until `done` says so (a store gone counts as
   * done with state undefined) or `timeoutMs` passes. A read that fails is one more "not yet".
   */
  public async pollState(id: string, timeoutMs: number, done: (state: string | undefined) => boolean): Promise<{ reached: boolean; seen?: string }> {
    const sleep = this.deps.sleep ?? realSleep;
    const deadline = this.now() + timeoutMs;
    let seen: string | undefined;
    while (this.now() < deadline) {
      const read = await this.stores.describe(id).then(
        (store) => ({ ok: true, state: store?.ConnectionState }),
        () => ({ ok: false, state: undefined }),
      );
      seen = read.ok ? read.state : seen;
      if (read.ok && done(read.state)) {
        return { reached: true, seen };
      }
      await sleep(this.settle().intervalMs);
    }
    return { reached: false, seen };
  }

  public settle(): Required<NonNullable<ResourceDeps['settle']>> {
    return { ...DEFAULT_SETTLE, ...this.deps.settle };
  }
}

/**
 * A store with our name, our type and our backing (a cluster backs one store at most; an XKS
 * endpoint and path serve one store at most), made in the last few minutes, is the one an
 * earlier attempt of this very create made. An older one is someone else's: never adopt it,
 * since the stack would later delete it.
 */
function isOwnRecentStore(existing: StoreView, desired: DesiredStore, createdAt: number): boolean {
  const age = createdAt - (existing.CreationDate?.getTime() ?? 0);
  const sameBacking = desired.cloudHsm
    ? existing.CloudHsmClusterId === desired.cloudHsm.clusterId
    : existing.XksProxyConfiguration?.UriEndpoint === desired.external?.uriEndpoint && existing.XksProxyConfiguration?.UriPath === desired.external?.uriPath;
  return age < ADOPT_WINDOW_MS && existing.CustomKeyStoreType === desired.type && sameBacking;
}

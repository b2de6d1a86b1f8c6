/**
 * One account's KMS in one Region, as the parts of the model share it: the stores and keys it holds,
 * the world outside it, the clock, and the switches for KMS's less convenient behaviours.
 */
import { Clock } from '../../clock';
import { stateAt } from './connection';
import { notFound, validation } from './errors';
import { Principals } from './principals';
import { Json, Key, StateStep, Store } from './records';
import { OutsideWorld, WorldOptions } from './world';

export interface ModelOptions extends WorldOptions {
  readonly accountId?: string;
  readonly region?: string;
  /** How long CONNECTING and DISCONNECTING last, in clock milliseconds. */
  readonly connectMs?: number;
  readonly disconnectMs?: number;
  /** KMS rotates kmsuser's password on every successful connect. Default true, as KMS always does. */
  readonly rotateKmsUserPassword?: boolean;
  /** How long an external key store's new settings take to be used by connects, in clock ms. Default 1,000 (KMS: up to five minutes). */
  readonly xksPropagationMs?: number;
  /** How long DescribeCustomKeyStores may miss a new store or show the state before a change, in clock ms. Default 0. */
  readonly visibilityLagMs?: number;
  /** A CloudHSM create whose values all match a DISCONNECTED store returns that store's id. Default true. */
  readonly createReturnsMatchingStore?: boolean;
  /** KMS checks an external key store's proxy at CreateCustomKeyStore and UpdateCustomKeyStore (proxy-checks.ts). Default true, as KMS always does. */
  readonly checkProxyAtCreateAndUpdate?: boolean;
  /**
   * How long a new key stays out of reads (ListKeys omits it; DescribeKey, ListResourceTags and the
   * key operations answer NotFoundException) after CreateKey, in clock ms. Default DEFAULT_KEY_VISIBILITY_LAG_MS:
   * KMS is eventually consistent ("Eventual consistency" in the Developer Guide), and CreateKey's own checks
   * (XksKeyAlreadyInUseException) see the key at once.
   */
  readonly keyVisibilityLagMs?: number;
  /**
   * CreateKey in a CONNECTED external key store calls its proxy, and a proxy that rejects or fails
   * the request makes CreateKey answer CustomKeyStoreInvalidStateException while the store stays
   * CONNECTED (proxy-requests.ts). Default true, as KMS always does.
   */
  readonly checkProxyAtCreateKey?: boolean;
  /**
   * How long a principal made while the model runs (the runner's AWS::IAM::Role resources) stays
   * invisible to KMS, in clock ms: CreateKey and PutKeyPolicy with a policy naming it answer
   * MalformedPolicyDocumentException meanwhile (principals.ts). Default DEFAULT_PRINCIPAL_VISIBILITY_LAG_MS.
   */
  readonly principalVisibilityLagMs?: number;
  /**
   * Callers signing with the credentials of a role the model knows (the runner gives each function
   * of a stack its role's, access-control.ts) are authorized by the role's identity policies, with
   * the condition keys KMS documents for each operation (authorization.ts). Default true, as IAM
   * always evaluates; callers with other credentials act as the account's administrator.
   */
  readonly evaluateIdentityPolicies?: boolean;
  /** KMS refuses a key policy over 32 KB (Developer Guide, resource quotas) with LimitExceededException. Default true. */
  readonly enforceKeyPolicyQuota?: boolean;
}

/** A small lag, on by default as KMS always has one; tests that read a new key at once move the clock. */
const DEFAULT_KEY_VISIBILITY_LAG_MS = 100;
/** IAM's eventual consistency usually passes within seconds; tests that need more set it, or move the clock. */
const DEFAULT_PRINCIPAL_VISIBILITY_LAG_MS = 5_000;

export class KmsAccount {
  public readonly accountId: string;
  public readonly region: string;
  public readonly world: OutsideWorld;
  public connectMs: number;
  public disconnectMs: number;
  public rotateKmsUserPassword: boolean;
  public xksPropagationMs: number;
  public visibilityLagMs: number;
  public createReturnsMatchingStore: boolean;
  public checkProxyAtCreateAndUpdate: boolean;
  public keyVisibilityLagMs: number;
  public checkProxyAtCreateKey: boolean;
  public principalVisibilityLagMs: number;
  public readonly evaluateIdentityPolicies: boolean;
  public enforceKeyPolicyQuota: boolean;
  /** The IAM principals made while the model runs, and when. */
  public readonly principals = new Principals();
  /** Set while the model is inspected (not KMS API): reads see every key as it really is. */
  public inspecting = false;
  public readonly stores = new Map<string, Store>();
  public readonly keys = new Map<string, Key>();

  constructor(
    public readonly clock: Clock,
    options: ModelOptions,
  ) {
    this.accountId = options.accountId ?? '111122223333';
    this.region = options.region ?? 'us-east-1';
    this.world = new OutsideWorld(options);
    this.connectMs = options.connectMs ?? 50;
    this.disconnectMs = options.disconnectMs ?? 50;
    this.rotateKmsUserPassword = options.rotateKmsUserPassword ?? true;
    this.xksPropagationMs = options.xksPropagationMs ?? 1000;
    this.visibilityLagMs = options.visibilityLagMs ?? 0;
    this.createReturnsMatchingStore = options.createReturnsMatchingStore ?? true;
    this.checkProxyAtCreateAndUpdate = options.checkProxyAtCreateAndUpdate ?? true;
    this.keyVisibilityLagMs = options.keyVisibilityLagMs ?? DEFAULT_KEY_VISIBILITY_LAG_MS;
    this.checkProxyAtCreateKey = options.checkProxyAtCreateKey ?? true;
    this.principalVisibilityLagMs = options.principalVisibilityLagMs ?? DEFAULT_PRINCIPAL_VISIBILITY_LAG_MS;
    this.evaluateIdentityPolicies = options.evaluateIdentityPolicies ?? true;
    this.enforceKeyPolicyQuota = options.enforceKeyPolicyQuota ?? true;
  }

  /** Whether reads show the key yet: a new key is invisible for keyVisibilityLagMs after CreateKey. */
  public visible(key: Key): boolean {
    return this.inspecting || key.createdAt + this.keyVisibilityLagMs <= this.clock.now();
  }

  /** MalformedPolicyDocumentException for a policy naming a principal KMS cannot see yet. */
  public checkPrincipalsVisible(policy: string): void {
    this.principals.checkVisible(policy, this.clock.now(), this.principalVisibilityLagMs);
  }

  /** The store an input's CustomKeyStoreId names: ValidationException or NotFound otherwise. */
  public store(input: Json): Store {
    const id = input.CustomKeyStoreId;
    if (typeof id !== 'string' || id.length < 1 || id.length > 64) {
      throw validation("1 validation error detected: Value at 'customKeyStoreId' failed to satisfy constraint: Member must have length between 1 and 64");
    }
    const store = this.stores.get(id);
    if (!store) throw notFound(id);
    return store;
  }

  /** The store's connection state at `at` (default now). */
  public stateOf(store: Store, at = this.clock.now()): StateStep {
    return stateAt(store, at);
  }

  /** The keys that still exist: those whose waiting period is over are deleted as they are met. */
  public *liveKeys(): Iterable<Key> {
    const now = this.clock.now();
    for (const key of this.keys.values()) {
      if (key.deletionDate !== undefined && key.deletionDate <= now) {
        // The waiting period is over: KMS deletes the key.
        this.keys.delete(key.id);
        continue;
      }
      yield key;
    }
  }
}

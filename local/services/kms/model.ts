/**
 * An in-memory model of one account's KMS custom key stores and keys, as the KMS Developer Guide
 * and API model document them (see docs/kms-facts.md): the five connection states with timed
 * transitions, every InvalidState rule, HasCMKs (keys pending deletion count until their date),
 * NotFound, NameInUse, the 10-store limit, the field constraints, keys Unavailable while their
 * store is disconnected, and connection failures with the ConnectionErrorCode KMS gives each cause.
 *
 * Where real KMS is less convenient than a naive model, so is this one (each switchable):
 * - kmsuser's password is rotated on every successful connect ("logs into the CloudHSM client as
 *   the kmsuser CU, and rotates its password": ConnectCustomKeyStore), so the password given at
 *   create is a bootstrap credential;
 * - external key store settings take a while to take effect ("can take up to five minutes":
 *   Developer Guide, editing an external key store), and a connect meanwhile uses the old ones;
 * - reads are eventually consistent: DescribeCustomKeyStores may not show a store, or its latest
 *   state, for a while after a change;
 * - a CloudHSM create whose values all match a DISCONNECTED store returns that store's id;
 * - CreateKey in a CONNECTED external key store fails (CustomKeyStoreInvalidStateException) while its
 *   proxy rejects or fails requests (proxy-requests.ts);
 * - a key policy naming a principal made moments ago is malformed until KMS sees it (principals.ts).
 *
 * This class is the model's face: the operations the endpoint routes to it, and the inspection the
 * tests and the demo use. The rules live in the parts, as KMS documents them: stores.ts (create,
 * describe, update, delete), connection.ts (connect, disconnect and the connection states), keys.ts,
 * and world.ts (the CloudHSM clusters, XKS proxies and VPC endpoint services outside KMS).
 *
 * Inputs and outputs are the JSON bodies of the KMS wire protocol; dates are epoch seconds.
 */
import { randomUUID } from 'crypto';
import { Clock } from '../../clock';
import { AccessControl } from './access-control';
import { KmsAccount, ModelOptions } from './account';
import { Connections } from './connection';
import { Crypto } from './crypto';
import { defaultKeyPolicy } from './inputs';
import { Keys } from './keys';
import { ConnectionState, Json, Key } from './records';
import { CustomKeyStores } from './stores';
import { Identity } from '../iam/identities';
import { ClusterSpec, ProxyBlip, ProxySpec, VpcEndpointServiceSpec } from './world';

export type { ModelOptions } from './account';

export class KmsModel {
  public readonly accountId: string;
  public readonly region: string;
  public readonly clusters: Map<string, ClusterSpec>;
  public readonly proxies: Map<string, ProxySpec>;
  public readonly vpcEndpointServices: Map<string, VpcEndpointServiceSpec>;
  /** External keys (by XksKeyId) that the XKS proxies do not have; any other id is found. */
  public readonly missingExternalKeys: Set<string>;
  /** External keys that exist but cannot back a KMS key (not AES-256, disabled, wrong usage). */
  public readonly invalidExternalKeys: Set<string>;
  private readonly account: KmsAccount;
  private readonly stores: CustomKeyStores;
  private readonly connections: Connections;
  private readonly keys: Keys;
  private readonly crypto: Crypto;
  /** Authorizes the callers whose role the model knows (the functions the runner runs). */
  public readonly accessControl: AccessControl;

  constructor(
    public readonly clock: Clock,
    options: ModelOptions = {},
  ) {
    this.account = new KmsAccount(clock, options);
    this.stores = new CustomKeyStores(this.account);
    this.connections = new Connections(this.account);
    this.keys = new Keys(this.account);
    this.crypto = new Crypto(this.account, this.keys);
    const account = this.account;
    this.accessControl = new AccessControl(
      { accountId: account.accountId, region: account.region, keyOf: (input) => keyNamed(account.keys, input.KeyId) },
      account.evaluateIdentityPolicies,
    );
    this.accountId = this.account.accountId;
    this.region = this.account.region;
    const world = this.account.world;
    this.clusters = world.clusters;
    this.proxies = world.proxies;
    this.vpcEndpointServices = world.vpcEndpointServices;
    this.missingExternalKeys = world.missingExternalKeys;
    this.invalidExternalKeys = world.invalidExternalKeys;
  }

  // ---- The switches (ModelOptions), which tests may turn while the model runs ----------------------

  public get connectMs(): number { return this.account.connectMs; }
  public set connectMs(ms: number) { this.account.connectMs = ms; }
  public get disconnectMs(): number { return this.account.disconnectMs; }
  public set disconnectMs(ms: number) { this.account.disconnectMs = ms; }
  public get rotateKmsUserPassword(): boolean { return this.account.rotateKmsUserPassword; }
  public set rotateKmsUserPassword(on: boolean) { this.account.rotateKmsUserPassword = on; }
  public get xksPropagationMs(): number { return this.account.xksPropagationMs; }
  public set xksPropagationMs(ms: number) { this.account.xksPropagationMs = ms; }
  public get visibilityLagMs(): number { return this.account.visibilityLagMs; }
  public set visibilityLagMs(ms: number) { this.account.visibilityLagMs = ms; }
  public get keyVisibilityLagMs(): number { return this.account.keyVisibilityLagMs; }
  public set keyVisibilityLagMs(ms: number) { this.account.keyVisibilityLagMs = ms; }
  public get createReturnsMatchingStore(): boolean { return this.account.createReturnsMatchingStore; }
  public set createReturnsMatchingStore(on: boolean) { this.account.createReturnsMatchingStore = on; }
  public get checkProxyAtCreateAndUpdate(): boolean { return this.account.checkProxyAtCreateAndUpdate; }
  public set checkProxyAtCreateAndUpdate(on: boolean) { this.account.checkProxyAtCreateAndUpdate = on; }
  public get checkProxyAtCreateKey(): boolean { return this.account.checkProxyAtCreateKey; }
  public set checkProxyAtCreateKey(on: boolean) { this.account.checkProxyAtCreateKey = on; }
  public get enforceKeyPolicyQuota(): boolean { return this.account.enforceKeyPolicyQuota; }
  public set enforceKeyPolicyQuota(on: boolean) { this.account.enforceKeyPolicyQuota = on; }
  public get principalVisibilityLagMs(): number { return this.account.principalVisibilityLagMs; }
  public set principalVisibilityLagMs(ms: number) { this.account.principalVisibilityLagMs = ms; }

  // ---- Custom key stores (stores.ts) and their connection (connection.ts) --------------------------

  public CreateCustomKeyStore(input: Json): Json { return this.stores.CreateCustomKeyStore(input); }
  public DescribeCustomKeyStores(input: Json): Json { return this.stores.DescribeCustomKeyStores(input); }
  public UpdateCustomKeyStore(input: Json): Json { return this.stores.UpdateCustomKeyStore(input); }
  public DeleteCustomKeyStore(input: Json): Json { return this.stores.DeleteCustomKeyStore(input); }
  public ConnectCustomKeyStore(input: Json): Json { return this.connections.ConnectCustomKeyStore(input); }
  public DisconnectCustomKeyStore(input: Json): Json { return this.connections.DisconnectCustomKeyStore(input); }

  // ---- Keys (keys.ts) ------------------------------------------------------------------------------

  public CreateKey(input: Json): Json { return this.keys.CreateKey(input); }
  public DescribeKey(input: Json): Json { return this.keys.DescribeKey(input); }
  public ListKeys(input: Json): Json { return this.keys.ListKeys(input); }
  public PutKeyPolicy(input: Json): Json { return this.keys.PutKeyPolicy(input); }
  public GetKeyPolicy(input: Json): Json { return this.keys.GetKeyPolicy(input); }
  public UpdateKeyDescription(input: Json): Json { return this.keys.UpdateKeyDescription(input); }
  public EnableKey(input: Json): Json { return this.keys.EnableKey(input); }
  public DisableKey(input: Json): Json { return this.keys.DisableKey(input); }
  public TagResource(input: Json): Json { return this.keys.TagResource(input); }
  public UntagResource(input: Json): Json { return this.keys.UntagResource(input); }
  public ListResourceTags(input: Json): Json { return this.keys.ListResourceTags(input); }
  public ScheduleKeyDeletion(input: Json): Json { return this.keys.ScheduleKeyDeletion(input); }
  public CancelKeyDeletion(input: Json): Json { return this.keys.CancelKeyDeletion(input); }

  // ---- Cryptographic operations a health probe uses (crypto.ts) ----------------------------------

  public GenerateRandom(input: Json): Json { return this.crypto.GenerateRandom(input); }
  public Encrypt(input: Json): Json { return this.crypto.Encrypt(input); }

  // ---- Inspection (tests and the demo; not KMS API) -----------------------------------------------

  /** Every store as it really is now (no visibility lag). */
  public storeSnapshot(): Array<{ id: string; name: string; state: ConnectionState; errorCode?: string }> {
    return [...this.account.stores.values()].map((s) => {
      const { state, errorCode } = this.account.stateOf(s);
      return { id: s.id, name: s.name, state, errorCode };
    });
  }

  /** What an operator does in the cluster: sets kmsuser's password (KMS is not told). */
  public setKmsUserPassword(clusterId: string, password: string): void {
    this.account.world.setKmsUserPassword(clusterId, password);
  }

  /** A passing proxy condition: KMS's next `checks` checks of the proxy at `endpoint` meet `kind`. */
  public blipProxy(endpoint: string, kind: ProxyBlip, checks: number): void {
    this.account.world.blipProxy(endpoint, kind, checks);
  }

  /** A role whose functions sign with the returned access key id: their calls are authorized by its policies. */
  public registerIdentity(identity: Identity): string {
    return this.accessControl.identities.register(identity);
  }

  /** AccessDeniedException when the caller with `accessKeyId` may not do `operation` (access-control.ts). */
  public authorize(accessKeyId: string | undefined, operation: string, input: Json): void {
    this.accessControl.authorize(accessKeyId, operation, input);
  }

  /** IAM made the principal `arn` now (the runner's AWS::IAM::Role): KMS sees it principalVisibilityLagMs later. */
  public registerPrincipal(arn: string): void {
    this.account.principals.register(arn, this.clock.now());
  }

  /** kmsuser's password in the cluster now: after a connect, one only KMS knows. */
  public kmsUserPassword(clusterId: string): string | undefined {
    return this.account.world.kmsUserPassword(clusterId);
  }

  /**
   * Gives a key a policy that does not allow the handler (as locked-down accounts do): ListKeys
   * still lists it and DeleteCustomKeyStore still counts it, but DescribeKey is denied.
   */
  public lockKey(keyId: string): void {
    this.inspect(() => this.keys.key({ KeyId: keyId })).locked = true;
  }

  /** Runs reads of the KMS API as things really are now: no key visibility lag (a test's view, not a caller's). */
  public inspect<T>(read: () => T): T {
    this.account.inspecting = true;
    try {
      return read();
    } finally {
      this.account.inspecting = false;
    }
  }

  public keysIn(storeId: string): string[] {
    return [...this.account.liveKeys()].filter((k) => k.storeId === storeId).map((k) => k.id);
  }

  /** Many plain keys at once, for benchmarks: not part of the KMS API. */
  public addPlainKeys(count: number): void {
    const { accountId, region, clock, keys } = this.account;
    for (let i = 0; i < count; i++) {
      const id = randomUUID();
      keys.set(id, { id, arn: `arn:aws:kms:${region}:${accountId}:key/${id}`, createdAt: clock.now(), origin: 'AWS_KMS', description: '', enabled: true, policy: defaultKeyPolicy(accountId), tags: new Map() });
    }
  }
}

/** The key a KeyId (id or ARN) names, as IAM sees it: without KMS's visibility rules. */
function keyNamed(keys: ReadonlyMap<string, Key>, ref: unknown): Key | undefined {
  if (typeof ref !== 'string') return undefined;
  return keys.get(ref.startsWith('arn:') ? ref.split('/').pop() ?? ref : ref);
}

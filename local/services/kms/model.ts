/**
 * An in-memory model of one account's KMS custom key stores and keys, as the KMS Developer Guide
 * and API model document them (see KMS-FACTS.md): the five connection states with timed
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
 * - a CloudHSM create whose values all match a DISCONNECTED store returns that store's id.
 *
 * A store's connection state is a timeline of (time, state) steps on the model's clock, so a test
 * that freezes the clock holds a transition for as long as it needs.
 *
 * Inputs and outputs are the JSON bodies of the KMS wire protocol; dates are epoch seconds.
 */
import { randomBytes, randomUUID } from 'crypto';
import * as rules from '../../../lib/private/contract/field-rules';
import { Clock } from '../../clock';
import { ServiceError } from '../../endpoint/service-error';
import { invalidState, notFound, validation } from './errors';

type Json = Record<string, unknown>;

export const STORE_LIMIT = 10;

export type ConnectionState = 'CONNECTED' | 'CONNECTING' | 'DISCONNECTED' | 'DISCONNECTING' | 'FAILED';

/** A CloudHSM cluster as KMS would find it. */
export interface ClusterSpec {
  /** False: the cluster was deleted (CLUSTER_NOT_FOUND). Default true. */
  readonly exists?: boolean;
  /** Active HSMs; 0 makes connections fail with INSUFFICIENT_CLOUDHSM_HSMS. Default 2. */
  readonly hsmCount?: number;
  /**
   * kmsuser's password in the cluster as an operator set it. Unset: the password the store was
   * created with (the operator made kmsuser with it). KMS replaces it on every connect.
   */
  readonly kmsUserPassword?: string;
  /** False: the cluster has no kmsuser crypto user (USER_NOT_FOUND). Default true. */
  readonly kmsUserExists?: boolean;
  /** kmsuser is logged in to the cluster, which blocks KMS (USER_LOGGED_IN). */
  readonly kmsUserLoggedIn?: boolean;
  /** A subnet of the cluster's configuration was deleted (SUBNET_NOT_FOUND). */
  readonly subnetDeleted?: boolean;
  /** The cluster's security group blocks KMS (NETWORK_ERRORS). */
  readonly networkBlocked?: boolean;
  /** Clusters of one backup lineage are related. Default: all unregistered clusters share one. */
  readonly lineage?: string;
}

/** An XKS proxy as KMS would reach it, by its URI endpoint. */
export interface ProxySpec {
  /** The credential the proxy accepts; any is accepted when unset. */
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  /** The path the proxy serves; any is accepted when unset (else XKS_PROXY_INVALID_CONFIGURATION). */
  readonly uriPath?: string;
  /** False makes connections fail with XKS_PROXY_NOT_REACHABLE. */
  readonly reachable?: boolean;
  /** The proxy's authorization rules deny KMS (XKS_PROXY_ACCESS_DENIED). */
  readonly deniesKms?: boolean;
}

/** A VPC endpoint service in front of an XKS proxy, by its service name. */
export interface VpcEndpointServiceSpec {
  /** False: XKS_VPC_ENDPOINT_SERVICE_NOT_FOUND. Default true. */
  readonly exists?: boolean;
  /** Its allowed principals include cks.kms.<region>.amazonaws.com. Default true. */
  readonly allowsKms?: boolean;
}

export interface ModelOptions {
  readonly accountId?: string;
  readonly region?: string;
  /** How long CONNECTING and DISCONNECTING last, in clock milliseconds. */
  readonly connectMs?: number;
  readonly disconnectMs?: number;
  readonly clusters?: Record<string, ClusterSpec>;
  readonly proxies?: Record<string, ProxySpec>;
  readonly vpcEndpointServices?: Record<string, VpcEndpointServiceSpec>;
  /** KMS rotates kmsuser's password on every successful connect. Default true, as KMS always does. */
  readonly rotateKmsUserPassword?: boolean;
  /** How long an external key store's new settings take to be used by connects, in clock ms. Default 1,000 (KMS: up to five minutes). */
  readonly xksPropagationMs?: number;
  /** How long DescribeCustomKeyStores may miss a new store or show the state before a change, in clock ms. Default 0. */
  readonly visibilityLagMs?: number;
  /** A CloudHSM create whose values all match a DISCONNECTED store returns that store's id. Default true. */
  readonly createReturnsMatchingStore?: boolean;
}

interface XksConfig {
  readonly endpoint: string;
  readonly path: string;
  readonly connectivity: string;
  readonly vpcServiceName?: string;
  readonly vpcServiceOwner?: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

interface StateStep {
  readonly at: number;
  readonly state: ConnectionState;
  readonly errorCode?: string;
}

interface Store {
  id: string;
  name: string;
  type: string;
  createdAt: number;
  /** The connection state over time: the state at t is that of the last step at or before t. */
  steps: StateStep[];
  clusterId?: string;
  trustAnchor?: string;
  /** The kmsuser password KMS holds for the store. */
  password?: string;
  /** The external key store's settings, as DescribeCustomKeyStores shows them. */
  xks?: XksConfig;
  /** The settings connects use, each from a time on: an update takes xksPropagationMs to arrive. */
  xksEffective: Array<{ readonly from: number; readonly config: XksConfig }>;
}

interface Key {
  id: string;
  arn: string;
  createdAt: number;
  origin: string;
  storeId?: string;
  description: string;
  xksKeyId?: string;
  enabled: boolean;
  deletionDate?: number;
  /** Its key policy does not allow the caller (no IAM delegation): DescribeKey is AccessDenied. */
  locked?: boolean;
  policy: string;
  tags: Map<string, string>;
}

export class KmsModel {
  public readonly accountId: string;
  public readonly region: string;
  public readonly clusters: Map<string, ClusterSpec>;
  public readonly proxies: Map<string, ProxySpec>;
  public readonly vpcEndpointServices: Map<string, VpcEndpointServiceSpec>;
  public connectMs: number;
  public disconnectMs: number;
  public rotateKmsUserPassword: boolean;
  public xksPropagationMs: number;
  public visibilityLagMs: number;
  public createReturnsMatchingStore: boolean;
  private readonly stores = new Map<string, Store>();
  private readonly keys = new Map<string, Key>();
  /** kmsuser's current password in each cluster, once KMS or an operator has set one. */
  private readonly kmsUserPasswords = new Map<string, string>();

  constructor(
    public readonly clock: Clock,
    options: ModelOptions = {},
  ) {
    this.accountId = options.accountId ?? '111122223333';
    this.region = options.region ?? 'us-east-1';
    this.connectMs = options.connectMs ?? 50;
    this.disconnectMs = options.disconnectMs ?? 50;
    this.clusters = new Map(Object.entries(options.clusters ?? {}));
    this.proxies = new Map(Object.entries(options.proxies ?? {}));
    this.vpcEndpointServices = new Map(Object.entries(options.vpcEndpointServices ?? {}));
    this.rotateKmsUserPassword = options.rotateKmsUserPassword ?? true;
    this.xksPropagationMs = options.xksPropagationMs ?? 1000;
    this.visibilityLagMs = options.visibilityLagMs ?? 0;
    this.createReturnsMatchingStore = options.createReturnsMatchingStore ?? true;
  }

  // ---- Custom key stores -------------------------------------------------------------------------

  public CreateCustomKeyStore(input: Json): Json {
    const name = this.field(input, 'CustomKeyStoreName', rules.CUSTOM_KEY_STORE_NAME, true) as string;
    const type = (input.CustomKeyStoreType as string | undefined) ?? 'AWS_CLOUDHSM';
    const now = this.clock.now();
    const store: Store = { id: `cks-${randomBytes(9).toString('hex').slice(0, 17)}`, name, type, createdAt: now, steps: [{ at: now, state: 'DISCONNECTED' }], xksEffective: [] };
    if (type === 'AWS_CLOUDHSM') {
      store.clusterId = this.field(input, 'CloudHsmClusterId', rules.CLOUD_HSM_CLUSTER_ID, true);
      // The model bounds only the length (1-5000); whether it is the cluster's certificate is KMS's call.
      store.trustAnchor = this.field(input, 'TrustAnchorCertificate', rules.TRUST_ANCHOR_CERTIFICATE, true);
      store.password = this.field(input, 'KeyStorePassword', rules.KEY_STORE_PASSWORD, true, true);
      const same = this.createReturnsMatchingStore ? [...this.stores.values()].find((s) => this.matchesForCreate(s, store)) : undefined;
      if (same) {
        return { CustomKeyStoreId: same.id };
      }
      this.checkNameFree(name);
      // "already associated with a CloudHSM key store in the account, or it shares a backup history
      // with a CloudHSM key store in the account" (CloudHsmClusterInUseException). Backup history is
      // modelled only for clusters given a lineage.
      const lineage = this.clusters.get(store.clusterId as string)?.lineage;
      const inUse = [...this.stores.values()].some((s) => s.clusterId === store.clusterId || (lineage !== undefined && this.clusters.get(s.clusterId ?? '')?.lineage === lineage));
      if (inUse) {
        throw new ServiceError('CloudHsmClusterInUseException', `Cluster ${store.clusterId} is already associated with a custom key store, or shares a backup history with one.`);
      }
      const cluster = this.clusters.get(store.clusterId as string) ?? {};
      if (cluster.exists === false) {
        throw new ServiceError('CloudHsmClusterNotFoundException', `Cluster ${store.clusterId} does not exist in this account and Region.`);
      }
      if ((cluster.hsmCount ?? 2) < 2) {
        throw new ServiceError('CloudHsmClusterInvalidConfigurationException', 'The cluster must have at least two active HSMs in different Availability Zones.');
      }
    } else if (type === 'EXTERNAL_KEY_STORE') {
      store.xks = this.xksConfig(input, undefined);
      // KMS checks the proxy's uniqueness first: a retried create meets its own store here.
      this.checkXksUnique(store.xks, undefined);
      this.checkNameFree(name);
      store.xksEffective.push({ from: now, config: store.xks });
    } else {
      throw validation(`1 validation error detected: Value '${type}' at 'customKeyStoreType' failed to satisfy constraint: Member must satisfy enum value set: [EXTERNAL_KEY_STORE, AWS_CLOUDHSM]`);
    }
    if (this.stores.size >= STORE_LIMIT) {
      throw new ServiceError('LimitExceededException', `This account already has ${STORE_LIMIT} custom key stores in this Region.`);
    }
    this.stores.set(store.id, store);
    return { CustomKeyStoreId: store.id };
  }

  public ConnectCustomKeyStore(input: Json): Json {
    const store = this.store(input);
    const state = this.stateOf(store);
    if (state.state === 'DISCONNECTING' || state.state === 'FAILED') {
      throw invalidState(store.id, state.state, 'ConnectCustomKeyStore');
    }
    if (state.state === 'DISCONNECTED') {
      const now = this.clock.now();
      const outcome = this.connectionOutcome(store, now);
      this.schedule(store, [{ at: now, state: 'CONNECTING' }, { at: now + this.connectMs, ...outcome }]);
    }
    return {};
  }

  public DisconnectCustomKeyStore(input: Json): Json {
    const store = this.store(input);
    const { state } = this.stateOf(store);
    if (state === 'DISCONNECTING' || state === 'DISCONNECTED') {
      throw invalidState(store.id, state, 'DisconnectCustomKeyStore');
    }
    const now = this.clock.now();
    this.schedule(store, [{ at: now, state: 'DISCONNECTING' }, { at: now + this.disconnectMs, state: 'DISCONNECTED' }]);
    return {};
  }

  public UpdateCustomKeyStore(input: Json): Json {
    const store = this.store(input);
    const { state } = this.stateOf(store);
    // "UpdateCustomKeyStore can be called on a custom key store in the CONNECTED state only to update
    // NewCustomKeyStoreName" (and, for external key stores, XksProxyUriPath and the credential);
    // every other property needs DISCONNECTED, and in FAILED, CONNECTING or DISCONNECTING nothing
    // may change (CustomKeyStoreInvalidStateException, UpdateCustomKeyStore in the API model).
    const online: string[] = [];
    const offline: string[] = [];
    const newName = this.field(input, 'NewCustomKeyStoreName', rules.CUSTOM_KEY_STORE_NAME, false);
    if (newName !== undefined) online.push('NewCustomKeyStoreName');
    if (newName !== undefined && newName !== store.name) {
      this.checkNameFree(newName);
    }
    let clusterId: string | undefined;
    let password: string | undefined;
    let xks = store.xks;
    if (store.type === 'AWS_CLOUDHSM') {
      clusterId = this.field(input, 'CloudHsmClusterId', rules.CLOUD_HSM_CLUSTER_ID, false);
      password = this.field(input, 'KeyStorePassword', rules.KEY_STORE_PASSWORD, false, true);
      if (clusterId !== undefined) offline.push('CloudHsmClusterId');
      if (password !== undefined) offline.push('KeyStorePassword');
    } else if (store.xks) {
      const offlineFields = ['XksProxyUriEndpoint', 'XksProxyConnectivity', 'XksProxyVpcEndpointServiceName', 'XksProxyVpcEndpointServiceOwner'];
      offline.push(...offlineFields.filter((f) => input[f] !== undefined));
      online.push(...['XksProxyUriPath', 'XksProxyAuthenticationCredential'].filter((f) => input[f] !== undefined));
      xks = this.xksConfig(input, store.xks);
      if (xks.connectivity !== store.xks.connectivity && xks.endpoint === store.xks.endpoint) {
        // "If you change the XksProxyConnectivity ..., you must also change the XksProxyUriEndpoint."
        throw validation(`Changing XksProxyConnectivity to ${xks.connectivity} requires a new XksProxyUriEndpoint as well.`);
      }
    }
    if (offline.length > 0 && state !== 'DISCONNECTED') {
      throw invalidState(store.id, state, `Changing ${offline.join(', ')}`);
    }
    if (online.length > 0 && state !== 'DISCONNECTED' && state !== 'CONNECTED') {
      throw invalidState(store.id, state, `Changing ${online.join(', ')}`);
    }
    if (clusterId !== undefined && clusterId !== store.clusterId && this.lineage(clusterId) !== this.lineage(store.clusterId as string)) {
      throw new ServiceError('CloudHsmClusterNotRelatedException', `Cluster ${clusterId} does not share a backup history with cluster ${store.clusterId}.`);
    }
    if (xks && xks !== store.xks) {
      this.checkXksUnique(xks, store.id);
    }
    if (xks && store.xks && state === 'CONNECTED' && input.XksProxyAuthenticationCredential !== undefined && !this.proxyAccepts(xks)) {
      // A connected store's new credential is tried on the proxy at once (xks-troubleshooting,
      // "UpdateCustomKeyStore fails with an XksProxyIncorrectAuthenticationCredentialException");
      // nothing changes, and the store keeps the credential it had.
      throw new ServiceError('XksProxyIncorrectAuthenticationCredentialException', 'The proxy credentials failed to authenticate to the specified external key store proxy.');
    }
    // Every check passed: apply the whole change at once, as KMS does.
    if (newName !== undefined) store.name = newName;
    if (clusterId !== undefined) store.clusterId = clusterId;
    if (password !== undefined) store.password = password;
    if (xks && xks !== store.xks) {
      store.xks = xks;
      store.xksEffective.push({ from: this.clock.now() + this.xksPropagationMs, config: xks });
    }
    return {};
  }

  public DeleteCustomKeyStore(input: Json): Json {
    const store = this.store(input);
    const { state } = this.stateOf(store);
    if (state !== 'DISCONNECTED') {
      throw invalidState(store.id, state, 'DeleteCustomKeyStore');
    }
    const remaining = [...this.liveKeys()].filter((k) => k.storeId === store.id);
    if (remaining.length > 0) {
      throw new ServiceError('CustomKeyStoreHasCMKsException', `Custom key store '${store.id}' contains ${remaining.length} KMS keys.`);
    }
    this.stores.delete(store.id);
    return {};
  }

  public DescribeCustomKeyStores(input: Json): Json {
    const id = input.CustomKeyStoreId as string | undefined;
    const name = input.CustomKeyStoreName as string | undefined;
    if (id !== undefined && name !== undefined) {
      throw validation('Specify CustomKeyStoreId or CustomKeyStoreName, not both.');
    }
    const limit = (input.Limit as number | undefined) ?? 1000;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw validation(`1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 1000`);
    }
    // An eventually consistent read: what was true visibilityLagMs ago.
    const seenAt = this.clock.now() - this.visibilityLagMs;
    let selected = [...this.stores.values()].filter((s) => s.createdAt <= seenAt).sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
    if (id !== undefined) {
      selected = selected.filter((s) => s.id === id);
      if (selected.length === 0) throw notFound(id);
    }
    if (name !== undefined) {
      selected = selected.filter((s) => s.name === name);
      if (selected.length === 0) throw new ServiceError('CustomKeyStoreNotFoundException', `No custom key store is named '${name}'.`);
    }
    const start = input.Marker !== undefined ? Number(input.Marker) : 0;
    const page = selected.slice(start, start + limit);
    const truncated = start + limit < selected.length;
    return { CustomKeyStores: page.map((s) => this.view(s, seenAt)), Truncated: truncated, ...(truncated ? { NextMarker: String(start + limit) } : {}) };
  }

  // ---- Keys --------------------------------------------------------------------------------------

  /** External keys (by XksKeyId) that the XKS proxies do not have; any other id is found. */
  public readonly missingExternalKeys = new Set<string>();
  /** External keys that exist but cannot back a KMS key (not AES-256, disabled, wrong usage). */
  public readonly invalidExternalKeys = new Set<string>();

  public CreateKey(input: Json): Json {
    const origin = (input.Origin as string | undefined) ?? 'AWS_KMS';
    const storeId = input.CustomKeyStoreId as string | undefined;
    if ((origin === 'AWS_CLOUDHSM' || origin === 'EXTERNAL_KEY_STORE') !== (storeId !== undefined)) {
      throw validation('CustomKeyStoreId is required with Origin AWS_CLOUDHSM or EXTERNAL_KEY_STORE, and only then.');
    }
    const description = (input.Description as string | undefined) ?? '';
    if (typeof description !== 'string' || description.length > 8192) {
      throw validation("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 8192");
    }
    const policy = input.Policy === undefined ? this.defaultKeyPolicy() : this.checkPolicy(input.Policy);
    const tags = this.checkTags(input.Tags ?? []);
    const xksKeyId = input.XksKeyId as string | undefined;
    if (xksKeyId !== undefined && origin !== 'EXTERNAL_KEY_STORE') {
      throw validation('XksKeyId is valid only with Origin EXTERNAL_KEY_STORE.');
    }
    let store: Store | undefined;
    if (storeId !== undefined) {
      // KMS creates only symmetric encryption, single-Region keys in custom key stores.
      if ((input.KeySpec ?? 'SYMMETRIC_DEFAULT') !== 'SYMMETRIC_DEFAULT' || (input.KeyUsage ?? 'ENCRYPT_DECRYPT') !== 'ENCRYPT_DECRYPT') {
        throw new ServiceError('UnsupportedOperationException', 'KMS keys in custom key stores must be symmetric encryption keys (KeySpec SYMMETRIC_DEFAULT, KeyUsage ENCRYPT_DECRYPT).');
      }
      if (input.MultiRegion === true) {
        throw new ServiceError('UnsupportedOperationException', 'Multi-Region keys cannot be created in a custom key store.');
      }
      store = this.store({ CustomKeyStoreId: storeId });
      if (store.type !== origin) {
        throw new ServiceError('IncorrectKeyException', `Origin ${origin} does not match the type of custom key store ${storeId}.`);
      }
      const { state } = this.stateOf(store);
      if (state !== 'CONNECTED') {
        throw invalidState(store.id, state, 'CreateKey');
      }
      if (origin === 'EXTERNAL_KEY_STORE') {
        this.field(input, 'XksKeyId', rules.XKS_KEY_ID, true);
        const id = xksKeyId as string;
        if ([...this.liveKeys()].some((k) => k.storeId === store?.id && k.xksKeyId === id)) {
          throw new ServiceError('XksKeyAlreadyInUseException', `The external key ${id} is already associated with a KMS key in this external key store.`);
        }
        if (this.missingExternalKeys.has(id)) {
          throw new ServiceError('XksKeyNotFoundException', `The external key store proxy could not find the external key ${id}.`);
        }
        if (this.invalidExternalKeys.has(id)) {
          throw new ServiceError('XksKeyInvalidConfigurationException', `The external key ${id} is not a 256-bit AES key that is enabled and can encrypt and decrypt.`);
        }
      } else if ((this.clusters.get(store.clusterId as string)?.hsmCount ?? 2) < 2) {
        throw new ServiceError('CloudHsmClusterInvalidConfigurationException', 'The associated CloudHSM cluster must have at least two active HSMs, each in a different Availability Zone.');
      }
    }
    const id = randomUUID();
    const key: Key = {
      id,
      arn: `arn:aws:kms:${this.region}:${this.accountId}:key/${id}`,
      createdAt: this.clock.now(),
      origin,
      storeId,
      description,
      xksKeyId,
      enabled: true,
      policy,
      tags,
    };
    this.keys.set(id, key);
    return { KeyMetadata: this.keyMetadata(key) };
  }

  public PutKeyPolicy(input: Json): Json {
    const key = this.usableKey(input, 'PutKeyPolicy', false);
    if ((input.PolicyName ?? 'default') !== 'default') {
      throw validation("1 validation error detected: Value at 'policyName' failed to satisfy constraint: the only valid policy name is 'default'");
    }
    key.policy = this.checkPolicy(input.Policy);
    return {};
  }

  public GetKeyPolicy(input: Json): Json {
    const key = this.usableKey(input, 'GetKeyPolicy', false);
    return { Policy: key.policy, PolicyName: 'default' };
  }

  public UpdateKeyDescription(input: Json): Json {
    const key = this.usableKey(input, 'UpdateKeyDescription', true);
    const description = input.Description;
    if (typeof description !== 'string' || description.length > 8192) {
      throw validation("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 8192");
    }
    key.description = description;
    return {};
  }

  public EnableKey(input: Json): Json {
    this.enabledState(input, 'EnableKey').enabled = true;
    return {};
  }

  public DisableKey(input: Json): Json {
    this.enabledState(input, 'DisableKey').enabled = false;
    return {};
  }

  public TagResource(input: Json): Json {
    const key = this.usableKey(input, 'TagResource', true);
    const tags = this.checkTags(input.Tags);
    const merged = new Map([...key.tags, ...tags]);
    if (merged.size > 50) {
      throw new ServiceError('TagException', 'A KMS key can have at most 50 tags.');
    }
    key.tags = merged;
    return {};
  }

  public UntagResource(input: Json): Json {
    const key = this.usableKey(input, 'UntagResource', true);
    const keys = input.TagKeys;
    if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string')) {
      throw validation('TagKeys is required.');
    }
    for (const k of keys as string[]) key.tags.delete(k);
    return {};
  }

  public ListResourceTags(input: Json): Json {
    const key = this.usableKey(input, 'ListResourceTags', false);
    const limit = (input.Limit as number | undefined) ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 50) {
      throw validation(`1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 50`);
    }
    const all = [...key.tags].map(([TagKey, TagValue]) => ({ TagKey, TagValue }));
    const start = input.Marker !== undefined ? Number(input.Marker) : 0;
    const truncated = start + limit < all.length;
    return { Tags: all.slice(start, start + limit), Truncated: truncated, ...(truncated ? { NextMarker: String(start + limit) } : {}) };
  }

  /** A key for an operation the key's policy governs; `notPendingDeletion` for those KMS refuses then. */
  private usableKey(input: Json, op: string, notPendingDeletion: boolean): Key {
    const key = this.key(input);
    if (key.locked) {
      throw new ServiceError('AccessDeniedException', `User: arn:aws:sts::${this.accountId}:assumed-role/handler is not authorized to perform: kms:${op} on resource: ${key.arn} because no resource-based policy allows the kms:${op} action`);
    }
    if (notPendingDeletion && key.deletionDate !== undefined) {
      throw new ServiceError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
    }
    return key;
  }

  /** EnableKey and DisableKey: refused while pending deletion or Unavailable (store disconnected). */
  private enabledState(input: Json, op: string): Key {
    const key = this.usableKey(input, op, true);
    if (this.keyState(key) === 'Unavailable') {
      throw new ServiceError('KMSInvalidStateException', `${key.arn} is unavailable.`);
    }
    return key;
  }

  private defaultKeyPolicy(): string {
    return JSON.stringify({ Version: '2012-10-17', Id: 'key-default-1', Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${this.accountId}:root` }, Action: 'kms:*', Resource: '*' }] });
  }

  /** What KMS checks of a key policy that a local model can: size, characters, JSON, statements. */
  private checkPolicy(policy: unknown): string {
    if (typeof policy !== 'string' || policy.length < 1 || policy.length > 131072 || !/^[\u0009\u000A\u000D\u0020-\u00FF]+$/.test(policy)) {
      throw validation("1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length between 1 and 131072 and match [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+");
    }
    let doc: { Statement?: unknown };
    try {
      doc = JSON.parse(policy) as { Statement?: unknown };
    } catch {
      throw new ServiceError('MalformedPolicyDocumentException', 'The key policy is not valid JSON.');
    }
    const statements = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement !== undefined ? [doc.Statement] : [];
    if (statements.length === 0 || statements.some((st) => typeof st !== 'object' || st === null || !('Effect' in st) || !('Principal' in st) || !('Action' in st))) {
      throw new ServiceError('MalformedPolicyDocumentException', 'The key policy must have statements, each with Effect, Principal and Action.');
    }
    return policy;
  }

  private checkTags(tags: unknown): Map<string, string> {
    if (!Array.isArray(tags)) throw validation('Tags must be a list.');
    const out = new Map<string, string>();
    for (const t of tags as Array<{ TagKey?: unknown; TagValue?: unknown }>) {
      const k = t.TagKey;
      const v = t.TagValue;
      if (typeof k !== 'string' || k.length < 1 || k.length > 128 || typeof v !== 'string' || v.length > 256) {
        throw validation("1 validation error detected: Value at 'tags' failed to satisfy constraint: tag keys are 1-128 characters and values 0-256");
      }
      if (k.startsWith('aws:')) throw new ServiceError('TagException', `Tag key ${k} uses the reserved prefix aws:.`);
      if (out.has(k)) throw new ServiceError('TagException', `Duplicate tag key ${k}.`);
      out.set(k, v);
    }
    if (out.size > 50) throw new ServiceError('TagException', 'A KMS key can have at most 50 tags.');
    return out;
  }

  /** Many plain keys at once, for benchmarks: not part of the KMS API. */
  public addPlainKeys(count: number): void {
    for (let i = 0; i < count; i++) {
      const id = randomUUID();
      this.keys.set(id, { id, arn: `arn:aws:kms:${this.region}:${this.accountId}:key/${id}`, createdAt: this.clock.now(), origin: 'AWS_KMS', description: '', enabled: true, policy: this.defaultKeyPolicy(), tags: new Map() });
    }
  }

  public ListKeys(input: Json): Json {
    const limit = (input.Limit as number | undefined) ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw validation(`1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 1000`);
    }
    const all = [...this.liveKeys()];
    const start = input.Marker !== undefined ? Number(input.Marker) : 0;
    const page = all.slice(start, start + limit);
    const truncated = start + limit < all.length;
    return { Keys: page.map((k) => ({ KeyId: k.id, KeyArn: k.arn })), Truncated: truncated, ...(truncated ? { NextMarker: String(start + limit) } : {}) };
  }

  public DescribeKey(input: Json): Json {
    const key = this.key(input);
    if (key.locked) {
      // A key policy that neither names the caller nor delegates to IAM denies even an admin role.
      throw new ServiceError('AccessDeniedException', `User: arn:aws:sts::${this.accountId}:assumed-role/handler is not authorized to perform: kms:DescribeKey on resource: ${key.arn} because no resource-based policy allows the kms:DescribeKey action`);
    }
    return { KeyMetadata: this.keyMetadata(key) };
  }

  public ScheduleKeyDeletion(input: Json): Json {
    const key = this.key(input);
    const days = (input.PendingWindowInDays as number | undefined) ?? 30;
    if (!Number.isInteger(days) || days < 7 || days > 30) {
      throw validation(`1 validation error detected: Value '${days}' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value between 7 and 30`);
    }
    if (key.deletionDate !== undefined) {
      throw new ServiceError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
    }
    key.deletionDate = this.clock.now() + days * 86_400_000;
    return { KeyId: key.arn, DeletionDate: key.deletionDate / 1000, KeyState: 'PendingDeletion', PendingWindowInDays: days };
  }

  public CancelKeyDeletion(input: Json): Json {
    const key = this.key(input);
    if (key.deletionDate === undefined) {
      throw new ServiceError('KMSInvalidStateException', `${key.arn} is not pending deletion.`);
    }
    key.deletionDate = undefined;
    key.enabled = false;
    return { KeyId: key.arn };
  }

  // ---- Inspection (tests and the demo; not KMS API) -----------------------------------------------

  /** Every store as it really is now (no visibility lag). */
  public storeSnapshot(): Array<{ id: string; name: string; state: ConnectionState; errorCode?: string }> {
    return [...this.stores.values()].map((s) => {
      const { state, errorCode } = this.stateOf(s);
      return { id: s.id, name: s.name, state, errorCode };
    });
  }

  /** What an operator does in the cluster: sets kmsuser's password (KMS is not told). */
  public setKmsUserPassword(clusterId: string, password: string): void {
    this.kmsUserPasswords.set(clusterId, password);
  }

  /** kmsuser's password in the cluster now: after a connect, one only KMS knows. */
  public kmsUserPassword(clusterId: string): string | undefined {
    return this.kmsUserPasswords.get(clusterId) ?? this.clusters.get(clusterId)?.kmsUserPassword;
  }

  /**
   * Gives a key a policy that does not allow the handler (as locked-down accounts do): ListKeys
   * still lists it and DeleteCustomKeyStore still counts it, but DescribeKey is denied.
   */
  public lockKey(keyId: string): void {
    this.key({ KeyId: keyId }).locked = true;
  }

  public keysIn(storeId: string): string[] {
    return [...this.liveKeys()].filter((k) => k.storeId === storeId).map((k) => k.id);
  }

  // ---- Internals ---------------------------------------------------------------------------------

  private store(input: Json): Store {
    const id = input.CustomKeyStoreId;
    if (typeof id !== 'string' || id.length < 1 || id.length > 64) {
      throw validation("1 validation error detected: Value at 'customKeyStoreId' failed to satisfy constraint: Member must have length between 1 and 64");
    }
    const store = this.stores.get(id);
    if (!store) throw notFound(id);
    return store;
  }

  /** The store's connection state at `at` (default now): the last step at or before it. */
  private stateOf(store: Store, at = this.clock.now()): StateStep {
    let current = store.steps[0];
    for (const step of store.steps) {
      if (step.at <= at) current = step;
    }
    return current;
  }

  /** Replaces whatever was still to come (a connect cut short by a disconnect) with `steps`. */
  private schedule(store: Store, steps: StateStep[]): void {
    const now = this.clock.now();
    const past = store.steps.filter((s) => s.at <= now);
    // Keep only what a lagging read can still show, so a long-lived store's timeline stays short.
    const keepFrom = now - this.visibilityLagMs;
    let firstKept = 0;
    past.forEach((step, i) => {
      if (step.at <= keepFrom) firstKept = i;
    });
    store.steps = [...past.slice(firstKept), ...steps];
  }

  /** The outcome of a connect started at `at`, with the settings KMS uses by then. */
  private connectionOutcome(store: Store, at: number): { state: ConnectionState; errorCode?: string } {
    const fail = (errorCode: string): { state: ConnectionState; errorCode: string } => ({ state: 'FAILED', errorCode });
    if (store.type === 'AWS_CLOUDHSM') {
      const clusterId = store.clusterId as string;
      const cluster = this.clusters.get(clusterId) ?? {};
      if (cluster.exists === false) return fail('CLUSTER_NOT_FOUND');
      if (cluster.subnetDeleted) return fail('SUBNET_NOT_FOUND');
      if (cluster.networkBlocked) return fail('NETWORK_ERRORS');
      if (cluster.hsmCount === 0) return fail('INSUFFICIENT_CLOUDHSM_HSMS');
      if (cluster.kmsUserExists === false) return fail('USER_NOT_FOUND');
      if (cluster.kmsUserLoggedIn) return fail('USER_LOGGED_IN');
      const inCluster = this.kmsUserPassword(clusterId) ?? store.password;
      if (inCluster !== store.password) return fail('INVALID_CREDENTIALS');
      if (this.rotateKmsUserPassword) {
        // KMS logs in as kmsuser and rotates its password: from now on only KMS knows it.
        const rotated = randomBytes(24).toString('base64url').slice(0, 32);
        this.kmsUserPasswords.set(clusterId, rotated);
        store.password = rotated;
      } else {
        this.kmsUserPasswords.set(clusterId, inCluster as string);
      }
      return { state: 'CONNECTED' };
    }
    const xks = this.effectiveXks(store, at);
    const proxy = this.proxies.get(xks.endpoint) ?? {};
    if (xks.connectivity === 'VPC_ENDPOINT_SERVICE') {
      const service = this.vpcEndpointServices.get(xks.vpcServiceName as string) ?? {};
      if (service.exists === false) return fail('XKS_VPC_ENDPOINT_SERVICE_NOT_FOUND');
      if (service.allowsKms === false) return fail('XKS_VPC_ENDPOINT_SERVICE_INVALID_CONFIGURATION');
    }
    if (proxy.reachable === false) return fail('XKS_PROXY_NOT_REACHABLE');
    if (proxy.uriPath !== undefined && proxy.uriPath !== xks.path) return fail('XKS_PROXY_INVALID_CONFIGURATION');
    if (!this.proxyAccepts(xks)) {
      // "INVALID_CREDENTIALS: One or both of the XksProxyAuthenticationCredential values is not valid."
      return fail('INVALID_CREDENTIALS');
    }
    if (proxy.deniesKms) return fail('XKS_PROXY_ACCESS_DENIED');
    return { state: 'CONNECTED' };
  }

  /** Whether the proxy at the settings' endpoint accepts their credential. */
  private proxyAccepts(xks: XksConfig): boolean {
    const proxy = this.proxies.get(xks.endpoint) ?? {};
    return (proxy.accessKeyId === undefined || proxy.accessKeyId === xks.accessKeyId) && (proxy.secretAccessKey === undefined || proxy.secretAccessKey === xks.secretAccessKey);
  }

  /** The external key store settings a connect at `at` uses: an update arrives xksPropagationMs late. */
  private effectiveXks(store: Store, at: number): XksConfig {
    let current = store.xksEffective[0];
    for (const entry of store.xksEffective) {
      if (entry.from <= at) current = entry;
    }
    return current.config;
  }

  /** The Developer Guide's case: a CloudHSM create that repeats a DISCONNECTED store's values. */
  private matchesForCreate(existing: Store, wanted: Store): boolean {
    return (
      existing.type === 'AWS_CLOUDHSM' &&
      existing.name === wanted.name &&
      existing.clusterId === wanted.clusterId &&
      (existing.trustAnchor ?? '').replace(/\s+/g, '') === (wanted.trustAnchor ?? '').replace(/\s+/g, '') &&
      this.stateOf(existing).state === 'DISCONNECTED'
    );
  }

  private lineage(clusterId: string): string {
    return this.clusters.get(clusterId)?.lineage ?? 'default';
  }

  private checkNameFree(name: string): void {
    if ([...this.stores.values()].some((s) => s.name === name)) {
      throw new ServiceError('CustomKeyStoreNameInUseException', `The custom key store name '${name}' is already in use in this account and Region.`);
    }
  }

  private checkXksUnique(xks: NonNullable<Store['xks']>, self: string | undefined): void {
    for (const other of this.stores.values()) {
      if (other.id === self || !other.xks) continue;
      if (other.xks.endpoint === xks.endpoint && other.xks.path === xks.path) {
        throw new ServiceError('XksProxyUriInUseException', 'The combination of XksProxyUriEndpoint and XksProxyUriPath is already in use by another external key store.');
      }
      if (xks.vpcServiceName !== undefined && other.xks.vpcServiceName === xks.vpcServiceName) {
        throw new ServiceError('XksProxyVpcEndpointServiceInUseException', 'The VPC endpoint service is already associated with another external key store.');
      }
    }
  }

  private xksConfig(input: Json, current: Store['xks']): NonNullable<Store['xks']> {
    const required = current === undefined;
    const endpoint = this.field(input, 'XksProxyUriEndpoint', rules.XKS_PROXY_URI_ENDPOINT, required) ?? current?.endpoint;
    const path = this.field(input, 'XksProxyUriPath', rules.XKS_PROXY_URI_PATH, required) ?? current?.path;
    const connectivity = (input.XksProxyConnectivity as string | undefined) ?? current?.connectivity;
    if (connectivity !== 'PUBLIC_ENDPOINT' && connectivity !== 'VPC_ENDPOINT_SERVICE') {
      throw validation(`XksProxyConnectivity must be PUBLIC_ENDPOINT or VPC_ENDPOINT_SERVICE, not '${String(connectivity)}'.`);
    }
    let vpcServiceName = this.field(input, 'XksProxyVpcEndpointServiceName', rules.XKS_VPC_ENDPOINT_SERVICE_NAME, false) ?? current?.vpcServiceName;
    let vpcServiceOwner = this.field(input, 'XksProxyVpcEndpointServiceOwner', rules.XKS_VPC_ENDPOINT_SERVICE_OWNER, false) ?? current?.vpcServiceOwner;
    if (connectivity === 'VPC_ENDPOINT_SERVICE' && vpcServiceName === undefined) {
      throw validation('XksProxyVpcEndpointServiceName is required when XksProxyConnectivity is VPC_ENDPOINT_SERVICE.');
    }
    if (connectivity === 'PUBLIC_ENDPOINT') {
      vpcServiceName = undefined;
      vpcServiceOwner = undefined;
    }
    let accessKeyId = current?.accessKeyId;
    let secretAccessKey = current?.secretAccessKey;
    const credential = input.XksProxyAuthenticationCredential as Json | undefined;
    if (credential !== undefined || required) {
      if (typeof credential !== 'object') {
        throw validation('XksProxyAuthenticationCredential is required for an external key store.');
      }
      accessKeyId = this.field(credential, 'AccessKeyId', rules.XKS_ACCESS_KEY_ID, true, true);
      secretAccessKey = this.field(credential, 'RawSecretAccessKey', rules.XKS_SECRET_ACCESS_KEY, true, true);
    }
    return { endpoint: endpoint as string, path: path as string, connectivity, vpcServiceName, vpcServiceOwner, accessKeyId: accessKeyId as string, secretAccessKey: secretAccessKey as string };
  }

  /** Reads a string field and checks it against the API model's constraint. */
  private field(input: Json, name: string, rule: rules.FieldRule, required: boolean, secret = false): string | undefined {
    const value = input[name];
    if (value === undefined) {
      if (required) throw validation(`1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`);
      return undefined;
    }
    if (typeof value !== 'string') throw validation(`${name} must be a string.`);
    const problem = rules.describeViolation(value, rule, secret);
    if (problem) {
      // KMS does not echo secret values in its messages either.
      throw validation(`1 validation error detected: Value ${secret ? '(sensitive)' : `'${rules.abbreviate(value)}'`} at '${name}' failed to satisfy constraint: ${problem}`);
    }
    return value;
  }

  private *liveKeys(): Iterable<Key> {
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

  private key(input: Json): Key {
    const ref = input.KeyId as string | undefined;
    if (typeof ref !== 'string') throw validation('KeyId is required.');
    const id = ref.startsWith('arn:') ? ref.split('/').pop() ?? ref : ref;
    const key = this.keys.get(id);
    if (!key || (key.deletionDate !== undefined && key.deletionDate <= this.clock.now())) {
      if (key) this.keys.delete(key.id);
      throw new ServiceError('NotFoundException', `Key '${ref}' does not exist`);
    }
    return key;
  }

  private keyState(key: Key): string {
    if (key.deletionDate !== undefined) return 'PendingDeletion';
    if (key.storeId !== undefined) {
      const store = this.stores.get(key.storeId);
      if (!store || this.stateOf(store).state !== 'CONNECTED') return 'Unavailable';
    }
    return key.enabled ? 'Enabled' : 'Disabled';
  }

  private keyMetadata(key: Key): Json {
    const store = key.storeId ? this.stores.get(key.storeId) : undefined;
    return {
      AWSAccountId: this.accountId,
      KeyId: key.id,
      Arn: key.arn,
      CreationDate: key.createdAt / 1000,
      Enabled: this.keyState(key) === 'Enabled',
      Description: key.description,
      KeyUsage: 'ENCRYPT_DECRYPT',
      KeyState: this.keyState(key),
      Origin: key.origin,
      KeyManager: 'CUSTOMER',
      KeySpec: 'SYMMETRIC_DEFAULT',
      ...(key.deletionDate !== undefined ? { DeletionDate: key.deletionDate / 1000 } : {}),
      ...(key.storeId ? { CustomKeyStoreId: key.storeId } : {}),
      ...(store?.clusterId ? { CloudHsmClusterId: store.clusterId } : {}),
      ...(key.xksKeyId ? { XksKeyConfiguration: { Id: key.xksKeyId } } : {}),
    };
  }

  /** The store as a read at `seenAt` shows it. */
  private view(s: Store, seenAt: number): Json {
    const { state, errorCode } = this.stateOf(s, seenAt);
    return {
      CustomKeyStoreId: s.id,
      CustomKeyStoreName: s.name,
      CustomKeyStoreType: s.type,
      ConnectionState: state,
      ...(state === 'FAILED' && errorCode ? { ConnectionErrorCode: errorCode } : {}),
      CreationDate: s.createdAt / 1000,
      ...(s.clusterId ? { CloudHsmClusterId: s.clusterId, TrustAnchorCertificate: s.trustAnchor } : {}),
      ...(s.xks
        ? {
            XksProxyConfiguration: {
              Connectivity: s.xks.connectivity,
              AccessKeyId: s.xks.accessKeyId,
              UriEndpoint: s.xks.endpoint,
              UriPath: s.xks.path,
              ...(s.xks.vpcServiceName ? { VpcEndpointServiceName: s.xks.vpcServiceName } : {}),
              ...(s.xks.vpcServiceOwner ? { VpcEndpointServiceOwner: s.xks.vpcServiceOwner } : {}),
            },
          }
        : {}),
    };
  }
}

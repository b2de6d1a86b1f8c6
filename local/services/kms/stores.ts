/**
 * Custom key stores: CreateCustomKeyStore, DescribeCustomKeyStores, UpdateCustomKeyStore and
 * DeleteCustomKeyStore, with every rule KMS documents for them: NameInUse, the 10-store limit, one
 * cluster (or backup lineage) per CloudHSM key store, one proxy URI and VPC endpoint service per
 * external key store, what may change in which connection state, HasCMKs (keys pending deletion
 * count until their date), and reads that are eventually consistent.
 */
import { randomBytes } from 'crypto';
import * as rules from '../../../lib/private/contract/field-rules';
import { ServiceError } from '../../endpoint/service-error';
import type { KmsAccount } from './account';
import { invalidState, notFound, validation } from './errors';
import { field, xksSettings } from './inputs';
import { checkProxy } from './proxy-checks';
import { Json, Store, XksConfig } from './records';

const STORE_LIMIT = 10;

export class CustomKeyStores {
  constructor(private readonly account: KmsAccount) {}

  public CreateCustomKeyStore(input: Json): Json {
    const { stores, world } = this.account;
    const name = field(input, 'CustomKeyStoreName', rules.CUSTOM_KEY_STORE_NAME, true) as string;
    const type = (input.CustomKeyStoreType as string | undefined) ?? 'AWS_CLOUDHSM';
    const now = this.account.clock.now();
    const store: Store = { id: `cks-${randomBytes(9).toString('hex').slice(0, 17)}`, name, type, createdAt: now, steps: [{ at: now, state: 'DISCONNECTED' }], xksEffective: [] };
    if (type === 'AWS_CLOUDHSM') {
      store.clusterId = field(input, 'CloudHsmClusterId', rules.CLOUD_HSM_CLUSTER_ID, true);
      // The model bounds only the length (1-5000); whether it is the cluster's certificate is KMS's call.
      store.trustAnchor = field(input, 'TrustAnchorCertificate', rules.TRUST_ANCHOR_CERTIFICATE, true);
      store.password = field(input, 'KeyStorePassword', rules.KEY_STORE_PASSWORD, true, true);
      const same = this.account.createReturnsMatchingStore ? [...stores.values()].find((s) => this.matchesForCreate(s, store)) : undefined;
      if (same) {
        return { CustomKeyStoreId: same.id };
      }
      this.checkNameFree(name);
      // "already associated with a CloudHSM key store in the account, or it shares a backup history
      // with a CloudHSM key store in the account" (CloudHsmClusterInUseException). Backup history is
      // modelled only for clusters given a lineage.
      const lineage = world.clusters.get(store.clusterId as string)?.lineage;
      const inUse = [...stores.values()].some((s) => s.clusterId === store.clusterId || (lineage !== undefined && world.clusters.get(s.clusterId ?? '')?.lineage === lineage));
      if (inUse) {
        throw new ServiceError('CloudHsmClusterInUseException', `Cluster ${store.clusterId} is already associated with a custom key store, or shares a backup history with one.`);
      }
      const cluster = world.clusters.get(store.clusterId as string) ?? {};
      if (cluster.exists === false) {
        throw new ServiceError('CloudHsmClusterNotFoundException', `Cluster ${store.clusterId} does not exist in this account and Region.`);
      }
      if ((cluster.hsmCount ?? 2) < 2) {
        throw new ServiceError('CloudHsmClusterInvalidConfigurationException', 'The cluster must have at least two active HSMs in different Availability Zones.');
      }
    } else if (type === 'EXTERNAL_KEY_STORE') {
      store.xks = xksSettings(input, undefined);
      // KMS checks the proxy's uniqueness first: a retried create meets its own store here.
      this.checkXksUnique(store.xks, undefined);
      this.checkNameFree(name);
      store.xksEffective.push({ from: now, config: store.xks });
    } else {
      throw validation(`1 validation error detected: Value '${type}' at 'customKeyStoreType' failed to satisfy constraint: Member must satisfy enum value set: [EXTERNAL_KEY_STORE, AWS_CLOUDHSM]`);
    }
    if (stores.size >= STORE_LIMIT) {
      throw new ServiceError('LimitExceededException', `This account already has ${STORE_LIMIT} custom key stores in this Region.`);
    }
    if (store.xks && this.account.checkProxyAtCreateAndUpdate) {
      checkProxy(world, store.xks, true);
    }
    stores.set(store.id, store);
    return { CustomKeyStoreId: store.id };
  }

  public UpdateCustomKeyStore(input: Json): Json {
    const store = this.account.store(input);
    const { state } = this.account.stateOf(store);
    // "UpdateCustomKeyStore can be called on a custom key store in the CONNECTED state only to update
    // NewCustomKeyStoreName" (and, for external key stores, XksProxyUriPath and the credential);
    // every other property needs DISCONNECTED, and in FAILED, CONNECTING or DISCONNECTING nothing
    // may change (CustomKeyStoreInvalidStateException, UpdateCustomKeyStore in the API model).
    const online: string[] = [];
    const offline: string[] = [];
    const newName = field(input, 'NewCustomKeyStoreName', rules.CUSTOM_KEY_STORE_NAME, false);
    if (newName !== undefined) online.push('NewCustomKeyStoreName');
    if (newName !== undefined && newName !== store.name) {
      this.checkNameFree(newName);
    }
    let clusterId: string | undefined;
    let password: string | undefined;
    let xks = store.xks;
    if (store.type === 'AWS_CLOUDHSM') {
      clusterId = field(input, 'CloudHsmClusterId', rules.CLOUD_HSM_CLUSTER_ID, false);
      password = field(input, 'KeyStorePassword', rules.KEY_STORE_PASSWORD, false, true);
      if (clusterId !== undefined) offline.push('CloudHsmClusterId');
      if (password !== undefined) offline.push('KeyStorePassword');
    } else if (store.xks) {
      const offlineFields = ['XksProxyUriEndpoint', 'XksProxyConnectivity', 'XksProxyVpcEndpointServiceName', 'XksProxyVpcEndpointServiceOwner'];
      offline.push(...offlineFields.filter((f) => input[f] !== undefined));
      online.push(...['XksProxyUriPath', 'XksProxyAuthenticationCredential'].filter((f) => input[f] !== undefined));
      xks = xksSettings(input, store.xks);
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
    const world = this.account.world;
    if (clusterId !== undefined && clusterId !== store.clusterId && world.lineage(clusterId) !== world.lineage(store.clusterId as string)) {
      throw new ServiceError('CloudHsmClusterNotRelatedException', `Cluster ${clusterId} does not share a backup history with cluster ${store.clusterId}.`);
    }
    if (xks && xks !== store.xks) {
      this.checkXksUnique(xks, store.id);
    }
    const proxyFields = [...online, ...offline].filter((f) => f.startsWith('XksProxy'));
    if (xks && proxyFields.length > 0 && this.account.checkProxyAtCreateAndUpdate) {
      // "The path must be reachable before you ... update its settings": the proxy is checked with
      // the new settings; nothing changes when a check fails. A connected store's new credential is
      // tried on the proxy at once; nothing changes, and the store keeps the credential it had.
      checkProxy(world, xks, state === 'CONNECTED' && input.XksProxyAuthenticationCredential !== undefined);
    } else if (xks && store.xks && state === 'CONNECTED' && input.XksProxyAuthenticationCredential !== undefined && !world.proxyAccepts(xks)) {
      throw new ServiceError('XksProxyIncorrectAuthenticationCredentialException', 'The proxy credentials failed to authenticate to the specified external key store proxy.');
    }
    // Every check passed: apply the whole change at once, as KMS does.
    if (newName !== undefined) store.name = newName;
    if (clusterId !== undefined) store.clusterId = clusterId;
    if (password !== undefined) store.password = password;
    if (xks && xks !== store.xks) {
      store.xks = xks;
      store.xksEffective.push({ from: this.account.clock.now() + this.account.xksPropagationMs, config: xks });
    }
    return {};
  }

  public DeleteCustomKeyStore(input: Json): Json {
    const store = this.account.store(input);
    const { state } = this.account.stateOf(store);
    if (state !== 'DISCONNECTED') {
      throw invalidState(store.id, state, 'DeleteCustomKeyStore');
    }
    const remaining = [...this.account.liveKeys()].filter((k) => k.storeId === store.id);
    if (remaining.length > 0) {
      throw new ServiceError('CustomKeyStoreHasCMKsException', `Custom key store '${store.id}' contains ${remaining.length} KMS keys.`);
    }
    this.account.stores.delete(store.id);
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
    const seenAt = this.account.clock.now() - this.account.visibilityLagMs;
    let selected = [...this.account.stores.values()].filter((s) => s.createdAt <= seenAt).sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
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

  /** The Developer Guide's case: a CloudHSM create that repeats a DISCONNECTED store's values. */
  private matchesForCreate(existing: Store, wanted: Store): boolean {
    return (
      existing.type === 'AWS_CLOUDHSM' &&
      existing.name === wanted.name &&
      existing.clusterId === wanted.clusterId &&
      (existing.trustAnchor ?? '').replace(/\s+/g, '') === (wanted.trustAnchor ?? '').replace(/\s+/g, '') &&
      this.account.stateOf(existing).state === 'DISCONNECTED'
    );
  }

  private checkNameFree(name: string): void {
    if ([...this.account.stores.values()].some((s) => s.name === name)) {
      throw new ServiceError('CustomKeyStoreNameInUseException', `The custom key store name '${name}' is already in use in this account and Region.`);
    }
  }

  private checkXksUnique(xks: XksConfig, self: string | undefined): void {
    for (const other of this.account.stores.values()) {
      if (other.id === self || !other.xks) continue;
      if (other.xks.endpoint === xks.endpoint && (xks.connectivity === 'VPC_ENDPOINT_SERVICE' || other.xks.connectivity === 'VPC_ENDPOINT_SERVICE')) {
        // A store with VPC endpoint service connectivity needs a proxy URI endpoint (the service's
        // private DNS name) of its own, whatever the path (XksProxyUriEndpointInUseException).
        // Which check KMS makes first is not documented: this one, so a retried create of such a
        // store meets this exception rather than XksProxyUriInUse (the less convenient answer).
        throw new ServiceError('XksProxyUriEndpointInUseException', 'The XksProxyUriEndpoint is already associated with another external key store in this Region.');
      }
      if (other.xks.endpoint === xks.endpoint && other.xks.path === xks.path) {
        throw new ServiceError('XksProxyUriInUseException', 'The combination of XksProxyUriEndpoint and XksProxyUriPath is already in use by another external key store.');
      }
      if (xks.vpcServiceName !== undefined && other.xks.vpcServiceName === xks.vpcServiceName) {
        throw new ServiceError('XksProxyVpcEndpointServiceInUseException', 'The VPC endpoint service is already associated with another external key store.');
      }
    }
  }

  /** The store as a read at `seenAt` shows it. */
  private view(s: Store, seenAt: number): Json {
    const { state, errorCode } = this.account.stateOf(s, seenAt);
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

/**
 * One custom key store resource: the onEvent and isComplete halves of each CloudFormation
 * operation, in the shape of aws-cdk's EKS cluster-resource handler.
 *
 * onEvent starts an operation and returns at once; isComplete is then called every poll interval
 * and acts as a reconciler: it reads the store's state, takes at most one step towards the state
 * the stack asks for, and says whether it is there. Every step is safe to repeat, so a retried or
 * replayed call ends in the same place.
 */
import { CreateCustomKeyStoreCommandInput, UpdateCustomKeyStoreCommandInput, XksProxyConnectivityType } from '@aws-sdk/client-kms';
import { CLOUD_HSM, EXTERNAL_KEY_STORE, STORE_ID_PATTERN, VPC_ENDPOINT_SERVICE } from '../lib/private/contract/resource-properties';
import { DesiredStore, parseDesiredStore, planUpdate, samePem, UpdatePlan } from './desired-store';
import { errorName, explain, KeyStoreError } from './errors';
import { findKeysInStore, KeyScanOptions } from './key-scanner';
import { connectionFailedMessage, hasKeysMessage } from './messages';
import { realSleep, Sleep } from './retry';
import { SecretReader } from './secrets';
import { StoreApi, StoreView } from './store-api';

export const CONNECTED = 'CONNECTED';
export const CONNECTING = 'CONNECTING';
export const DISCONNECTED = 'DISCONNECTED';
export const DISCONNECTING = 'DISCONNECTING';
export const FAILED = 'FAILED';

/** The event the Provider framework passes on; isComplete also gets onEvent's extra fields. */
export interface KeyStoreEvent {
  readonly RequestType?: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties?: unknown;
  readonly OldResourceProperties?: unknown;
  readonly StackId?: string;
  readonly LogicalResourceId?: string;
  readonly RequestId?: string;
  /** The store's state when onEvent first saw it: a failed delete restores it. */
  readonly PriorConnectionState?: string;
  /** When onEvent started, ISO 8601: isComplete gives up after WaitTimeoutSeconds. */
  readonly StartedAt?: string;
  /** onEvent already made the update that needed the store disconnected. */
  readonly UpdateApplied?: boolean;
  /** onEvent made a new store to replace the old one. */
  readonly Replacement?: boolean;
}

export interface OnEventResult {
  readonly PhysicalResourceId: string;
  readonly PriorConnectionState?: string;
  readonly StartedAt: string;
  readonly UpdateApplied?: boolean;
  readonly Replacement?: boolean;
}

export interface IsCompleteResult {
  readonly IsComplete: boolean;
  readonly Data?: Record<string, string>;
}

export interface LogEntry {
  readonly [key: string]: string | number | boolean | undefined;
}

export interface ResourceDeps {
  readonly stores: StoreApi;
  readonly secrets: SecretReader;
  readonly scan?: KeyScanOptions;
  readonly now?: () => number;
  readonly sleep?: Sleep;
  /** How onEvent waits for KMS to show that a disconnect has begun. */
  readonly settle?: { readonly intervalMs: number; readonly timeoutMs: number };
  readonly log?: (entry: LogEntry) => void;
}

const NOT_YET: IsCompleteResult = { IsComplete: false };
/** A store holding our name may be our own earlier attempt only if it is this young. */
const ADOPT_WINDOW_MS = 15 * 60 * 1000;

export class CustomKeyStoreResource {
  private readonly stores: StoreApi;
  private readonly now: () => number;
  private readonly log: (entry: LogEntry) => void;

  constructor(
    private readonly deps: ResourceDeps,
    private readonly event: KeyStoreEvent,
  ) {
    this.stores = deps.stores;
    this.now = deps.now ?? Date.now;
    this.log = deps.log ?? (() => undefined);
  }

  public async onEvent(): Promise<OnEventResult> {
    switch (this.event.RequestType) {
      case 'Create':
        return this.onCreate();
      case 'Update':
        return this.onUpdate();
      case 'Delete':
        return this.onDelete();
      default:
        throw unknownRequestType(this.event.RequestType);
    }
  }

  public async isComplete(): Promise<IsCompleteResult> {
    switch (this.event.RequestType) {
      case 'Create':
        return this.isCreateComplete();
      case 'Update':
        return this.isUpdateComplete();
      case 'Delete':
        return this.isDeleteComplete();
      default:
        throw unknownRequestType(this.event.RequestType);
    }
  }

  // ---- Create ----------------------------------------------------------------------------------

  public async onCreate(): Promise<OnEventResult> {
    const desired = parseDesiredStore(this.event.ResourceProperties, 'ResourceProperties');
    const id = await this.createStore(desired);
    return { PhysicalResourceId: id, StartedAt: this.startedAt() };
  }

  public async isCreateComplete(): Promise<IsCompleteResult> {
    const desired = parseDesiredStore(this.event.ResourceProperties, 'ResourceProperties');
    return this.reconcileConnection(this.physicalId(), desired, true);
  }

  // ---- Update ----------------------------------------------------------------------------------

  public async onUpdate(): Promise<OnEventResult> {
    const desired = parseDesiredStore(this.event.ResourceProperties, 'ResourceProperties');
    const old = parseDesiredStore(this.event.OldResourceProperties, 'OldResourceProperties');
    const id = this.physicalId();
    let plan = planUpdate(old, desired);
    const current = plan.replace ? await this.stores.describe(id) : undefined;
    if (current && this.hasIdentity(current, desired)) {
      plan = planUpdate(old, desired, true);
    }
    if (plan.replace) {
      if (!plan.nameChanged) {
        throw new KeyStoreError(
          `ReplacementNeedsNewName: changing the ${old.type !== desired.type ? 'store type' : 'trust anchor certificate'} of custom key store ${id} ('${old.name}') needs a new store, ` +
            'and store names are unique in an account and Region, so the new store needs a new customKeyStoreName. Nothing was changed. ' +
            'Change customKeyStoreName as well and deploy again; CloudFormation then deletes the old store once the new one is in place.',
        );
      }
      const newId = await this.createStore(desired);
      this.log({ step: 'replace', oldStore: id, newStore: newId });
      return { PhysicalResourceId: newId, StartedAt: this.startedAt(), Replacement: true };
    }

    const store = current ?? (await this.requireStore(id));
    const state = store.ConnectionState ?? 'UNKNOWN';
    let updateApplied = false;
    if (plan.offline.length === 0) {
      if (plan.online.length > 0) {
        await this.applyUpdate(id, desired, plan, false, state);
      }
    } else if (state === DISCONNECTED) {
      await this.applyUpdate(id, desired, plan, true, state);
      updateApplied = true;
    } else {
      this.log({ step: 'disconnect-for-update', store: id, state, fields: plan.offline.join(',') });
      await this.disconnectAndSettle(id, state);
    }
    // The connection change, if any, is isComplete's: the framework calls it right after this.
    return { PhysicalResourceId: id, PriorConnectionState: state, StartedAt: this.startedAt(), UpdateApplied: updateApplied };
  }

  public async isUpdateComplete(): Promise<IsCompleteResult> {
    const desired = parseDesiredStore(this.event.ResourceProperties, 'ResourceProperties');
    const old = parseDesiredStore(this.event.OldResourceProperties, 'OldResourceProperties');
    const id = this.physicalId();
    if (this.event.Replacement === true) {
      return this.reconcileConnection(id, desired, true);
    }
    // onEvent decided against a replacement, so compare everything but the identity.
    const plan = planUpdate(old, desired, true);
    const store = await this.describeOrNotYet(id);
    this.checkDeadline(desired, id, store ?? undefined);
    if (store === undefined) {
      return NOT_YET;
    }
    if (store === null) {
      throw new KeyStoreError(`CustomKeyStoreNotFoundException: custom key store ${id} ('${desired.name}') no longer exists, so it cannot be updated. Remove the CustomKeyStore from the stack, or restore the store outside CloudFormation and import it.`);
    }
    const state = store.ConnectionState ?? 'UNKNOWN';
    const offlinePending = plan.offline.length > 0 && this.event.UpdateApplied !== true;
    if (offlinePending) {
      if (state === DISCONNECTING) {
        return NOT_YET;
      }
      if (state === DISCONNECTED) {
        const applied = await this.applyUpdateOrNotYet(id, desired, plan);
        if (!applied) {
          return NOT_YET;
        }
      } else if (!this.matchesObservableSettings(store, desired)) {
        // KMS still shows the store as it was before onEvent's disconnect: disconnect again.
        await this.disconnectIgnoringState(id);
        return NOT_YET;
      }
    }
    const failedBefore = this.event.PriorConnectionState === FAILED && plan.offline.length === 0 && !plan.connectedChanged;
    return this.reconcileConnection(id, desired, !failedBefore, store);
  }

  // ---- Delete ----------------------------------------------------------------------------------

  public async onDelete(): Promise<OnEventResult> {
    const id = this.physicalId();
    const startedAt = this.startedAt();
    if (!STORE_ID_PATTERN.test(id)) {
      this.log({ step: 'delete-skipped', reason: 'not a custom key store id', physicalResourceId: id });
      return { PhysicalResourceId: id, StartedAt: startedAt };
    }
    const store = await this.stores.describe(id);
    if (!store) {
      this.log({ step: 'delete-skipped', reason: 'store does not exist', store: id });
      return { PhysicalResourceId: id, StartedAt: startedAt };
    }
    const state = store.ConnectionState ?? 'UNKNOWN';
    if (state === CONNECTED || state === CONNECTING || state === FAILED) {
      await this.failIfKeysRemain(store, state, ', as it was before the delete; nothing was changed');
      // No wait for KMS to show the disconnect: isDeleteComplete handles a stale CONNECTED by
      // checking for keys again, and each saved DescribeCustomKeyStores call matters when a
      // stack deletes several stores at once under the account's 5 calls/s.
      await this.disconnectIgnoringState(id);
    } else if (state === DISCONNECTED) {
      await this.deleteOrExplain(store);
    }
    return { PhysicalResourceId: id, PriorConnectionState: state, StartedAt: startedAt };
  }

  public async isDeleteComplete(): Promise<IsCompleteResult> {
    const id = this.physicalId();
    if (!STORE_ID_PATTERN.test(id)) {
      return { IsComplete: true };
    }
    const store = await this.describeOrNotYet(id);
    if (store === undefined) {
      return NOT_YET;
    }
    if (store === null) {
      return { IsComplete: true };
    }
    this.checkDeadline(undefined, id, store);
    const state = store.ConnectionState ?? 'UNKNOWN';
    const prior = this.event.PriorConnectionState;
    const wasConnected = prior === CONNECTED || prior === CONNECTING;
    switch (state) {
      case DISCONNECTED: {
        const deleted = await this.tryDelete(id);
        if (deleted) {
          return { IsComplete: true };
        }
        // A key was created after the check: put the store back the way it was found.
        if (wasConnected) {
          this.log({ step: 'reconnect-after-race', store: id });
          await this.connectIgnoringState(id);
          return NOT_YET;
        }
        await this.failIfKeysRemain(store, DISCONNECTED, prior === FAILED ? ' (it was FAILED before the delete and cannot be put back in that state)' : ', as it was before the delete');
        // The keys went away between the delete and the scan: try again next poll.
        return NOT_YET;
      }
      case CONNECTED:
      case FAILED: {
        // Either the reconnect after a race finished, or KMS still shows the state from before
        // onEvent's disconnect. Either way: report keys if any, else disconnect (again).
        const note = state === FAILED && wasConnected ? ` (it was ${prior} before the delete; reconnecting failed with ${store.ConnectionErrorCode ?? 'an unknown error'})` : ', as it was before the delete';
        await this.failIfKeysRemain(store, state, note);
        await this.disconnectIgnoringState(id);
        return NOT_YET;
      }
      default:
        return NOT_YET;
    }
  }

  // ---- Steps -----------------------------------------------------------------------------------

  private async createStore(desired: DesiredStore): Promise<string> {
    const input = await this.createInput(desired);
    const created = this.now();
    const id = await this.stores.create(input, (existing) => this.isOwnRecentStore(existing, desired, created)).catch((err: unknown) => {
      throw explain(err, `creating custom key store '${desired.name}'; no store was created. ${createAdvice(errorName(err))}`);
    });
    this.log({ step: 'created', store: id, name: desired.name, type: desired.type });
    return id;
  }

  /**
   * Moves the store one step towards the desired connection state. `failOnFailed` is false only
   * for an update that did not touch a store which was already FAILED before it.
   */
  private async reconcileConnection(id: string, desired: DesiredStore, failOnFailed: boolean, seen?: StoreView): Promise<IsCompleteResult> {
    const store = seen ?? (await this.describeOrNotYet(id));
    this.checkDeadline(desired, id, store ?? undefined);
    if (store === undefined) {
      return NOT_YET;
    }
    if (store === null) {
      throw new KeyStoreError(`CustomKeyStoreNotFoundException: custom key store ${id} ('${desired.name}') disappeared while waiting for it; something outside this stack deleted it. Deploy again to create a new one.`);
    }
    const state = store.ConnectionState ?? 'UNKNOWN';
    const done: IsCompleteResult = { IsComplete: true, Data: { CustomKeyStoreId: id, ConnectionState: state } };
    if (desired.connected) {
      switch (state) {
        case CONNECTED:
          return done;
        case DISCONNECTED:
          this.log({ step: 'connect', store: id });
          await this.connectIgnoringState(id);
          return NOT_YET;
        case FAILED:
          if (!failOnFailed) {
            this.log({ step: 'left-failed', store: id, connectionErrorCode: store.ConnectionErrorCode });
            return done;
          }
          throw new KeyStoreError(connectionFailedMessage(id, desired.name, store.ConnectionErrorCode));
        default:
          return NOT_YET;
      }
    }
    switch (state) {
      case DISCONNECTED:
        return done;
      case CONNECTED:
      case CONNECTING:
      case FAILED:
        this.log({ step: 'disconnect', store: id, state });
        await this.disconnectIgnoringState(id);
        return NOT_YET;
      default:
        return NOT_YET;
    }
  }

  private async applyUpdate(id: string, desired: DesiredStore, plan: UpdatePlan, includeOffline: boolean, state: string): Promise<void> {
    const input = await this.updateInput(id, desired, plan, includeOffline);
    this.log({ step: 'update', store: id, state, fields: [...plan.online, ...(includeOffline ? plan.offline : [])].join(',') });
    try {
      await this.stores.update(input);
    } catch (err) {
      throw explain(err, `updating custom key store ${id} ('${desired.name}'), which is ${state}; the update was not applied. ${updateAdvice(errorName(err))}`);
    }
  }

  /** isComplete's update step: false when KMS says the store is not DISCONNECTED after all. */
  private async applyUpdateOrNotYet(id: string, desired: DesiredStore, plan: UpdatePlan): Promise<boolean> {
    try {
      await this.applyUpdate(id, desired, plan, true, DISCONNECTED);
      return true;
    } catch (err) {
      if (err instanceof KeyStoreError && err.message.startsWith('CustomKeyStoreInvalidStateException')) {
        return false;
      }
      const prior = this.event.PriorConnectionState;
      if (prior === CONNECTED || prior === CONNECTING) {
        // Put the store back in service with its old settings before reporting the failure.
        await this.connectIgnoringState(id).catch(() => undefined);
        throw new KeyStoreError(`${(err as Error).message} The store is being reconnected with its previous settings; CloudFormation will roll the stack back.`);
      }
      throw err;
    }
  }

  private async createInput(desired: DesiredStore): Promise<CreateCustomKeyStoreCommandInput> {
    if (desired.cloudHsm) {
      return {
        CustomKeyStoreName: desired.name,
        CustomKeyStoreType: CLOUD_HSM,
        CloudHsmClusterId: desired.cloudHsm.clusterId,
        TrustAnchorCertificate: desired.cloudHsm.trustAnchorCertificate,
        KeyStorePassword: await this.deps.secrets.keyStorePassword(desired.cloudHsm.passwordSecretArn),
      };
    }
    const xks = requireExternal(desired);
    const credential = await this.deps.secrets.proxyCredential(xks.credentialSecretArn);
    return {
      CustomKeyStoreName: desired.name,
      CustomKeyStoreType: EXTERNAL_KEY_STORE,
      XksProxyUriEndpoint: xks.uriEndpoint,
      XksProxyUriPath: xks.uriPath,
      XksProxyConnectivity: xks.connectivity as XksProxyConnectivityType,
      XksProxyVpcEndpointServiceName: xks.vpcEndpointServiceName,
      XksProxyVpcEndpointServiceOwner: xks.vpcEndpointServiceOwner,
      XksProxyAuthenticationCredential: { AccessKeyId: credential.accessKeyId, RawSecretAccessKey: credential.secretAccessKey },
    };
  }

  private async updateInput(id: string, desired: DesiredStore, plan: UpdatePlan, includeOffline: boolean): Promise<UpdateCustomKeyStoreCommandInput> {
    const fields = new Set([...plan.online, ...(includeOffline ? plan.offline : [])]);
    const input: { -readonly [K in keyof UpdateCustomKeyStoreCommandInput]: UpdateCustomKeyStoreCommandInput[K] } = { CustomKeyStoreId: id };
    if (fields.has('CustomKeyStoreName')) {
      input.NewCustomKeyStoreName = desired.name;
    }
    if (desired.cloudHsm) {
      if (fields.has('CloudHsmClusterId')) {
        input.CloudHsmClusterId = desired.cloudHsm.clusterId;
      }
      if (fields.has('KeyStorePassword')) {
        input.KeyStorePassword = await this.deps.secrets.keyStorePassword(desired.cloudHsm.passwordSecretArn);
      }
      return input;
    }
    const xks = requireExternal(desired);
    if (fields.has('XksProxyUriPath')) {
      input.XksProxyUriPath = xks.uriPath;
    }
    if (fields.has('XksProxyAuthenticationCredential')) {
      const credential = await this.deps.secrets.proxyCredential(xks.credentialSecretArn);
      input.XksProxyAuthenticationCredential = { AccessKeyId: credential.accessKeyId, RawSecretAccessKey: credential.secretAccessKey };
    }
    if (includeOffline && plan.offline.length > 0) {
      // The connection settings go together, so KMS never sees half of a change of connectivity.
      input.XksProxyUriEndpoint = xks.uriEndpoint;
      input.XksProxyConnectivity = xks.connectivity as XksProxyConnectivityType;
      if (xks.connectivity === VPC_ENDPOINT_SERVICE) {
        input.XksProxyVpcEndpointServiceName = xks.vpcEndpointServiceName;
        // An owner taken away means "this account", which KMS cannot be told by omission.
        input.XksProxyVpcEndpointServiceOwner = xks.vpcEndpointServiceOwner ?? (fields.has('XksProxyVpcEndpointServiceOwner') ? this.stackAccount() : undefined);
      }
    }
    return input;
  }

  private async failIfKeysRemain(store: StoreView, stateNow: string, stateNote: string): Promise<void> {
    const id = store.CustomKeyStoreId ?? this.physicalId();
    const started = this.now();
    const scan = await findKeysInStore(this.stores.kms, id, this.deps.scan);
    this.log({ step: 'key-scan', store: id, scanned: scan.scanned, found: scan.keys.length, retries: scan.stats.retries, ms: this.now() - started });
    if (scan.keys.length > 0) {
      throw new KeyStoreError(hasKeysMessage(id, store.CustomKeyStoreName, scan.keys, stateNow, stateNote));
    }
  }

  /** onEvent's delete of a store found DISCONNECTED. */
  private async deleteOrExplain(store: StoreView): Promise<void> {
    const id = store.CustomKeyStoreId ?? this.physicalId();
    const deleted = await this.tryDelete(id);
    if (!deleted) {
      await this.failIfKeysRemain(store, DISCONNECTED, ', as it was before the delete; nothing was changed');
    }
  }

  /** Deletes the store; false when KMS reports keys still in it. */
  private async tryDelete(id: string): Promise<boolean> {
    try {
      this.log({ step: 'delete', store: id });
      await this.stores.delete(id);
      return true;
    } catch (err) {
      const name = errorName(err);
      if (name === 'CustomKeyStoreNotFoundException') {
        return true;
      }
      if (name === 'CustomKeyStoreHasCMKsException') {
        return false;
      }
      throw explain(err, `deleting custom key store ${id}, which is DISCONNECTED; it was not deleted. Deploy (or delete the stack) again once the cause is fixed`);
    }
  }

  private async disconnectAndSettle(id: string, from: string): Promise<void> {
    await this.disconnectIgnoringState(id);
    // KMS is eventually consistent: wait until it shows the disconnect, so that isComplete never
    // mistakes the state from before it for the state after it.
    const settle = this.deps.settle ?? { intervalMs: 1000, timeoutMs: 20_000 };
    const sleep = this.deps.sleep ?? realSleep;
    const deadline = this.now() + settle.timeoutMs;
    while (this.now() < deadline) {
      const store = await this.stores.describe(id);
      if (!store || store.ConnectionState !== from) {
        return;
      }
      await sleep(settle.intervalMs);
    }
  }

  private async disconnectIgnoringState(id: string): Promise<void> {
    try {
      await this.stores.disconnect(id);
    } catch (err) {
      // Already DISCONNECTING or DISCONNECTED: the disconnect this step wanted is under way.
      if (errorName(err) !== 'CustomKeyStoreInvalidStateException') {
        throw explain(err, `disconnecting custom key store ${id}; its connection state did not change`);
      }
    }
  }

  private async connectIgnoringState(id: string): Promise<void> {
    try {
      await this.stores.connect(id);
    } catch (err) {
      // DISCONNECTING: KMS has not finished the previous step; the next poll tries again.
      if (errorName(err) !== 'CustomKeyStoreInvalidStateException') {
        throw explain(err, `connecting custom key store ${id}; it stays DISCONNECTED. ${connectAdvice(errorName(err))}`);
      }
    }
  }

  /** The store, null when it does not exist, undefined when KMS could not say just now. */
  private async describeOrNotYet(id: string): Promise<StoreView | null | undefined> {
    try {
      return (await this.stores.describe(id)) ?? null;
    } catch (err) {
      // isComplete is polled: a throttled or failing call means "not yet", never a failure.
      this.log({ step: 'describe-deferred', store: id, error: errorName(err) });
      return undefined;
    }
  }

  private async requireStore(id: string): Promise<StoreView> {
    const store = await this.stores.describe(id);
    if (!store) {
      throw new KeyStoreError(`CustomKeyStoreNotFoundException: custom key store ${id} no longer exists, so it cannot be updated; nothing was changed. Remove the CustomKeyStore from the stack (or change its name to create a new store) and deploy again.`);
    }
    return store;
  }

  /**
   * A store with our name, our type and our backing (a cluster backs one store at most; an XKS
   * endpoint and path serve one store at most), made in the last few minutes, is the one an
   * earlier attempt of this very create made. An older one is someone else's: never adopt it,
   * since the stack would later delete it.
   */
  private isOwnRecentStore(existing: StoreView, desired: DesiredStore, createdAt: number): boolean {
    const age = createdAt - (existing.CreationDate?.getTime() ?? 0);
    const sameBacking = desired.cloudHsm
      ? existing.CloudHsmClusterId === desired.cloudHsm.clusterId
      : existing.XksProxyConfiguration?.UriEndpoint === desired.external?.uriEndpoint && existing.XksProxyConfiguration?.UriPath === desired.external?.uriPath;
    return age < ADOPT_WINDOW_MS && existing.CustomKeyStoreType === desired.type && sameBacking;
  }

  /** The store already has the type and trust anchor the stack asks for. */
  private hasIdentity(store: StoreView, desired: DesiredStore): boolean {
    return store.CustomKeyStoreType === desired.type && (!desired.cloudHsm || samePem(store.TrustAnchorCertificate, desired.cloudHsm.trustAnchorCertificate));
  }

  private matchesObservableSettings(store: StoreView, desired: DesiredStore): boolean {
    if (desired.cloudHsm) {
      return store.CloudHsmClusterId === desired.cloudHsm.clusterId;
    }
    const xks = requireExternal(desired);
    const seen = store.XksProxyConfiguration;
    return (
      seen?.UriEndpoint === xks.uriEndpoint &&
      seen.Connectivity === xks.connectivity &&
      (xks.connectivity !== VPC_ENDPOINT_SERVICE || seen.VpcEndpointServiceName === xks.vpcEndpointServiceName)
    );
  }

  private checkDeadline(desired: DesiredStore | undefined, id: string, store?: StoreView): void {
    const started = this.event.StartedAt ? Date.parse(this.event.StartedAt) : NaN;
    const limit = (desired ?? this.tryDesired())?.waitTimeoutSeconds;
    if (Number.isNaN(started) || limit === undefined) {
      return;
    }
    const elapsed = (this.now() - started) / 1000;
    if (elapsed > limit) {
      const state = store?.ConnectionState ?? 'in an unknown state';
      throw new KeyStoreError(
        `WaitTimedOut: custom key store ${id} did not reach the state this ${this.event.RequestType?.toLowerCase() ?? 'operation'} needs within ${Math.round(limit / 60)} minutes; it is ${state}. ` +
          'KMS may still finish the step. Check the store in the KMS console, then retry the deployment; raise waitTimeout if connecting legitimately takes longer.',
      );
    }
  }

  private tryDesired(): DesiredStore | undefined {
    try {
      return parseDesiredStore(this.event.ResourceProperties, 'ResourceProperties');
    } catch {
      return undefined;
    }
  }

  private physicalId(): string {
    const id = this.event.PhysicalResourceId;
    if (!id) {
      throw new KeyStoreError(`Malformed event: PhysicalResourceId is missing from a ${this.event.RequestType ?? 'request'} event. No KMS call was made.`);
    }
    return id;
  }

  private startedAt(): string {
    return new Date(this.now()).toISOString();
  }

  private stackAccount(): string | undefined {
    return this.event.StackId?.split(':')[4];
  }
}

function requireExternal(desired: DesiredStore): NonNullable<DesiredStore['external']> {
  if (!desired.external) {
    throw new KeyStoreError(`Malformed event: store '${desired.name}' has neither CloudHSM nor external key store settings. No KMS call was made.`);
  }
  return desired.external;
}

function unknownRequestType(type: string | undefined): KeyStoreError {
  return new KeyStoreError(`Malformed event: RequestType '${type ?? ''}' is not Create, Update or Delete. No KMS call was made.`);
}

function createAdvice(name: string): string {
  switch (name) {
    case 'CustomKeyStoreNameInUseException':
      return 'Another custom key store in this account and Region has this name: choose another customKeyStoreName.';
    case 'CustomKeyStoresLimitExceededException':
    case 'LimitExceededException':
      return 'The account already has 10 custom key stores in this Region (the quota counts every type and state): delete one first.';
    case 'CloudHsmClusterNotFoundException':
    case 'CloudHsmClusterInUseException':
    case 'CloudHsmClusterNotActiveException':
    case 'CloudHsmClusterInvalidConfigurationException':
    case 'IncorrectTrustAnchorException':
      return 'Fix the CloudHSM cluster (it must be active, unused by another store, with two active HSMs in different Availability Zones and the trust anchor of customerCA.crt) and deploy again.';
    default:
      return 'Fix the cause and deploy again.';
  }
}

function updateAdvice(name: string): string {
  switch (name) {
    case 'CloudHsmClusterNotRelatedException':
      return 'The new cluster must share the backup lineage of the old one; to move to an unrelated cluster, declare a new store.';
    case 'CustomKeyStoreNameInUseException':
      return 'Another custom key store has the new name: choose another customKeyStoreName.';
    default:
      return 'Fix the cause and deploy again.';
  }
}

function connectAdvice(name: string): string {
  return name === 'CloudHsmClusterNotActiveException' ? 'Activate the cluster and deploy again.' : 'Fix the cause and deploy again.';
}

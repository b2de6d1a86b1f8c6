/**
 * One custom key store resource: the onEvent and isComplete halves of each CloudFormation
 * operation, in the shape of aws-cdk's EKS cluster-resource handler. The event is read once, when
 * the resource is made.
 *
 * onEvent starts an operation and returns at once; isComplete is then called every poll interval
 * and acts as a reconciler: it reads the store's state, takes at most one step towards the state
 * the stack asks for, and says whether it is there. Every step is safe to repeat, so a retried or
 * replayed call ends in the same place. The one exception is a value KMS never shows (the kmsuser
 * password, the VPC endpoint service owner): it is sent exactly once, from onEvent.
 *
 * KMS is eventually consistent ("in some cases it can take several minutes"), so a read right
 * after a change may miss a new store or show the state from before: within a grace period,
 * NotFound and stale states mean "not yet".
 */
import {
  ConnectionErrorCodeType,
  ConnectionStateType,
  CreateCustomKeyStoreCommandInput,
  CustomKeyStoreType,
  UpdateCustomKeyStoreCommandInput,
  XksProxyConnectivityType,
} from '@aws-sdk/client-kms';
import { STORE_ID_PATTERN } from '../../../lib/private/contract/resource-properties';
import {
  changesXksConnection,
  DesiredStore,
  hasUnobservable,
  parseDesiredStore,
  planForState,
  planUpdate,
  samePem,
  UNOBSERVABLE_FIELDS,
  UpdatePlan,
  withoutPassword,
} from './desired';
import { errorName, explain, KeyStoreError } from '../../shared/errors';
import { IsCompleteResult, KeyStoreEvent, OnEventResult } from '../events';
import { findKeysInStore, KeyScanResult } from '../key-scanner';
import { ResourceHandler } from '../common';
import { ResourceDeps } from '../deps';
import { malformedEventMessage } from '../messages';
import * as messages from './messages';
import { realSleep } from '../../shared/retry';
import { StackActivity, UNKNOWN_ACTIVITY } from './stack-status';
import { StoreApi, StoreView } from '../../shared/store-api';

const { CONNECTED, CONNECTING, DISCONNECTED, DISCONNECTING, FAILED } = ConnectionStateType;

const NOT_YET: IsCompleteResult = { IsComplete: false };
/** How onEvent polls for a disconnect: briefly, or up to 8 minutes for a value only onEvent may send. */
const DEFAULT_SETTLE = { intervalMs: 1000, timeoutMs: 20_000, longTimeoutMs: 8 * 60 * 1000 };
/** A store holding our name may be our own earlier attempt only if it is this young. */
const ADOPT_WINDOW_MS = 15 * 60 * 1000;
/** How long a NotFound may be KMS's eventual consistency rather than a missing store. */
const VISIBILITY_GRACE_MS = 5 * 60 * 1000;
/**
 * External key store changes "can take up to five minutes to be fully effective" (Developer Guide,
 * editing an external key store): a connect failing this soon after one is retried.
 */
const XKS_PROPAGATION_MS = 6 * 60 * 1000;
/** Connection failures that settings not yet in effect can explain. */
const STALE_SETTINGS_CODES: ReadonlySet<string> = new Set([
  ConnectionErrorCodeType.INVALID_CREDENTIALS,
  ConnectionErrorCodeType.NETWORK_ERRORS,
  ConnectionErrorCodeType.XKS_PROXY_ACCESS_DENIED,
  ConnectionErrorCodeType.XKS_PROXY_INVALID_CONFIGURATION,
  ConnectionErrorCodeType.XKS_PROXY_INVALID_RESPONSE,
  ConnectionErrorCodeType.XKS_PROXY_INVALID_TLS_CONFIGURATION,
  ConnectionErrorCodeType.XKS_PROXY_NOT_REACHABLE,
  ConnectionErrorCodeType.XKS_PROXY_TIMED_OUT,
  ConnectionErrorCodeType.XKS_VPC_ENDPOINT_SERVICE_INVALID_CONFIGURATION,
  ConnectionErrorCodeType.XKS_VPC_ENDPOINT_SERVICE_NOT_FOUND,
]);

/** How isComplete treats a store that will not connect. */
interface ConnectPolicy {
  /** False only for an update that did not touch a store which was already FAILED before it. */
  readonly failOnFailed: boolean;
  /** A rollback leaves a store that cannot connect DISCONNECTED instead of failing (and stranding the stack). */
  readonly rollback?: boolean;
  /** An external key store's connection settings may have changed just now: a failure may be the old settings. */
  readonly xksMayBeStale?: boolean;
  /** The message for a FAILED store, when not the generic one. */
  readonly failure?: (store: StoreView) => string;
}

export class CustomKeyStoreResource extends ResourceHandler<OnEventResult, IsCompleteResult> {
  private readonly stores: StoreApi;
  /** The store id; absent only for a Create. */
  private readonly storeId?: string;
  /** The store the stack asks for: for a Delete, only when its properties are readable. */
  private readonly desired?: DesiredStore;
  private readonly old?: DesiredStore;

  constructor(
    deps: ResourceDeps,
    private readonly event: KeyStoreEvent,
  ) {
    super(deps, event);
    this.stores = deps.stores;
    const type = this.requestType;
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

  // ---- Create ----------------------------------------------------------------------------------

  protected async onCreate(): Promise<OnEventResult> {
    const id = await this.createStore(this.want());
    return { PhysicalResourceId: id, StartedAt: this.startedAt() };
  }

  protected async isCreateComplete(): Promise<IsCompleteResult> {
    return this.reconcileConnection(this.physicalId(), this.want(), { failOnFailed: true });
  }

  // ---- Update ----------------------------------------------------------------------------------

  protected async onUpdate(): Promise<OnEventResult> {
    const desired = this.want();
    const old = this.wasBefore();
    const id = this.physicalId();
    let plan = planUpdate(old, desired);
    const current = plan.replace ? await this.stores.describe(id) : undefined;
    if (current && this.hasIdentity(current, desired)) {
      plan = planUpdate(old, desired, true);
    }
    if (plan.replace) {
      return this.replace(id, old, desired, plan);
    }
    this.refuseConnectivitySwitch(id, old, desired);

    const activity: StackActivity = (await this.deps.stackStatus?.activity(this.event.StackId)) ?? UNKNOWN_ACTIVITY;
    if (activity.unknownBecause !== undefined) {
      // Without the status the update is taken as a forward one, as before the check existed.
      this.log({ step: 'stack-status-unknown', error: activity.unknownBecause });
    }
    const rollback = activity.rollingBack;
    const store = current ?? (await this.requireStore(id, desired.name));
    const state = store.ConnectionState ?? 'UNKNOWN';
    if (plan.nameChanged && store.CustomKeyStoreName === desired.name) {
      // The store already has the name (a rollback of an update that failed before renaming it).
      plan = { ...plan, online: plan.online.filter((f) => f !== 'CustomKeyStoreName') };
    }
    plan = this.effectivePlan(plan, state, rollback);
    if (activity.settled && hasUnobservable(plan)) {
      // A late duplicate of an update CloudFormation has already had its answer to: sending its
      // password again would overwrite the one KMS has rotated to since.
      this.log({ step: 'duplicate-ignored', store: id, reason: 'the stack has no operation in progress' });
      return { PhysicalResourceId: id, PriorConnectionState: state, StartedAt: this.startedAt(), UpdateApplied: true, Duplicate: true };
    }
    let updateApplied = false;
    if (plan.offline.length === 0) {
      if (plan.online.length > 0) {
        await this.applyUpdate(id, desired, plan, false, state);
      }
    } else if (state === DISCONNECTED) {
      await this.applyUpdate(id, desired, plan, true, state);
      updateApplied = true;
    } else if (hasUnobservable(plan)) {
      // KMS never shows these fields, so no later read could tell whether they were applied:
      // onEvent waits for DISCONNECTED and sends them itself, once.
      this.log({ step: 'disconnect-for-update', store: id, state, fields: plan.offline.join(',') });
      await this.disconnectIgnoringState(id);
      await this.waitForDisconnected(id, desired, plan, state);
      await this.applyUpdate(id, desired, plan, true, DISCONNECTED);
      updateApplied = true;
    } else {
      this.log({ step: 'disconnect-for-update', store: id, state, fields: plan.offline.join(',') });
      await this.disconnectAndSettle(id, state);
    }
    // The connection change, if any, is isComplete's: the framework calls it right after this.
    return { PhysicalResourceId: id, PriorConnectionState: state, StartedAt: this.startedAt(), UpdateApplied: updateApplied, Rollback: rollback };
  }

  protected async isUpdateComplete(): Promise<IsCompleteResult> {
    const desired = this.want();
    const old = this.wasBefore();
    const id = this.physicalId();
    if (this.event.Replacement === true) {
      return this.reconcileConnection(id, desired, { failOnFailed: true });
    }
    if (this.event.Duplicate === true) {
      const seen = await this.describeOrNotYet(id);
      return { IsComplete: true, Data: { CustomKeyStoreId: id, ConnectionState: seen?.ConnectionState ?? 'UNKNOWN' } };
    }
    const rollback = this.event.Rollback === true;
    // onEvent decided against a replacement, so compare everything but the identity.
    const asked = planUpdate(old, desired, true);
    const plan = this.effectivePlan(asked, this.event.PriorConnectionState, rollback);
    const store = await this.describeOrNotYet(id);
    this.checkDeadline(id, store ?? undefined);
    if (store === undefined) {
      return NOT_YET;
    }
    if (store === null) {
      if (this.withinGrace()) {
        return NOT_YET;
      }
      throw new KeyStoreError(messages.storeGoneMessage(id, desired.name, 'update'));
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
    if (rollback && this.event.PriorConnectionState === FAILED) {
      // The forward update left the store FAILED and its Reason said what to fix: the rollback
      // leaves it DISCONNECTED rather than try a login that just failed (and count towards lockout).
      return this.reconcileConnection(id, { ...desired, connected: false }, { failOnFailed: false }, store);
    }
    const passwordSent = plan.offline.includes('KeyStorePassword');
    // A change KMS makes while connected, on a store that was FAILED before: that failure is not this update's.
    const failedBefore = this.event.PriorConnectionState === FAILED && asked.offline.length === 0 && !asked.connectedChanged;
    return this.reconcileConnection(
      id,
      desired,
      {
        failOnFailed: !failedBefore,
        rollback,
        // Settings changed by this update, or by an earlier one while the store was not connected,
        // may not be in effect yet: KMS takes up to five minutes.
        xksMayBeStale: desired.external !== undefined && (changesXksConnection(plan) || this.event.PriorConnectionState !== CONNECTED),
        failure: passwordSent && desired.cloudHsm ? (s) => this.passwordFailure(id, desired, s) : undefined,
      },
      store,
    );
  }

  // ---- Delete ----------------------------------------------------------------------------------

  protected async onDelete(): Promise<OnEventResult> {
    const id = this.physicalId();
    const startedAt = this.startedAt();
    if (!STORE_ID_PATTERN.test(id)) {
      this.log({ step: 'delete-skipped', reason: 'not a custom key store id', physicalResourceId: id });
      return { PhysicalResourceId: id, StartedAt: startedAt };
    }
    let store = await this.stores.describe(id);
    if (!store) {
      // NotFound may be a store too new for reads to show yet: only the delete itself can tell.
      const probe = await this.deleteProbe(id);
      if (probe === 'has-keys') {
        // Named now if the scan finds them; else isComplete tries the delete again.
        await this.explainDeleteRefused({ CustomKeyStoreId: id }, DISCONNECTED, ', as it was before the delete; nothing was changed', false);
        return { PhysicalResourceId: id, PriorConnectionState: DISCONNECTED, StartedAt: startedAt };
      }
      if (probe !== 'not-disconnected') {
        this.log({ step: probe === 'gone' ? 'delete-skipped' : 'deleted', reason: probe === 'gone' ? 'store does not exist' : 'not yet visible to reads', store: id });
        return { PhysicalResourceId: id, StartedAt: startedAt };
      }
      store = { CustomKeyStoreId: id, ConnectionState: CONNECTED };
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

  protected async isDeleteComplete(): Promise<IsCompleteResult> {
    const id = this.physicalId();
    if (!STORE_ID_PATTERN.test(id)) {
      return { IsComplete: true };
    }
    const store = await this.describeOrNotYet(id);
    if (store === undefined) {
      return NOT_YET;
    }
    if (store === null) {
      // Gone, or a read that lags behind: the delete itself says which.
      const probe = await this.deleteProbe(id);
      if (probe === 'has-keys') {
        return this.afterDeleteRefused({ CustomKeyStoreId: id, ConnectionState: DISCONNECTED });
      }
      return probe === 'not-disconnected' ? NOT_YET : { IsComplete: true };
    }
    this.checkDeadline(id, store);
    const state = store.ConnectionState ?? 'UNKNOWN';
    const prior = this.event.PriorConnectionState;
    const wasConnected = prior === CONNECTED || prior === CONNECTING;
    switch (state) {
      case DISCONNECTED: {
        const probe = await this.deleteProbe(id);
        if (probe === 'gone' || probe === 'deleted') {
          return { IsComplete: true };
        }
        return probe === 'has-keys' ? this.afterDeleteRefused(store) : NOT_YET;
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

  /**
   * DeleteCustomKeyStore refused for keys. A store that was connected is reconnected first, so a
   * failed delete never leaves it disconnected; the keys are then named once it is CONNECTED (the
   * next polls scan again). Keys the handler cannot read are named at once: no later scan would
   * find them either.
   */
  private async afterDeleteRefused(store: StoreView): Promise<IsCompleteResult> {
    const id = store.CustomKeyStoreId ?? this.physicalId();
    const prior = this.event.PriorConnectionState;
    const wasConnected = prior === CONNECTED || prior === CONNECTING;
    if (wasConnected) {
      this.log({ step: 'reconnect-after-race', store: id });
      await this.connectIgnoringState(id);
    }
    const note = wasConnected ? ' again: it was DISCONNECTED for the delete and is being reconnected, as it was before' : prior === FAILED ? ' (it was FAILED before the delete and cannot be put back in that state)' : ', as it was before the delete';
    await this.explainDeleteRefused(store, wasConnected ? CONNECTING : DISCONNECTED, note, wasConnected);
    // The keys went away between the delete and the scan, or will be named once CONNECTED.
    return NOT_YET;
  }

  // ---- Steps -----------------------------------------------------------------------------------

  private async createStore(desired: DesiredStore): Promise<string> {
    const input = await this.createInput(desired);
    const created = this.now();
    const outcome = await this.stores.create(input, (existing) => this.isOwnRecentStore(existing, desired, created)).catch((err: unknown) => {
      throw explain(err, messages.stepFailedContext('create', '', desired.name, '', errorName(err)));
    });
    if (outcome.foreign) {
      throw new KeyStoreError(messages.adoptRefusedMessage(outcome.id, desired.name, outcome.foreign.CreationDate?.toISOString() ?? 'earlier'));
    }
    this.log({ step: outcome.adopted ? 'adopted' : 'created', store: outcome.id, name: desired.name, type: desired.type });
    return outcome.id;
  }

  private async replace(id: string, old: DesiredStore, desired: DesiredStore, plan: UpdatePlan): Promise<OnEventResult> {
    const what = old.type !== desired.type ? 'store type' : 'trust anchor certificate';
    if (!plan.nameChanged) {
      throw new KeyStoreError(messages.replacementNeedsNewNameMessage(id, old.name, what));
    }
    if (old.cloudHsm && desired.cloudHsm && old.cloudHsm.clusterId === desired.cloudHsm.clusterId) {
      throw new KeyStoreError(messages.replacementNeedsNewClusterMessage(id, old.name, old.cloudHsm.clusterId));
    }
    const newId = await this.createStore(desired);
    this.log({ step: 'replace', oldStore: id, newStore: newId });
    return { PhysicalResourceId: newId, StartedAt: this.startedAt(), Replacement: true };
  }

  /** "If you change the XksProxyConnectivity ..., you must also change the XksProxyUriEndpoint" (API model). */
  private refuseConnectivitySwitch(id: string, old: DesiredStore, desired: DesiredStore): void {
    const [a, b] = [old.external, desired.external];
    if (a && b && a.connectivity !== b.connectivity && a.uriEndpoint === b.uriEndpoint) {
      throw new KeyStoreError(messages.connectivitySwitchMessage(id, old.name, a.connectivity, b.connectivity, b.uriEndpoint));
    }
  }

  /** The plan as the state at onEvent and the kind of update allow it; onEvent and isComplete agree on it. */
  private effectivePlan(plan: UpdatePlan, state: string | undefined, rollback: boolean): UpdatePlan {
    const forState = planForState(plan, state);
    if (rollback && forState.offline.includes('KeyStorePassword')) {
      this.log({ step: 'rollback-keeps-password', reason: 'KMS rotated the old password away on the last connect' });
      return withoutPassword(forState);
    }
    return forState;
  }

  /**
   * Moves the store one step towards the desired connection state, and says whether it is there.
   */
  private async reconcileConnection(id: string, desired: DesiredStore, policy: ConnectPolicy, seen?: StoreView): Promise<IsCompleteResult> {
    const store = seen ?? (await this.describeOrNotYet(id));
    this.checkDeadline(id, store ?? undefined);
    if (store === undefined) {
      return NOT_YET;
    }
    if (store === null) {
      if (this.withinGrace()) {
        return NOT_YET;
      }
      throw new KeyStoreError(messages.storeGoneMessage(id, desired.name, 'wait'));
    }
    const state = store.ConnectionState ?? 'UNKNOWN';
    const done = (connectionState: string = state): IsCompleteResult => ({ IsComplete: true, Data: { CustomKeyStoreId: id, ConnectionState: connectionState } });
    if (desired.connected) {
      switch (state) {
        case CONNECTED:
          return done();
        case DISCONNECTED:
          this.log({ step: 'connect', store: id });
          await this.connectIgnoringState(id);
          return NOT_YET;
        case FAILED:
          return this.onFailedConnect(id, desired, store, policy, done);
        default:
          return NOT_YET;
      }
    }
    switch (state) {
      case DISCONNECTED:
        return done();
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

  /** Called within the wait's deadline (checkDeadline runs first), so waitTimeout bounds the retries too. */
  private async onFailedConnect(id: string, desired: DesiredStore, store: StoreView, policy: ConnectPolicy, done: (state?: string) => IsCompleteResult): Promise<IsCompleteResult> {
    const code = store.ConnectionErrorCode;
    if (policy.rollback) {
      // The forward update's failure already said what to fix; failing here too would leave the
      // stack in UPDATE_ROLLBACK_FAILED. Leave the store disconnected, without another login try.
      this.log({ step: 'rollback-leaves-disconnected', store: id, connectionErrorCode: code });
      await this.disconnectIgnoringState(id);
      return done(DISCONNECTING);
    }
    if (policy.xksMayBeStale && code !== undefined && STALE_SETTINGS_CODES.has(code) && this.elapsedMs() < XKS_PROPAGATION_MS) {
      // KMS may have tried the settings from before the update: disconnect, then connect again.
      this.log({ step: 'retry-connect-after-xks-change', store: id, connectionErrorCode: code });
      await this.disconnectIgnoringState(id);
      return NOT_YET;
    }
    if (!policy.failOnFailed) {
      this.log({ step: 'left-failed', store: id, connectionErrorCode: code });
      return done();
    }
    throw new KeyStoreError(policy.failure ? policy.failure(store) : messages.connectionFailedMessage(id, desired.name, desired.type, code));
  }

  private passwordFailure(id: string, desired: DesiredStore, store: StoreView): string {
    const hsm = desired.cloudHsm;
    return hsm
      ? messages.passwordUpdateFailedMessage(id, desired.name, store.CloudHsmClusterId ?? hsm.clusterId, hsm.passwordSecretArn, store.ConnectionErrorCode)
      : messages.connectionFailedMessage(id, desired.name, desired.type, store.ConnectionErrorCode);
  }

  private async applyUpdate(id: string, desired: DesiredStore, plan: UpdatePlan, includeOffline: boolean, state: string): Promise<void> {
    const input = await this.updateInput(id, desired, plan, includeOffline);
    this.log({ step: 'update', store: id, state, fields: [...plan.online, ...(includeOffline ? plan.offline : [])].join(',') });
    try {
      await this.stores.update(input);
    } catch (err) {
      throw explain(err, messages.stepFailedContext('update', id, desired.name, state, errorName(err)));
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
        throw new KeyStoreError(messages.reconnectingAfterFailedUpdate((err as Error).message));
      }
      throw err;
    }
  }

  private async createInput(desired: DesiredStore): Promise<CreateCustomKeyStoreCommandInput> {
    if (desired.cloudHsm) {
      return {
        CustomKeyStoreName: desired.name,
        CustomKeyStoreType: CustomKeyStoreType.AWS_CLOUDHSM,
        CloudHsmClusterId: desired.cloudHsm.clusterId,
        TrustAnchorCertificate: desired.cloudHsm.trustAnchorCertificate,
        KeyStorePassword: await this.deps.secrets.keyStorePassword(desired.cloudHsm.passwordSecretArn),
      };
    }
    const xks = requireExternal(desired);
    const credential = await this.deps.secrets.proxyCredential(xks.credentialSecretArn);
    return {
      CustomKeyStoreName: desired.name,
      CustomKeyStoreType: CustomKeyStoreType.EXTERNAL_KEY_STORE,
      XksProxyUriEndpoint: xks.uriEndpoint,
      XksProxyUriPath: xks.uriPath,
      XksProxyConnectivity: xks.connectivity,
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
    const connectionFields = ['XksProxyUriEndpoint', 'XksProxyConnectivity', 'XksProxyVpcEndpointServiceName', 'XksProxyVpcEndpointServiceOwner'];
    if (includeOffline && connectionFields.some((f) => fields.has(f))) {
      // The connection settings go together, so KMS never sees half of a change of connectivity.
      input.XksProxyUriEndpoint = xks.uriEndpoint;
      input.XksProxyConnectivity = xks.connectivity;
      if (xks.connectivity === XksProxyConnectivityType.VPC_ENDPOINT_SERVICE) {
        input.XksProxyVpcEndpointServiceName = xks.vpcEndpointServiceName;
        // An owner taken away means "this account", which KMS cannot be told by omission.
        input.XksProxyVpcEndpointServiceOwner = xks.vpcEndpointServiceOwner ?? (fields.has('XksProxyVpcEndpointServiceOwner') ? this.stackAccount() : undefined);
      }
    }
    return input;
  }

  private async failIfKeysRemain(store: StoreView, stateNow: string, stateNote: string): Promise<KeyScanResult> {
    const id = store.CustomKeyStoreId ?? this.physicalId();
    const scan = await this.scan(id);
    if (scan.keys.length > 0) {
      throw new KeyStoreError(messages.hasKeysMessage(id, store.CustomKeyStoreName, store.CustomKeyStoreType, scan.keys, scan.unreadable, stateNow, stateNote));
    }
    return scan;
  }

  /**
   * DeleteCustomKeyStore said keys remain: name them. Readable keys in the store are named now,
   * unless `readableLater` (the store is being reconnected, and they are named once it is back).
   * Otherwise the keys the handler could not read must be the ones.
   */
  private async explainDeleteRefused(store: StoreView, stateNow: string, stateNote: string, readableLater: boolean): Promise<void> {
    const id = store.CustomKeyStoreId ?? this.physicalId();
    const scan = readableLater ? await this.scan(id) : await this.failIfKeysRemain(store, stateNow, stateNote);
    if (scan.keys.length > 0) {
      return;
    }
    if (scan.unreadable.length > 0) {
      throw new KeyStoreError(messages.unreadableKeysMessage(id, store.CustomKeyStoreName, store.CustomKeyStoreType, scan.unreadable, `${stateNow}${stateNote}`));
    }
  }

  private async scan(id: string): Promise<KeyScanResult> {
    const started = this.now();
    const scan = await findKeysInStore(this.stores.kms, id, this.deps.scan);
    this.log({ step: 'key-scan', store: id, scanned: scan.scanned, found: scan.keys.length, unreadable: scan.unreadable.length, retries: scan.stats.retries, ms: this.now() - started });
    return scan;
  }

  /** onEvent's delete of a store found DISCONNECTED. */
  private async deleteOrExplain(store: StoreView): Promise<void> {
    const id = store.CustomKeyStoreId ?? this.physicalId();
    if ((await this.deleteProbe(id)) === 'has-keys') {
      await this.explainDeleteRefused(store, DISCONNECTED, ', as it was before the delete; nothing was changed', false);
    }
  }

  /** Tries DeleteCustomKeyStore and says what it found. */
  private async deleteProbe(id: string): Promise<'deleted' | 'gone' | 'has-keys' | 'not-disconnected'> {
    try {
      this.log({ step: 'delete', store: id });
      await this.stores.delete(id);
      return 'deleted';
    } catch (err) {
      switch (errorName(err)) {
        case 'CustomKeyStoreNotFoundException':
          return 'gone';
        case 'CustomKeyStoreHasCMKsException':
          return 'has-keys';
        case 'CustomKeyStoreInvalidStateException':
          return 'not-disconnected';
        default:
          throw explain(err, messages.stepFailedContext('delete', id, undefined, DISCONNECTED, errorName(err)));
      }
    }
  }

  private async disconnectAndSettle(id: string, from: string): Promise<void> {
    await this.disconnectIgnoringState(id);
    // KMS is eventually consistent: wait until it shows the disconnect, so that isComplete never
    // mistakes the state from before it for the state after it.
    await this.pollState(id, this.settle().timeoutMs, (state) => state !== from);
  }

  /** Waits until KMS shows the store DISCONNECTED; a store that does not get there in time fails the update untouched. */
  private async waitForDisconnected(id: string, desired: DesiredStore, plan: UpdatePlan, from: string): Promise<void> {
    const limitMs = Math.min(this.settle().longTimeoutMs, desired.waitTimeoutSeconds * 1000);
    const { reached, seen } = await this.pollState(id, limitMs, (state) => state === DISCONNECTED);
    if (reached) {
      return;
    }
    const reconnect = from === CONNECTED || from === CONNECTING;
    if (reconnect) {
      await this.connectIgnoringState(id).catch(() => undefined);
    }
    const fields = plan.offline.filter((f) => UNOBSERVABLE_FIELDS.has(f)).join(' and ');
    throw new KeyStoreError(messages.disconnectTimedOutMessage(id, desired.name, fields, Math.round(limitMs / 1000), messages.stateName(seen), reconnect));
  }

  /**
   * Reads the store's state every settle interval until `done` says so (a store gone counts as
   * done with state undefined) or `timeoutMs` passes. A read that fails is one more "not yet".
   */
  private async pollState(id: string, timeoutMs: number, done: (state: string | undefined) => boolean): Promise<{ reached: boolean; seen?: string }> {
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

  private settle(): Required<NonNullable<ResourceDeps['settle']>> {
    return { ...DEFAULT_SETTLE, ...this.deps.settle };
  }

  private async disconnectIgnoringState(id: string): Promise<void> {
    try {
      await this.stores.disconnect(id);
    } catch (err) {
      // Already DISCONNECTING or DISCONNECTED: the disconnect this step wanted is under way.
      if (errorName(err) !== 'CustomKeyStoreInvalidStateException') {
        throw explain(err, messages.stepFailedContext('disconnect', id, undefined, '', errorName(err)));
      }
    }
  }

  private async connectIgnoringState(id: string): Promise<void> {
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
  private async describeOrNotYet(id: string): Promise<StoreView | null | undefined> {
    try {
      return (await this.stores.describe(id)) ?? null;
    } catch (err) {
      // isComplete is polled: a throttled or failing call means "not yet", never a failure.
      this.log({ step: 'describe-deferred', store: id, error: errorName(err) });
      return undefined;
    }
  }

  private async requireStore(id: string, name: string): Promise<StoreView> {
    const store = await this.stores.describe(id);
    if (!store) {
      throw new KeyStoreError(messages.storeGoneMessage(id, name, 'update'));
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

  /** KMS shows what the update asked for, as far as DescribeCustomKeyStores shows anything. */
  private matchesObservableSettings(store: StoreView, desired: DesiredStore): boolean {
    if (store.CustomKeyStoreName !== undefined && store.CustomKeyStoreName !== desired.name) {
      return false;
    }
    if (desired.cloudHsm) {
      return store.CloudHsmClusterId === desired.cloudHsm.clusterId;
    }
    const xks = requireExternal(desired);
    const seen = store.XksProxyConfiguration;
    return (
      seen?.UriEndpoint === xks.uriEndpoint &&
      seen.UriPath === xks.uriPath &&
      seen.Connectivity === xks.connectivity &&
      (xks.connectivity !== XksProxyConnectivityType.VPC_ENDPOINT_SERVICE || seen.VpcEndpointServiceName === xks.vpcEndpointServiceName)
    );
  }

  private checkDeadline(id: string, store?: StoreView): void {
    const limit = this.desired?.waitTimeoutSeconds;
    const elapsed = this.elapsedMs();
    if (Number.isNaN(elapsed) || limit === undefined) {
      return;
    }
    if (elapsed / 1000 > limit) {
      throw new KeyStoreError(messages.waitTimedOutMessage(id, this.requestType.toLowerCase(), Math.round(limit / 60), messages.stateName(store?.ConnectionState)));
    }
  }

  /** Milliseconds since onEvent started; NaN when the event does not say. */
  private elapsedMs(): number {
    const started = this.event.StartedAt ? Date.parse(this.event.StartedAt) : NaN;
    return this.now() - started;
  }

  private withinGrace(): boolean {
    const elapsed = this.elapsedMs();
    return !Number.isNaN(elapsed) && elapsed < VISIBILITY_GRACE_MS;
  }

  private want(): DesiredStore {
    if (!this.desired) {
      throw new KeyStoreError(malformedEventMessage('ResourceProperties is missing'));
    }
    return this.desired;
  }

  private wasBefore(): DesiredStore {
    if (!this.old) {
      throw new KeyStoreError(malformedEventMessage('OldResourceProperties is missing'));
    }
    return this.old;
  }

  private physicalId(): string {
    if (!this.storeId) {
      throw new KeyStoreError(malformedEventMessage(`PhysicalResourceId is missing from a ${this.requestType} event`));
    }
    return this.storeId;
  }

  private stackAccount(): string | undefined {
    return this.event.StackId?.split(':')[4];
  }
}

function tryParse(raw: unknown): DesiredStore | undefined {
  try {
    return parseDesiredStore(raw, 'ResourceProperties');
  } catch {
    return undefined;
  }
}

function requireExternal(desired: DesiredStore): NonNullable<DesiredStore['external']> {
  if (!desired.external) {
    throw new KeyStoreError(malformedEventMessage(`store '${desired.name}' has neither CloudHSM nor external key store settings`));
  }
  return desired.external;
}

/**
 * A store's Update. onEvent works out the plan (update-plan.ts): an in-place change is sent at
 * once; a change KMS makes only while the store is DISCONNECTED disconnects it first. A value KMS
 * never shows (the kmsuser password, the VPC endpoint service owner) is sent exactly once, from
 * onEvent, after it has waited for DISCONNECTED; anything else is sent by isComplete once KMS
 * shows the store DISCONNECTED. isComplete then reconnects the store as the stack asks. A new type
 * or trust anchor is a new store; a rollback never sends a password KMS has rotated away; a late
 * duplicate of an update already answered changes nothing.
 */
import { ConnectionStateType, XksProxyConnectivityType } from '@aws-sdk/client-kms';
import { errorName, explain, KeyStoreError } from '../../shared/errors';
import { StoreView } from '../../shared/store-api';
import { IsCompleteResult, OnEventResult } from '../events';
import { reconcileConnection } from './connection';
import { DesiredStore } from './desired';
import { requireExternal, updateInput } from './kms-input';
import * as messages from './messages';
import { StackActivity, UNKNOWN_ACTIVITY } from './stack-status';
import { NOT_YET, PASSING_PROXY_FAILURES, StoreSteps } from './steps';
import { changesXksConnection, hasUnobservable, planForState, planUpdate, samePem, UNOBSERVABLE_FIELDS, UpdatePlan, withoutPassword } from './update-plan';

const { CONNECTED, CONNECTING, DISCONNECTED, DISCONNECTING, FAILED } = ConnectionStateType;

export async function onUpdate(s: StoreSteps): Promise<OnEventResult> {
  const desired = s.request.want();
  const old = s.request.wasBefore();
  const id = s.request.physicalId();
  let plan = planUpdate(old, desired);
  const current = plan.replace ? await s.stores.describe(id) : undefined;
  if (current && hasIdentity(current, desired)) {
    plan = planUpdate(old, desired, true);
  }
  if (plan.replace) {
    return replace(s, id, old, desired, plan);
  }
  refuseConnectivitySwitch(id, old, desired);

  const activity: StackActivity = (await s.deps.stackStatus?.activity(s.request.event.StackId)) ?? UNKNOWN_ACTIVITY;
  if (activity.unknownBecause !== undefined) {
    // Without the status the update is taken as a forward one, as before the check existed.
    s.log({ step: 'stack-status-unknown', error: activity.unknownBecause });
  }
  const rollback = activity.rollingBack;
  const store = current ?? (await requireStore(s, id, desired.name));
  const state = store.ConnectionState ?? 'UNKNOWN';
  if (plan.nameChanged && store.CustomKeyStoreName === desired.name) {
    // The store already has the name (a rollback of an update that failed before renaming it).
    plan = { ...plan, online: plan.online.filter((f) => f !== 'CustomKeyStoreName') };
  }
  plan = effectivePlan(s, plan, state, rollback);
  if (activity.settled && hasUnobservable(plan)) {
    // A late duplicate of an update CloudFormation has already had its answer to: sending its
    // password again would overwrite the one KMS has rotated to since.
    s.log({ step: 'duplicate-ignored', store: id, reason: 'the stack has no operation in progress' });
    return { PhysicalResourceId: id, PriorConnectionState: state, StartedAt: s.request.startedAt(), UpdateApplied: true, Duplicate: true };
  }
  let updateApplied = false;
  if (plan.offline.length === 0) {
    if (plan.online.length > 0) {
      await applyUpdate(s, id, desired, plan, false, state);
    }
  } else if (state === DISCONNECTED) {
    await applyUpdate(s, id, desired, plan, true, state);
    updateApplied = true;
  } else if (hasUnobservable(plan)) {
    // KMS never shows these fields, so no later read could tell whether they were applied:
    // onEvent waits for DISCONNECTED and sends them itself, once.
    s.log({ step: 'disconnect-for-update', store: id, state, fields: plan.offline.join(',') });
    await s.disconnectIgnoringState(id);
    await waitForDisconnected(s, id, desired, plan, state);
    await applyUpdate(s, id, desired, plan, true, DISCONNECTED);
    updateApplied = true;
  } else {
    s.log({ step: 'disconnect-for-update', store: id, state, fields: plan.offline.join(',') });
    await disconnectAndSettle(s, id, state);
  }
  // The connection change, if any, is isComplete's: the framework calls it right after this.
  return { PhysicalResourceId: id, PriorConnectionState: state, StartedAt: s.request.startedAt(), UpdateApplied: updateApplied, Rollback: rollback };
}

export async function isUpdateComplete(s: StoreSteps): Promise<IsCompleteResult> {
  const desired = s.request.want();
  const old = s.request.wasBefore();
  const id = s.request.physicalId();
  if (s.request.event.Replacement === true) {
    return reconcileConnection(s, id, desired, { failOnFailed: true });
  }
  if (s.request.event.Duplicate === true) {
    const seen = await s.describeOrNotYet(id);
    return { IsComplete: true, Data: { CustomKeyStoreId: id, ConnectionState: seen?.ConnectionState ?? 'UNKNOWN' } };
  }
  const rollback = s.request.event.Rollback === true;
  // onEvent decided against a replacement, so compare everything but the identity.
  const asked = planUpdate(old, desired, true);
  const plan = effectivePlan(s, asked, s.request.event.PriorConnectionState, rollback);
  const store = await s.describeOrNotYet(id);
  s.request.checkDeadline(id, store ?? undefined);
  if (store === undefined) {
    return NOT_YET;
  }
  if (store === null) {
    if (s.request.withinGrace()) {
      return NOT_YET;
    }
    throw new KeyStoreError(messages.storeGoneMessage(id, desired.name, 'update'));
  }
  const state = store.ConnectionState ?? 'UNKNOWN';
  const offlinePending = plan.offline.length > 0 && s.request.event.UpdateApplied !== true;
  if (offlinePending) {
    if (state === DISCONNECTING) {
      return NOT_YET;
    }
    if (state === DISCONNECTED) {
      const applied = await applyUpdateOrNotYet(s, id, desired, plan);
      if (!applied) {
        return NOT_YET;
      }
    } else if (!matchesObservableSettings(store, desired)) {
      // KMS still shows the store as it was before onEvent's disconnect: disconnect again.
      await s.disconnectIgnoringState(id);
      return NOT_YET;
    }
  }
  if (rollback && s.request.event.PriorConnectionState === FAILED) {
    // The forward update left the store FAILED and its Reason said what to fix: the rollback
    // leaves it DISCONNECTED rather than try a login that just failed (and count towards lockout).
    return reconcileConnection(s, id, { ...desired, connected: false }, { failOnFailed: false }, store);
  }
  const passwordSent = plan.offline.includes('KeyStorePassword');
  // A change KMS makes while connected, on a store that was FAILED before: that failure is not this update's.
  const failedBefore = s.request.event.PriorConnectionState === FAILED && asked.offline.length === 0 && !asked.connectedChanged;
  return reconcileConnection(s, 
    id,
    desired,
    {
      failOnFailed: !failedBefore,
      rollback,
      // Settings changed by this update, or by an earlier one while the store was not connected,
      // may not be in effect yet: KMS takes up to five minutes.
      xksMayBeStale: desired.external !== undefined && (changesXksConnection(plan) || s.request.event.PriorConnectionState !== CONNECTED),
      failure: passwordSent && desired.cloudHsm ? (s) => passwordFailure(id, desired, s) : undefined,
    },
    store,
  );
}

async function replace(s: StoreSteps, id: string, old: DesiredStore, desired: DesiredStore, plan: UpdatePlan): Promise<OnEventResult> {
  const what = old.type !== desired.type ? 'store type' : 'trust anchor certificate';
  if (!plan.nameChanged) {
    throw new KeyStoreError(messages.replacementNeedsNewNameMessage(id, old.name, what));
  }
  if (old.cloudHsm && desired.cloudHsm && old.cloudHsm.clusterId === desired.cloudHsm.clusterId) {
    throw new KeyStoreError(messages.replacementNeedsNewClusterMessage(id, old.name, old.cloudHsm.clusterId));
  }
  const newId = await s.createStore(desired);
  s.log({ step: 'replace', oldStore: id, newStore: newId });
  return { PhysicalResourceId: newId, StartedAt: s.request.startedAt(), Replacement: true };
}

/** "If you change the XksProxyConnectivity ..., you must also change the XksProxyUriEndpoint" (API model). */
function refuseConnectivitySwitch(id: string, old: DesiredStore, desired: DesiredStore): void {
  const [a, b] = [old.external, desired.external];
  if (a && b && a.connectivity !== b.connectivity && a.uriEndpoint === b.uriEndpoint) {
    throw new KeyStoreError(messages.connectivitySwitchMessage(id, old.name, a.connectivity, b.connectivity, b.uriEndpoint));
  }
}

/** The plan as the state at onEvent and the kind of update allow it; onEvent and isComplete agree on it. */
function effectivePlan(s: StoreSteps, plan: UpdatePlan, state: string | undefined, rollback: boolean): UpdatePlan {
  const forState = planForState(plan, state);
  if (rollback && forState.offline.includes('KeyStorePassword')) {
    s.log({ step: 'rollback-keeps-password', reason: 'KMS rotated the old password away on the last connect' });
    return withoutPassword(forState);
  }
  return forState;
}

function passwordFailure(id: string, desired: DesiredStore, store: StoreView): string {
  const hsm = desired.cloudHsm;
  return hsm
    ? messages.passwordUpdateFailedMessage(id, desired.name, store.CloudHsmClusterId ?? hsm.clusterId, hsm.passwordSecretArn, store.ConnectionErrorCode)
    : messages.connectionFailedMessage(id, desired.name, desired.type, store.ConnectionErrorCode);
}

/** onEvent retries a passing proxy condition itself; isComplete is polled again instead (applyUpdateOrNotYet). */
async function applyUpdate(s: StoreSteps, id: string, desired: DesiredStore, plan: UpdatePlan, includeOffline: boolean, state: string, fromOnEvent = true): Promise<void> {
  const input = await updateInput(id, desired, plan, includeOffline, s.deps.secrets, s.request.stackAccount());
  s.log({ step: 'update', store: id, state, fields: [...plan.online, ...(includeOffline ? plan.offline : [])].join(',') });
  try {
    await (fromOnEvent ? s.retryingPassingProxyFailures(desired, 'update', async () => s.stores.update(input)) : s.stores.update(input));
  } catch (err) {
    throw explain(err, messages.stepFailedContext('update', id, desired.name, state, errorName(err)));
  }
}

/** isComplete's update step: false when KMS says the store is not DISCONNECTED after all. */
async function applyUpdateOrNotYet(s: StoreSteps, id: string, desired: DesiredStore, plan: UpdatePlan): Promise<boolean> {
  try {
    await applyUpdate(s, id, desired, plan, true, DISCONNECTED, false);
    return true;
  } catch (err) {
    if (err instanceof KeyStoreError && err.message.startsWith('CustomKeyStoreInvalidStateException')) {
      return false;
    }
    if (err instanceof KeyStoreError && [...PASSING_PROXY_FAILURES].some((name) => err.message.startsWith(`${name}:`))) {
      // A passing proxy condition: the next poll tries again, until waitTimeout (checkDeadline) ends it.
      s.log({ step: 'proxy-check-retry', operation: 'update', error: err.message.split(':')[0] });
      return false;
    }
    const prior = s.request.event.PriorConnectionState;
    if (prior === CONNECTED || prior === CONNECTING) {
      // Put the store back in service with its old settings before reporting the failure.
      await s.connectIgnoringState(id).catch(() => undefined);
      throw new KeyStoreError(messages.reconnectingAfterFailedUpdate((err as Error).message));
    }
    throw err;
  }
}

async function disconnectAndSettle(s: StoreSteps, id: string, from: string): Promise<void> {
  await s.disconnectIgnoringState(id);
  // KMS is eventually consistent: wait until it shows the disconnect, so that isComplete never
  // mistakes the state from before it for the state after it.
  await s.pollState(id, s.settle().timeoutMs, (state) => state !== from);
}

/** Waits until KMS shows the store DISCONNECTED; a store that does not get there in time fails the update untouched. */
async function waitForDisconnected(s: StoreSteps, id: string, desired: DesiredStore, plan: UpdatePlan, from: string): Promise<void> {
  const limitMs = Math.min(s.settle().longTimeoutMs, desired.waitTimeoutSeconds * 1000);
  const { reached, seen } = await s.pollState(id, limitMs, (state) => state === DISCONNECTED);
  if (reached) {
    return;
  }
  const reconnect = from === CONNECTED || from === CONNECTING;
  if (reconnect) {
    await s.connectIgnoringState(id).catch(() => undefined);
  }
  const fields = plan.offline.filter((f) => UNOBSERVABLE_FIELDS.has(f)).join(' and ');
  throw new KeyStoreError(messages.disconnectTimedOutMessage(id, desired.name, fields, Math.round(limitMs / 1000), messages.stateName(seen), reconnect));
}

async function requireStore(s: StoreSteps, id: string, name: string): Promise<StoreView> {
  const store = await s.stores.describe(id);
  if (!store) {
    throw new KeyStoreError(messages.storeGoneMessage(id, name, 'update'));
  }
  return store;
}

/** The store already has the type and trust anchor the stack asks for. */
function hasIdentity(store: StoreView, desired: DesiredStore): boolean {
  return store.CustomKeyStoreType === desired.type && (!desired.cloudHsm || samePem(store.TrustAnchorCertificate, desired.cloudHsm.trustAnchorCertificate));
}

/** KMS shows what the update asked for, as far as DescribeCustomKeyStores shows anything. */
function matchesObservableSettings(store: StoreView, desired: DesiredStore): boolean {
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

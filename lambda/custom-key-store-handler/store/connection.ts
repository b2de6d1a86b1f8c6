/**
 * The reconciler every isComplete of a create or an update ends in: it reads the store's state,
 * takes at most one step towards the connection state the stack asks for (connect or disconnect),
 * and says whether the store is there. A store that will not connect fails the operation, unless
 * the policy says the failure is not this operation's to report.
 */
import { ConnectionErrorCodeType, ConnectionStateType } from '@aws-sdk/client-kms';
import { KeyStoreError } from '../../shared/errors';
import { StoreView } from '../../shared/store-api';
import { IsCompleteResult } from '../events';
import { DesiredStore } from './desired';
import * as messages from './messages';
import { NOT_YET, StoreSteps } from './steps';

const { CONNECTED, CONNECTING, DISCONNECTED, DISCONNECTING, FAILED } = ConnectionStateType;

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
export interface ConnectPolicy {
  /** False only for an update that did not touch a store which was already FAILED before it. */
  readonly failOnFailed: boolean;
  /** A rollback leaves a store that cannot connect DISCONNECTED instead of failing (and stranding the stack). */
  readonly rollback?: boolean;
  /** An external key store's connection settings may have changed just now: a failure may be the old settings. */
  readonly xksMayBeStale?: boolean;
  /** The message for a FAILED store, when not the generic one. */
  readonly failure?: (store: StoreView) => string;
}

/**
 * Moves the store one step towards the desired connection state, and says whether it is there.
 */
export async function reconcileConnection(s: StoreSteps, id: string, desired: DesiredStore, policy: ConnectPolicy, seen?: StoreView): Promise<IsCompleteResult> {
  const store = seen ?? (await s.describeOrNotYet(id));
  s.request.checkDeadline(id, store ?? undefined);
  if (store === undefined) {
    return NOT_YET;
  }
  if (store === null) {
    if (s.request.withinGrace()) {
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
        s.log({ step: 'connect', store: id });
        await s.connectIgnoringState(id);
        return NOT_YET;
      case FAILED:
        return onFailedConnect(s, id, desired, store, policy, done);
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
      s.log({ step: 'disconnect', store: id, state });
      await s.disconnectIgnoringState(id);
      return NOT_YET;
    default:
      return NOT_YET;
  }
}

/** Called within the wait's deadline (checkDeadline runs first), so waitTimeout bounds the retries too. */
async function onFailedConnect(s: StoreSteps, id: string, desired: DesiredStore, store: StoreView, policy: ConnectPolicy, done: (state?: string) => IsCompleteResult): Promise<IsCompleteResult> {
  const code = store.ConnectionErrorCode;
  if (policy.rollback) {
    // The forward update's failure already said what to fix; failing here too would leave the
    // stack in UPDATE_ROLLBACK_FAILED. Leave the store disconnected, without another login try.
    s.log({ step: 'rollback-leaves-disconnected', store: id, connectionErrorCode: code });
    await s.disconnectIgnoringState(id);
    return done(DISCONNECTING);
  }
  if (policy.xksMayBeStale && code !== undefined && STALE_SETTINGS_CODES.has(code) && s.request.elapsedMs() < XKS_PROPAGATION_MS) {
    // KMS may have tried the settings from before the update: disconnect, then connect again.
    s.log({ step: 'retry-connect-after-xks-change', store: id, connectionErrorCode: code });
    await s.disconnectIgnoringState(id);
    return NOT_YET;
  }
  if (!policy.failOnFailed) {
    s.log({ step: 'left-failed', store: id, connectionErrorCode: code });
    return done();
  }
  throw new KeyStoreError(policy.failure ? policy.failure(store) : messages.connectionFailedMessage(id, desired.name, desired.type, code));
}

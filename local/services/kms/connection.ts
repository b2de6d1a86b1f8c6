/**
 * Connecting and disconnecting a custom key store: the five connection states with their timed
 * transitions (CONNECTING and DISCONNECTING last connectMs and disconnectMs on the model's clock),
 * the InvalidState rules of ConnectCustomKeyStore and DisconnectCustomKeyStore, and the outcome of a
 * connect: CONNECTED, or FAILED with the ConnectionErrorCode KMS gives each cause it finds in the
 * world outside KMS (world.ts).
 *
 * A store's connection state is a timeline of (time, state) steps on the model's clock, so a test
 * that freezes the clock holds a transition for as long as it needs.
 */
import { randomBytes } from 'crypto';
import type { KmsAccount } from './account';
import { invalidState } from './errors';
import { ConnectionState, Json, StateStep, Store, XksConfig } from './records';

/** The store's connection state at `at`: the last step at or before it. */
export function stateAt(store: Store, at: number): StateStep {
  let current = store.steps[0];
  for (const step of store.steps) {
    if (step.at <= at) current = step;
  }
  return current;
}

export class Connections {
  constructor(private readonly account: KmsAccount) {}

  public ConnectCustomKeyStore(input: Json): Json {
    const store = this.account.store(input);
    const state = this.account.stateOf(store);
    if (state.state === 'DISCONNECTING' || state.state === 'FAILED') {
      throw invalidState(store.id, state.state, 'ConnectCustomKeyStore');
    }
    if (state.state === 'DISCONNECTED') {
      const now = this.account.clock.now();
      const outcome = this.connectionOutcome(store, now);
      this.schedule(store, [{ at: now, state: 'CONNECTING' }, { at: now + this.account.connectMs, ...outcome }]);
    }
    return {};
  }

  public DisconnectCustomKeyStore(input: Json): Json {
    const store = this.account.store(input);
    const { state } = this.account.stateOf(store);
    if (state === 'DISCONNECTING' || state === 'DISCONNECTED') {
      throw invalidState(store.id, state, 'DisconnectCustomKeyStore');
    }
    const now = this.account.clock.now();
    this.schedule(store, [{ at: now, state: 'DISCONNECTING' }, { at: now + this.account.disconnectMs, state: 'DISCONNECTED' }]);
    return {};
  }

  /** Replaces whatever was still to come (a connect cut short by a disconnect) with `steps`. */
  private schedule(store: Store, steps: StateStep[]): void {
    const now = this.account.clock.now();
    const past = store.steps.filter((s) => s.at <= now);
    // Keep only what a lagging read can still show, so a long-lived store's timeline stays short.
    const keepFrom = now - this.account.visibilityLagMs;
    let firstKept = 0;
    past.forEach((step, i) => {
      if (step.at <= keepFrom) firstKept = i;
    });
    store.steps = [...past.slice(firstKept), ...steps];
  }

  /** The outcome of a connect started at `at`, with the settings KMS uses by then. */
  private connectionOutcome(store: Store, at: number): { state: ConnectionState; errorCode?: string } {
    const world = this.account.world;
    const fail = (errorCode: string): { state: ConnectionState; errorCode: string } => ({ state: 'FAILED', errorCode });
    if (store.type === 'AWS_CLOUDHSM') {
      const clusterId = store.clusterId as string;
      const cluster = world.clusters.get(clusterId) ?? {};
      if (cluster.exists === false) return fail('CLUSTER_NOT_FOUND');
      if (cluster.subnetDeleted) return fail('SUBNET_NOT_FOUND');
      if (cluster.networkBlocked) return fail('NETWORK_ERRORS');
      if (cluster.hsmCount === 0) return fail('INSUFFICIENT_CLOUDHSM_HSMS');
      if (cluster.kmsUserExists === false) return fail('USER_NOT_FOUND');
      if (cluster.kmsUserLoggedIn) return fail('USER_LOGGED_IN');
      if (cluster.kmsUserLocked) return fail('USER_LOCKED_OUT');
      const inCluster = world.kmsUserPassword(clusterId) ?? store.password;
      if (inCluster !== store.password) return fail('INVALID_CREDENTIALS');
      if (this.account.rotateKmsUserPassword) {
        // KMS logs in as kmsuser and rotates its password: from now on only KMS knows it.
        const rotated = randomBytes(24).toString('base64url').slice(0, 32);
        world.setKmsUserPassword(clusterId, rotated);
        store.password = rotated;
      } else {
        world.setKmsUserPassword(clusterId, inCluster as string);
      }
      return { state: 'CONNECTED' };
    }
    const xks = this.effectiveXks(store, at);
    const proxy = world.proxies.get(xks.endpoint) ?? {};
    if (xks.connectivity === 'VPC_ENDPOINT_SERVICE') {
      const service = world.vpcEndpointServices.get(xks.vpcServiceName as string) ?? {};
      if (service.exists === false) return fail('XKS_VPC_ENDPOINT_SERVICE_NOT_FOUND');
      if (service.allowsKms === false) return fail('XKS_VPC_ENDPOINT_SERVICE_INVALID_CONFIGURATION');
    }
    if (proxy.reachable === false) return fail('XKS_PROXY_NOT_REACHABLE');
    if (proxy.uriPath !== undefined && proxy.uriPath !== xks.path) return fail('XKS_PROXY_INVALID_CONFIGURATION');
    if (!world.proxyAccepts(xks)) {
      // "INVALID_CREDENTIALS: One or both of the XksProxyAuthenticationCredential values is not valid."
      return fail('INVALID_CREDENTIALS');
    }
    if (proxy.deniesKms) return fail('XKS_PROXY_ACCESS_DENIED');
    return { state: 'CONNECTED' };
  }

  /** The external key store settings a connect at `at` uses: an update arrives xksPropagationMs late. */
  private effectiveXks(store: Store, at: number): XksConfig {
    let current = store.xksEffective[0];
    for (const entry of store.xksEffective) {
      if (entry.from <= at) current = entry;
    }
    return current.config;
  }
}

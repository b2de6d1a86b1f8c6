/**
 * A store's Create: onEvent creates it (or adopts the one an earlier attempt of this create made)
 * and returns its id; isComplete then connects it, or leaves it disconnected, as the stack asks.
 */
import { IsCompleteResult, OnEventResult } from '../events';
import { reconcileConnection } from './connection';
import { StoreSteps } from './steps';

export async function onCreate(s: StoreSteps): Promise<OnEventResult> {
  const id = await s.createStore(s.request.want());
  return { PhysicalResourceId: id, StartedAt: s.request.startedAt() };
}

export async function isCreateComplete(s: StoreSteps): Promise<IsCompleteResult> {
  return reconcileConnection(s, s.request.physicalId(), s.request.want(), { failOnFailed: true });
}

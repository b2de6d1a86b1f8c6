/**
 * A store's Create: onEvent creates it (or adopts the one an earlier attempt of this create made,
 * or with adoptExisting one made outside the stack: adopt.ts)
 * and returns its id; isComplete then connects it, or leaves it disconnected, as the stack asks.
 */
import { IsCompleteResult, OnEventResult } from '../events';
import { adoptExisting } from './adopt';
import { reconcileConnection } from './connection';
import { StoreSteps } from './steps';

export async function onCreate(s: StoreSteps): Promise<OnEventResult> {
  const adopted = s.request.want().adoptExisting ? await adoptExisting(s) : undefined;
  if (adopted) {
    return adopted;
  }
  const id = await s.createStore(s.request.want());
  return { PhysicalResourceId: id, StartedAt: s.request.startedAt() };
}

export async function isCreateComplete(s: StoreSteps): Promise<IsCompleteResult> {
  return reconcileConnection(s, s.request.physicalId(), s.request.want(), { failOnFailed: true });
}

/**
 * The Delete of an adopted store. CloudFormation's rollback of the Create that adopted it (the
 * stack's first deploy failing, or an update that added it) gives the store back as the Create
 * found it: never deleted, connected again if it was connected, disconnected if it was not. Any
 * other Delete (a stack delete, a removal from the stack) forgets the adoption and goes on as for
 * any store, under its removal policy.
 *
 * Only the stack's status tells a rollback's Delete from another: a Delete under a rollback is the
 * undoing of this resource's creation (a rollback deletes only what the failed operation made).
 */
import { ConnectionStateType } from '@aws-sdk/client-kms';
import { STORE_ID_PATTERN } from '../../../lib/private/contract/store-properties';
import { KeyStoreError } from '../../shared/errors';
import { IsCompleteResult, OnEventResult } from '../events';
import { adoptionRecords } from './adopt';
import { reconcileConnection } from './connection';
import * as messages from './messages';
import { StoreSteps } from './steps';

const { CONNECTED, CONNECTING } = ConnectionStateType;

/** The statuses in which CloudFormation deletes what the failed operation made. */
const ROLLBACK_DELETE_STATUSES: ReadonlySet<string> = new Set([
  'ROLLBACK_IN_PROGRESS',
  'UPDATE_ROLLBACK_IN_PROGRESS',
  'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
  'IMPORT_ROLLBACK_IN_PROGRESS',
]);

/** onEvent of the release; undefined when the Delete is not the rollback of an adoption. */
export async function releaseIfAdoptionRolledBack(s: StoreSteps): Promise<OnEventResult | undefined> {
  const id = s.request.physicalId();
  if (!s.request.wantIfReadable()?.adoptExisting || !STORE_ID_PATTERN.test(id)) {
    return undefined;
  }
  const { StackId: stackId, LogicalResourceId: logicalId } = s.request.event;
  const records = adoptionRecords(s);
  const record = await records.read(stackId, id);
  if (!record || record.stackId !== stackId || record.logicalId !== logicalId) {
    return undefined;
  }
  const activity = await s.deps.stackStatus?.activity(stackId);
  if (!activity?.status) {
    throw new KeyStoreError(messages.adoptionUndecidedMessage(id, activity?.unknownBecause ?? 'no stack status reader'));
  }
  if (!ROLLBACK_DELETE_STATUSES.has(activity.status)) {
    s.log({ step: 'adoption-forgotten', store: id, stackStatus: activity.status });
    await records.remove(stackId, id);
    return undefined;
  }
  s.log({ step: 'release', store: id, priorState: record.priorState, stackStatus: activity.status });
  return { PhysicalResourceId: id, StartedAt: s.request.startedAt(), Release: true, PriorConnectionState: record.priorState };
}

/** Reconciles the store back to the connection it had, then forgets the adoption. */
export async function isReleaseComplete(s: StoreSteps): Promise<IsCompleteResult> {
  const id = s.request.physicalId();
  const prior = s.request.event.PriorConnectionState;
  const store = await s.describeOrNotYet(id);
  if (store === undefined) {
    return { IsComplete: false };
  }
  if (store !== null) {
    const back = { ...s.request.want(), connected: prior === CONNECTED || prior === CONNECTING };
    // A store that will not reconnect is left DISCONNECTED rather than failing the rollback.
    const result = await reconcileConnection(s, id, back, { failOnFailed: false, rollback: true }, store);
    if (!result.IsComplete) {
      return result;
    }
  }
  await adoptionRecords(s).remove(s.request.event.StackId, id);
  s.log({ step: 'released', store: id, state: store?.ConnectionState ?? 'gone' });
  return { IsComplete: true };
}

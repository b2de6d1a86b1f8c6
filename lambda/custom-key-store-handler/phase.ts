/**
 * How every handler phase runs, for custom key stores and their keys alike: logged on the way in
 * and out, and every error leaving as a short KeyStoreError with the secrets read redacted.
 */
import { LogEntry, ResourceDeps } from './store/resource';
import { errorName, KeyStoreError } from '../shared/errors';
import { unexpectedFailureMessage } from './messages';
import { SecretRedactor } from '../shared/secrets/redactor';

/** The fields of an event a phase's log and error messages name. */
export interface PhaseEvent {
  readonly RequestType?: string;
  readonly ResourceType?: string;
  readonly PhysicalResourceId?: string;
  readonly LogicalResourceId?: string;
}

/** What a phase works on, as its unexpected-failure message names it: "custom key store" or "KMS key". */
export type PhaseSubject = 'custom key store' | 'KMS key';

export async function runPhase<R, T>(
  deps: ResourceDeps,
  redactor: SecretRedactor,
  event: PhaseEvent,
  phase: string,
  subject: PhaseSubject,
  make: () => R,
  body: (resource: R) => Promise<T>,
): Promise<T> {
  const log: (entry: LogEntry) => void = deps.log ?? (() => undefined);
  log({ phase, resourceType: event.ResourceType, requestType: event.RequestType, physicalResourceId: event.PhysicalResourceId, logicalResourceId: event.LogicalResourceId });
  try {
    const result = await body(make());
    log({ phase, result: JSON.stringify(result) });
    return result;
  } catch (err) {
    const message =
      err instanceof KeyStoreError
        ? err.message
        : unexpectedFailureMessage(errorName(err), err instanceof Error ? err.message : String(err), event.RequestType, phase, subject, event.PhysicalResourceId);
    const safe = new KeyStoreError(redactor.redact(message));
    log({ phase, failed: safe.message });
    throw safe;
  }
}

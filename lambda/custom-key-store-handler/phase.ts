/**
 * How every handler phase runs, for custom key stores and their keys alike: logged on the way in
 * and out, and every error leaving as a short KeyStoreError with the secrets read redacted.
 */
import { errorName, KeyStoreError } from '../shared/errors';
import { SecretRedactor } from '../shared/secrets/redactor';
import { LogEntry, ResourceDeps } from './deps';
import { KeyEvent, KeyStoreEvent } from './events';
import { KeyResource } from './key/resource';
import { unexpectedFailureMessage } from './messages';
import { CustomKeyStoreResource } from './store/resource';

/** The fields of an event a phase's log and error messages name. */
interface PhaseEvent {
  readonly RequestType?: string;
  readonly ResourceType?: string;
  readonly PhysicalResourceId?: string;
  readonly LogicalResourceId?: string;
}

/** What a phase works on, as its unexpected-failure message names it: "custom key store" or "KMS key". */
type PhaseSubject = 'custom key store' | 'KMS key';

async function runPhase<R, T>(
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

/** Runs one phase of a custom key store's event. */
export async function runWith<T>(
  deps: ResourceDeps,
  redactor: SecretRedactor,
  event: KeyStoreEvent,
  phase: string,
  body: (resource: CustomKeyStoreResource) => Promise<T>,
): Promise<T> {
  return runPhase(deps, redactor, event, phase, 'custom key store', () => new CustomKeyStoreResource(deps, event), body);
}

/** Runs one phase of a key's event, as the store's phases run. */
export async function runKeyWith<T>(deps: ResourceDeps, redactor: SecretRedactor, event: KeyEvent, phase: string, body: (key: KeyResource) => Promise<T>): Promise<T> {
  return runPhase(deps, redactor, event, phase, 'KMS key', () => new KeyResource(deps, event), body);
}

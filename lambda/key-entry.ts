/**
 * How index.ts runs a key event: the same log, error and redaction conventions as the store's
 * runWith, around a KeyResource.
 */
import { KEY_RESOURCE_TYPE } from '../lib/private/contract/key-properties';
import { ResourceDeps } from './custom-key-store-resource';
import { errorName, KeyStoreError } from './errors';
import { KeyEvent, KeyResource } from './key-resource';
import { SecretRedactor } from './secrets';

export function isKeyEvent(event: unknown): event is KeyEvent {
  return typeof event === 'object' && event !== null && (event as KeyEvent).ResourceType === KEY_RESOURCE_TYPE;
}

/** Runs one handler phase of a key event; every error leaves as a short KeyStoreError with secrets redacted. */
export async function runKeyWith<T>(deps: ResourceDeps, redactor: SecretRedactor, event: KeyEvent, phase: string, body: (key: KeyResource) => Promise<T>): Promise<T> {
  const log = deps.log ?? (() => undefined);
  log({ phase, resourceType: event.ResourceType, requestType: event.RequestType, physicalResourceId: event.PhysicalResourceId, logicalResourceId: event.LogicalResourceId });
  try {
    const result = await body(new KeyResource(deps, event));
    log({ phase, result: JSON.stringify(result) });
    return result;
  } catch (err) {
    const message =
      err instanceof KeyStoreError
        ? err.message
        : `${errorName(err)}: ${err instanceof Error ? err.message : String(err)} (during ${event.RequestType ?? 'an unknown request'} ${phase} of KMS key ${event.PhysicalResourceId ?? '(new)'}; the key is as the last completed step left it, see the handler's log, and the deployment can be retried)`;
    const safe = new KeyStoreError(redactor.redact(message));
    log({ phase, failed: safe.message });
    throw safe;
  }
}

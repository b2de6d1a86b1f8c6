/**
 * How index.ts runs a key event: the same log, error and redaction conventions as the store's
 * runWith, around a KeyResource.
 */
import { KEY_RESOURCE_TYPE } from '../../../lib/private/contract/key-properties';
import { ResourceDeps } from '../store/resource';
import { KeyEvent, KeyResource } from './resource';
import { runPhase } from '../phase';
import { SecretRedactor } from '../../shared/secrets/redactor';

export function isKeyEvent(event: unknown): event is KeyEvent {
  return typeof event === 'object' && event !== null && (event as KeyEvent).ResourceType === KEY_RESOURCE_TYPE;
}

/** Runs one phase of a key's event, as the store's phases run. */
export async function runKeyWith<T>(deps: ResourceDeps, redactor: SecretRedactor, event: KeyEvent, phase: string, body: (key: KeyResource) => Promise<T>): Promise<T> {
  return runPhase(deps, redactor, event, phase, 'KMS key', () => new KeyResource(deps, event), body);
}

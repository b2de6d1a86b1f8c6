/**
 * Errors the handler reports to CloudFormation.
 *
 * The Provider framework sends a failed handler's message, followed by its stack trace, as the
 * stack event's Reason, and CloudFormation rejects a response over 4096 bytes. A KeyStoreError
 * therefore keeps a one-line stack and a message capped well below that limit, and every message
 * says what happened, what state the store is in and what to do next.
 */
import { explainedMessage } from './messages';

/** Room left for the framework's own additions ("Logs: /aws/lambda/…", StackId, RequestId). */
export const MAX_MESSAGE_BYTES = 3000;

export class KeyStoreError extends Error {
  /** `cause`: the error it explains, when there is one; callers may decide by it (is it transient?). */
  constructor(message: string, cause?: unknown) {
    super(capBytes(message, MAX_MESSAGE_BYTES), cause === undefined ? undefined : { cause });
    this.name = 'KeyStoreError';
    // The Lambda runtime sends err.stack as the trace; one line keeps the Reason short.
    this.stack = this.message;
  }
}

/** The name an AWS SDK v3 error carries (its exception shape), or a fallback. */
export function errorName(err: unknown): string {
  if (err instanceof Error) {
    return err.name;
  }
  return 'Error';
}

/** Cuts `text` to at most `maxBytes` UTF-8 bytes, marking the cut. */
export function capBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) {
    return text;
  }
  const marker = ' [...]';
  let cut = text.slice(0, maxBytes);
  while (Buffer.byteLength(cut + marker, 'utf8') > maxBytes) {
    cut = cut.slice(0, -16);
  }
  return cut + marker;
}

/** Wraps an error with one line of context, keeping the original exception name first. */
export function explain(err: unknown, context: string): KeyStoreError {
  const detail = err instanceof Error ? err.message : String(err);
  return new KeyStoreError(explainedMessage(errorName(err), detail, context));
}

/**
 * KMS refusals of a key call that are not transient errors (retry.ts does not retry them) yet often
 * pass within seconds, each tried again within a window of its own:
 *
 * - CreateKey's CustomKeyStoreInvalidStateException from a CONNECTED external key store: KMS gives it
 *   when the store's proxy rejects or fails the request, the retryable DependencyTimeout, Internal,
 *   Throttling and XksProxyUnreachable among them (Guide, "Monitor external key stores", the top
 *   exceptions table), so the store stays CONNECTED while a blip lasts;
 * - MalformedPolicyDocumentException on CreateKey and PutKeyPolicy: "The principals in the key policy
 *   must exist and be visible to KMS. When you create a new Amazon Web Services principal, you might
 *   need to enforce a delay before including the new principal in a key policy because the new
 *   principal might not be immediately visible to KMS." (API model, CreateKeyRequest.Policy). A role
 *   made in the same deployment as the key is such a principal.
 *
 * Nothing is spent unless a refusal is met: the first call is the only one otherwise.
 */
import { errorName } from '../../shared/errors';
import { Sleep } from '../../shared/retry';

export interface RefusalWindow {
  /** How long to keep trying: the sum of the waits after refusals of this kind. */
  readonly budgetMs: number;
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
}

/** A proxy blip: waits of 1, 2, 4 and 8 s, five attempts in about 15 s. */
export const PROXY_REFUSAL_WINDOW: RefusalWindow = { budgetMs: 15_000, firstDelayMs: 1_000, maxDelayMs: 8_000 };

/** A principal becoming visible to KMS: waits of 1, 2, 4, 8 and 8 s, six attempts in about 23 s. */
export const POLICY_REFUSAL_WINDOW: RefusalWindow = { budgetMs: 25_000, firstDelayMs: 1_000, maxDelayMs: 8_000 };

export interface RefusalRetryOptions {
  readonly now: () => number;
  readonly sleep: Sleep;
  /** No wait may end after this time (the invocation's own end, less the time to report). */
  readonly deadline?: number;
  /** Told of each retry before its wait. */
  readonly onRetry?: (errorName: string, delayMs: number) => void;
}

/**
 * Runs `call`; while it fails with an error for which `windowFor` gives a window, waits (doubling
 * from the window's first delay, capped) and tries again, as long as the waits after refusals of
 * that kind stay within the window and the wait ends before the deadline. Then the last error is
 * rethrown as it came.
 */
export async function retryingPassingRefusals<T>(
  call: () => Promise<T>,
  windowFor: (err: unknown) => Promise<RefusalWindow | undefined>,
  options: RefusalRetryOptions,
): Promise<T> {
  const seen = new Map<RefusalWindow, { waited: number; delay: number }>();
  for (;;) {
    try {
      return await call();
    } catch (err) {
      const window = await windowFor(err);
      if (!window) throw err;
      const kind = seen.get(window) ?? { waited: 0, delay: window.firstDelayMs };
      seen.set(window, kind);
      // The window counts the waits only, so that the calls' own time does not cut the last wait.
      if (kind.waited + kind.delay > window.budgetMs || options.now() + kind.delay > (options.deadline ?? Infinity)) throw err;
      options.onRetry?.(errorName(err), kind.delay);
      await options.sleep(kind.delay);
      kind.waited += kind.delay;
      kind.delay = Math.min(kind.delay * 2, window.maxDelayMs);
    }
  }
}

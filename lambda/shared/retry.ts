/**
 * Retries of transient AWS errors with capped exponential backoff and full jitter.
 *
 * The SDK clients are built with maxAttempts 1 so that this is the only retry layer: retries are
 * counted, and KMS's per-account quotas (5 requests/s for the custom key store operations) are
 * not hit harder by two stacked retry loops.
 */

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 200, maxDelayMs: 10_000 };

/** What a run of calls cost: filled in by withRetry, read by logs, the demo and the benchmarks. */
export class CallStats {
  public calls = 0;
  public retries = 0;
  public throttled = 0;
}

export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = async (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'KMSInternalException',
  'InternalServiceError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);

interface AwsErrorShape {
  name?: string;
  code?: string;
  /** Set on every exception a service returned ('client' or 'server'). */
  $fault?: string;
  $metadata?: { httpStatusCode?: number };
}

export function isThrottling(err: unknown): boolean {
  const name = (err as AwsErrorShape | undefined)?.name;
  return name === 'ThrottlingException' || name === 'TooManyRequestsException' || name === 'RequestLimitExceeded';
}

/** True for errors worth another attempt: throttling, KMS/SM internal errors, 5xx and broken connections. */
export function isTransient(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) {
    return false;
  }
  const shape = err as AwsErrorShape;
  if (shape.name !== undefined && TRANSIENT_NAMES.has(shape.name)) {
    return true;
  }
  if (shape.code !== undefined && NETWORK_CODES.has(shape.code)) {
    return true;
  }
  if (shape.$metadata !== undefined && shape.$metadata.httpStatusCode === undefined && shape.$fault === undefined) {
    // Not a service's answer and no HTTP status: the connection broke or timed out.
    return true;
  }
  const status = shape.$metadata?.httpStatusCode;
  return status !== undefined && status >= 500;
}

export interface RetryOptions {
  readonly policy?: RetryPolicy;
  readonly stats?: CallStats;
  readonly sleep?: Sleep;
  readonly random?: () => number;
}

/** Runs `call`, retrying transient failures; the last error is rethrown as it came. */
export async function withRetry<T>(call: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      if (options.stats) {
        options.stats.calls++;
      }
      return await call();
    } catch (err) {
      if (!isTransient(err) || attempt >= policy.maxAttempts) {
        throw err;
      }
      if (options.stats) {
        options.stats.retries++;
        if (isThrottling(err)) {
          options.stats.throttled++;
        }
      }
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      await sleep(Math.max(1, Math.floor(random() * ceiling)));
    }
  }
}

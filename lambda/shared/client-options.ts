/** Options for every AWS SDK client of the functions: the SDK's own retries off, so that withRetry (retry.ts) is the one layer. */
export const CLIENT_OPTIONS = { maxAttempts: 1, requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000 } };

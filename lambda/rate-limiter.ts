/**
 * A token bucket that spaces calls to a steady rate.
 *
 * KMS quotas are shared by the whole account; the key scan takes at most its budget so the
 * account's own workloads keep the rest.
 */
export class RateLimiter {
  private tokens: number;
  private last: number;
  private readonly capacity: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly now: () => number = () => Date.now(),
    private readonly sleep: (ms: number) => Promise<void> = async (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    if (!(ratePerSecond > 0)) {
      throw new Error(`RateLimiter: ratePerSecond must be positive, got ${ratePerSecond}`);
    }
    // A burst of 1/50 s worth of calls: enough to keep the pipeline full, too small to spike a quota.
    this.capacity = Math.max(1, Math.floor(ratePerSecond / 50));
    this.tokens = this.capacity;
    this.last = now();
  }

  /** Resolves when one call may be made. */
  public async acquire(): Promise<void> {
    for (;;) {
      const now = this.now();
      this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) * this.ratePerSecond) / 1000);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await this.sleep(Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSecond)));
    }
  }
}

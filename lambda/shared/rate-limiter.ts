/**
 * Spaces calls to a steady rate by handing out time slots.
 *
 * KMS quotas are shared by the whole account; the key scan takes at most its budget so that the
 * account's own workloads keep the rest. Each caller reserves the next free slot and sleeps once
 * until it: no polling, so waiting costs no CPU (the scan is CPU-bound at its rate).
 */
export class RateLimiter {
  private readonly intervalMs: number;
  /** How far behind "now" the next slot may lag: a small burst after an idle spell. */
  private readonly burstMs: number;
  private nextSlot = -Infinity;

  constructor(
    ratePerSecond: number,
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = async (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    if (!(ratePerSecond > 0)) {
      throw new Error(`RateLimiter: ratePerSecond must be positive, got ${ratePerSecond}`);
    }
    this.intervalMs = 1000 / ratePerSecond;
    // A burst of 1/50 s worth of calls: enough to keep the pipeline full, too small to spike a quota.
    this.burstMs = Math.max(1, Math.floor(ratePerSecond / 50)) * this.intervalMs;
  }

  /** Resolves when one call may be made. */
  public async acquire(): Promise<void> {
    const now = this.now();
    const slot = Math.max(now - this.burstMs, this.nextSlot);
    this.nextSlot = slot + this.intervalMs;
    // Timers have millisecond resolution: sleep only for a whole millisecond or more.
    const wait = Math.floor(slot - now);
    if (wait >= 1) {
      await this.sleep(wait);
    }
  }
}

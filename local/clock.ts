/**
 * Wall time plus an offset the tests and the demo move forward ("7 days later").
 *
 * A test that asserts a state between two transitions freezes the clock, so that the transition
 * waits for the test's `advance` instead of racing a real timer on a slow machine.
 */
export class Clock {
  private offsetMs = 0;
  private frozenAt?: number;

  public now(): number {
    return this.frozenAt ?? Date.now() + this.offsetMs;
  }

  public advance(ms: number): void {
    if (this.frozenAt !== undefined) {
      this.frozenAt += ms;
    } else {
      this.offsetMs += ms;
    }
  }

  /** Stops time where it is: nothing timed happens until `advance` or `thaw`. */
  public freeze(): void {
    this.frozenAt ??= this.now();
  }

  /** Lets time run again from where it stands. */
  public thaw(): void {
    if (this.frozenAt !== undefined) {
      this.offsetMs = this.frozenAt - Date.now();
      this.frozenAt = undefined;
    }
  }
}

/** A small seeded generator (mulberry32): the same seed gives the same faults and the same ids. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

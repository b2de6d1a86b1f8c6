/** Wall time plus an offset the tests and the demo move forward ("7 days later"). */
export class Clock {
  private offsetMs = 0;

  public now(): number {
    return Date.now() + this.offsetMs;
  }

  public advance(ms: number): void {
    this.offsetMs += ms;
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

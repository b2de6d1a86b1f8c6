/** The faults the endpoint injects into KMS calls: internal errors and dropped connections, from seeded dice. */
import { seededRandom } from '../clock';

export interface FaultOptions {
  /** Probability that a KMS call fails with KMSInternalException (500) before it takes effect. */
  readonly internalErrorRate?: number;
  /** Probability that the connection is dropped without an answer (half of them after the call took effect). */
  readonly dropRate?: number;
  /** Seed for the fault dice. */
  readonly seed?: number;
}

/** What happens to one call: it fails, its connection drops before or after it takes effect, or nothing. */
export type Fault = 'internal-error' | 'drop-before-effect' | 'drop-after-effect' | 'none';

export class FaultDice {
  /** Operations whose next call is answered by a dropped connection after it took effect (once each). */
  public readonly dropNextAfterEffect = new Set<string>();
  private faults: FaultOptions;
  private random: () => number;

  constructor(faults: FaultOptions = {}) {
    this.faults = faults;
    this.random = seededRandom(faults.seed ?? 1);
  }

  /** Sets the dice again, e.g. between the phases of a test. */
  public set(faults: FaultOptions): void {
    this.faults = faults;
    this.random = seededRandom(faults.seed ?? 1);
  }

  /** The fault for one call of `operation`; only KMS calls roll the dice (the once-only drops hit any service). */
  public roll(operation: string, isKms: boolean): Fault {
    if (isKms && this.random() < (this.faults.internalErrorRate ?? 0)) return 'internal-error';
    const dropOnce = this.dropNextAfterEffect.delete(operation);
    const drop = dropOnce || (isKms && this.random() < (this.faults.dropRate ?? 0));
    if (!drop) return 'none';
    const dropBefore = !dropOnce && this.random() < 0.5;
    return dropBefore ? 'drop-before-effect' : 'drop-after-effect';
  }
}

/** The account's request quotas, as the endpoint enforces them: ThrottlingException beyond them. */
import { REAL_QUOTAS } from './routes';

export class RequestQuotas {
  private readonly windows = new Map<string, { times: number[]; head: number }>();

  /** `quotas`: requests per second by operation; `false` turns throttling off. Default: REAL_QUOTAS. */
  constructor(private readonly quotas: Record<string, number> | false | undefined) {}

  /** At most `rate` accepted calls of an operation in any one-second window, as the quotas are stated. */
  public take(operation: string): boolean {
    if (this.quotas === false) return true;
    const quotas: Record<string, number | undefined> = this.quotas ?? REAL_QUOTAS;
    const rate = quotas[operation];
    if (rate === undefined) return true;
    const now = Date.now();
    const window = this.windows.get(operation) ?? { times: [] as number[], head: 0 };
    this.windows.set(operation, window);
    while (window.head < window.times.length && now - window.times[window.head] >= 1000) window.head++;
    if (window.head > 4096) {
      window.times = window.times.slice(window.head);
      window.head = 0;
    }
    if (window.times.length - window.head >= rate) return false;
    window.times.push(now);
    return true;
  }
}

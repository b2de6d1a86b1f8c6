/** The rate limiter that keeps the key scan within its share of the account's DescribeKey quota. */
import { RateLimiter } from '../../../lambda/shared/rate-limiter';
import { resetMocks } from '../custom-key-store-handler/harness';

beforeEach(resetMocks);

describe('rate limiter', () => {
  test('the rate limiter spaces calls to its rate', async () => {
    let now = 0;
    const limiter = new RateLimiter(100, () => now, (ms) => {
      now += ms;
      return Promise.resolve();
    });
    for (let i = 0; i < 12; i++) await limiter.acquire();
    // Slots 10 ms apart; an idle limiter lends two slots of burst: the 12th call starts at 90 ms.
    expect(now).toBe(90);
    expect(() => new RateLimiter(0)).toThrow('ratePerSecond must be positive');
  });
});

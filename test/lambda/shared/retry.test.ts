/** The one retry layer: what is transient, and when to give up. */
import { CallStats, isTransient, withRetry } from '../../../lambda/shared/retry';
import { awsError } from '../aws-mocks';

describe('retries', () => {
  test('retries: what is transient, and when to give up', async () => {
    expect(isTransient('text')).toBe(false);
    expect(isTransient({ code: 'ECONNRESET' })).toBe(true);
    expect(isTransient({ $metadata: { httpStatusCode: 503 } })).toBe(true);
    expect(isTransient({ name: 'Error', $metadata: { attempts: 1 } })).toBe(true); // no HTTP response at all
    expect(isTransient({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } })).toBe(false);
    const stats = new CallStats();
    const delays: number[] = [];
    const failing = (): Promise<never> => Promise.reject(awsError('ThrottlingException', 'Rate exceeded'));
    await expect(withRetry(failing, { stats, policy: { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 250 }, random: () => 0.999, sleep: (ms) => { delays.push(ms); return Promise.resolve(); } })).rejects.toThrow('Rate exceeded');
    expect(stats).toMatchObject({ calls: 4, retries: 3, throttled: 3 });
    expect(delays).toEqual([99, 199, 249]);
  });
});

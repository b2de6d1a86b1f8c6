/** The errors the functions report: short, and named after the error they explain. */
import { capBytes, explain } from '../../../lambda/shared/errors';

describe('errors', () => {
  test('capBytes and explain keep messages short and named', () => {
    const long = 'é'.repeat(4000);
    const capped = capBytes(long, 3000);
    expect(Buffer.byteLength(capped)).toBeLessThanOrEqual(3000);
    expect(capped.endsWith(' [...]')).toBe(true);
    expect(explain('a string was thrown', 'while testing').message).toBe('Error: a string was thrown (while testing)');
  });
});

import { removeAssemblies } from './harness';
import { runLifecycles } from './random-lifecycle';

afterAll(removeAssemblies);

// Seeds 1025-1049; faults-a.test.ts runs the other 25 of the 50.
test('25 seeded random lifecycles under throttling, 10% internal errors and dropped connections end in the expected state', async () => {
  await runLifecycles(1025, 25);
}, 10 * 60_000);

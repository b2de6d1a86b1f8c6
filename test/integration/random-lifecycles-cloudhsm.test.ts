import { removeAssemblies } from './harness';
import { runLifecycles, seedsOf } from './random-lifecycle';

afterAll(removeAssemblies);

// The seeds of 1000-1049 that play a CloudHSM key store; random-lifecycles-external.test.ts runs the others.
const SEEDS = seedsOf('hsm');

test(`${SEEDS.length} seeded random lifecycles of a CloudHSM key store under throttling, 10% internal errors and dropped connections end in the expected state`, async () => {
  await runLifecycles(SEEDS);
}, 10 * 60_000);

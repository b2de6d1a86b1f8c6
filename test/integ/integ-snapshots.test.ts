/**
 * integ-runner's snapshot mode, offline: every integration test app synthesizes to its committed
 * snapshot (test/integ/snapshots.ts says why this does not call integ-runner itself). A change to
 * what an app synthesizes fails here until the snapshot is updated on purpose.
 */
import * as path from 'path';
import { makeTempDir, TempDir } from '../fixtures/temp';
import { comparableSnapshot, integApps, snapshotDir, synthesize, UPDATE_COMMAND } from './snapshots';

const apps = integApps();
let tmp: TempDir;

beforeAll(() => {
  tmp = makeTempDir('cks-integ-');
  synthesize(apps, tmp.path);
}, 240_000);

afterAll(() => {
  tmp.remove();
});

test('the integration tests are the store lifecycle, the store with a key, and the opt-in CloudHSM store', () => {
  expect(apps).toEqual(['integ.cloudhsm-store.ts', 'integ.external-store-key.ts', 'integ.external-store-lifecycle.ts']);
});

test.each(apps)(`%s synthesizes to its committed snapshot (else: ${UPDATE_COMMAND})`, (app) => {
  const actual = comparableSnapshot(path.join(tmp.path, app));
  const committed = comparableSnapshot(snapshotDir(app));
  expect([...actual.keys()]).toEqual([...committed.keys()]);
  for (const [name, text] of actual) {
    if (text !== committed.get(name)) {
      const lines = committed.get(name)?.split('\n') ?? [];
      const first = text.split('\n').findIndex((line, i) => line !== lines[i]);
      throw new Error(`${app}: ${name} differs from the committed snapshot from line ${first + 1}: run \`${UPDATE_COMMAND}\` and commit the snapshot if the change is intended.`);
    }
  }
  // Each snapshot holds the app's test case, its stack and the assertion stack.
  expect(actual.has('integ.json')).toBe(true);
  expect([...actual.keys()].filter((f) => f.endsWith('.template.json'))).toHaveLength(2);
});

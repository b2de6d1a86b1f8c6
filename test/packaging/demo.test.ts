/**
 * The README's first command runs the demo: it must keep telling its story. Run as a newcomer runs
 * it (the bundled handler is built by the global setup), its own expectations checked.
 */
import { execFile } from 'child_process';
import * as path from 'path';
import { promisify } from 'util';

const ROOT = path.join(__dirname, '..', '..');

test('the demo runs to its end with every expectation held', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(ROOT, 'scripts', 'run-ts.js'), path.join(ROOT, 'scripts', 'demo.ts')], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }).catch((err: unknown) => {
    const { message, stdout: out } = err as { message: string; stdout?: string };
    throw new Error(`The demo failed: ${message}\n${(out ?? '').split('\n').filter((l) => /FAIL|Demo/.test(l)).join('\n')}`);
  });
  expect(stdout).toMatch(/Demo complete: every expectation held\./);
  expect(stdout).not.toMatch(/^\s+FAIL /m);
}, 180_000);

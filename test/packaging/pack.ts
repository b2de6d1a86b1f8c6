/**
 * `npm pack` as a fresh clone would run it: the files git has (or would add), without dist/,
 * assets/ or .jsii, so that the pack's own prepare script builds them.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/** Packs a fresh copy of `root` made in `workDir`; returns the tarball's path. */
export function packFreshCheckout(root: string, workDir: string, env: NodeJS.ProcessEnv): string {
  const source = path.join(workDir, 'source');
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' })
    .split('\0').filter((f) => f && fs.existsSync(path.join(root, f)));
  for (const file of files) {
    fs.mkdirSync(path.dirname(path.join(source, file)), { recursive: true });
    fs.copyFileSync(path.join(root, file), path.join(source, file));
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(source, 'node_modules'), 'dir');
  const name = execFileSync('npm', ['pack', '--pack-destination', workDir], { cwd: source, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 })
    .trim().split('\n').pop() ?? '';
  return path.join(workDir, name);
}

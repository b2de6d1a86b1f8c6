/**
 * The integration tests' snapshots, kept in integ-runner's layout (`integ.<name>.ts.snapshot/`
 * beside each app) and synthesized the way integ-runner synthesizes them (its recommended
 * feature flags, no path or asset metadata, no version reporting).
 *
 * Why not integ-runner itself: @aws-cdk/integ-runner 2.197.10, the newest on npm, bundles the
 * cloud assembly schema at revision 53, and aws-cdk-lib 2.270.0 writes revision 54
 * (`minimumCliVersion` 2.1144.0), so integ-runner refuses every assembly of this repository
 * ("Cloud assembly schema version mismatch: Maximum schema version supported is 53.x.x, but found
 * 54.0.0"), in snapshot mode too. This module does what its snapshot mode does, offline: synthesize
 * each app and compare it with the committed snapshot, asset hashes aside (integ-runner's
 * `diffAssets: false` default). When integ-runner reads schema 54, `npx integ-runner` takes over
 * the same snapshots.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { PREREQUISITE_ENV_VARS } from './prerequisites';

const INTEG_DIR = __dirname;
const ROOT = path.join(__dirname, '..', '..');
/** What a contributor runs after changing what an integration test synthesizes. */
export const UPDATE_COMMAND = 'npm run integ:snapshot';

/** The integration test apps, as integ-runner finds them (`integ.*.ts`). */
export function integApps(): string[] {
  return fs.readdirSync(INTEG_DIR).filter((f) => /^integ\.(?!.*\.d\.ts$).*\.ts$/.test(f)).sort();
}

export function snapshotDir(app: string): string {
  return path.join(INTEG_DIR, `${app}.snapshot`);
}

/** The context integ-runner synthesizes with. */
function integRunnerContext(): Record<string, unknown> {
  const flags = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', '@aws-cdk', 'integ-runner', 'lib', 'recommended-feature-flags.json'), 'utf8')) as Record<string, unknown>;
  return {
    ...flags,
    'aws:cdk:enable-path-metadata': false,
    'aws:cdk:enable-asset-metadata': false,
    'aws:cdk:version-reporting': false,
    // Stack traces name this checkout's paths: a snapshot must be the same on every machine.
    'aws:cdk:disable-stack-trace': true,
    'aws:cdk:disable-creation-stack-traces': true,
  };
}

/**
 * Synthesizes the apps, each into its own directory under `outdir`, with the placeholders only (no
 * CKS_INTEG_* variable) and without v8-compile-cache's directory in the system temp directory. One
 * process for all of them: loading aws-cdk-lib and compiling the library is most of the time.
 */
export function synthesize(apps: readonly string[], outdir: string): void {
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !PREREQUISITE_ENV_VARS.includes(name))),
    CDK_CONTEXT_JSON: JSON.stringify(integRunnerContext()),
    DISABLE_V8_COMPILE_CACHE: '1',
  };
  // Each app reads CDK_OUTDIR when it creates its App, at require time.
  const script = `for (const [file, out] of ${JSON.stringify(apps.map((a) => [path.join(INTEG_DIR, a), path.join(outdir, a)]))}) { process.env.CDK_OUTDIR = out; require(file); }`;
  try {
    execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const e = error as { stderr?: Buffer; message: string };
    throw new Error(`the integration test apps did not synthesize: ${e.message}\n${e.stderr?.toString() ?? ''}`);
  }
}

/**
 * A metadata file without its `trace` entries: Validations.acknowledge() records a stack trace
 * whatever the context says, and a trace names this checkout's paths and the library's line numbers.
 */
function withoutTraces(text: string): string {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) {
      return value.map(strip);
    }
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'trace').map(([k, v]) => [k, strip(v)]));
    }
    return value;
  };
  return `${JSON.stringify(strip(JSON.parse(text)), null, 2)}\n`;
}

/**
 * The files of a synthesized assembly that make up the snapshot, by name, as committed: the
 * functions' bundles (asset.* directories) are not committed, tree.json and cdk.out hold nothing
 * a deployment uses, and metadata loses its traces.
 */
function snapshotFiles(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const name of fs.readdirSync(dir).sort()) {
    if (name.startsWith('asset.') || name === 'tree.json' || name === 'cdk.out' || !name.endsWith('.json')) {
      continue;
    }
    const text = fs.readFileSync(path.join(dir, name), 'utf8');
    files.set(name, name.endsWith('.metadata.json') ? withoutTraces(text) : text);
  }
  return files;
}

/**
 * The snapshot as compared: every asset hash (64 hex digits) replaced, so that a change to a
 * function's bundle alone does not fail it (integ-runner's `diffAssets: false` default); and the
 * salt integ-tests-alpha gives each assertion (the synthesis time, so that assertions run again
 * on every deployment) with the asset destination names that follow from it.
 */
export function comparableSnapshot(dir: string): Map<string, string> {
  return new Map([...snapshotFiles(dir)].map(([name, text]) => [name, text
    .replace(/[0-9a-f]{64}/g, '<asset-hash>')
    .replace(/"salt": "\d+"/g, '"salt": "<time>"')
    .replace(/current_account-current_region-[0-9a-f]{8}/g, 'current_account-current_region-<hash>')]));
}

/** Replaces the committed snapshot of `app` with the one synthesized into `outdir`. */
export function writeSnapshot(app: string, outdir: string): void {
  const target = snapshotDir(app);
  fs.rmSync(target, { recursive: true, force: true });
  fs.mkdirSync(target);
  for (const [name, text] of snapshotFiles(outdir)) {
    fs.writeFileSync(path.join(target, name), text);
  }
}

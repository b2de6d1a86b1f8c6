/** Two clean checkouts must synthesize byte-identical templates: the bundle and the synth are deterministic. */
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createExampleApp, EXAMPLE_STACK_NAME } from '../../bin/app';

const root = path.join(__dirname, '..', '..');
const sha256 = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

const FUNCTIONS = ['custom-key-store-handler', 'connection-watcher', 'proxy-credential-sync'];

test('bundling the functions twice gives the same bytes as the bundles the constructs use', () => {
  const runs = [1, 2].map(() => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cks-bundle-'));
    execFileSync(process.execPath, [path.join(root, 'scripts', 'bundle-handler.js'), '--quiet', '--outdir', outdir]);
    return FUNCTIONS.map((name) => sha256(path.join(outdir, name, 'index.js')));
  });
  expect(runs[0]).toEqual(runs[1]);
  expect(runs[0]).toEqual(FUNCTIONS.map((name) => sha256(path.join(root, 'assets', name, 'index.js'))));
});

test('the bundle carries its own SDK clients: it leaves nothing to require() but Node.js built-ins', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cks-bundle-'));
  const report = execFileSync(process.execPath, [path.join(root, 'scripts', 'bundle-handler.js'), '--quiet', '--externals', '--outdir', outdir], { encoding: 'utf8' });
  expect(JSON.parse(report)).toEqual([]);
  // The SDK is inside: its client class is in the file, not loaded from node_modules.
  expect(fs.readFileSync(path.join(outdir, 'custom-key-store-handler', 'index.js'), 'utf8')).toContain('TrentService');
  expect(fs.readFileSync(path.join(outdir, 'connection-watcher', 'index.js'), 'utf8')).toContain('GraniteServiceVersion20100801');
});

test('each function carries only the clients it calls (their wire names: KMS, Secrets Manager, CloudWatch, SSM)', () => {
  const services = { kms: 'TrentService', secretsManager: '"secretsmanager"', cloudWatch: 'GraniteServiceVersion20100801', ssm: 'AmazonSSM' };
  const carried = (name: string): string[] => {
    const code = fs.readFileSync(path.join(root, 'assets', name, 'index.js'), 'utf8');
    return Object.entries(services).filter(([, marker]) => code.includes(marker)).map(([service]) => service);
  };
  // SSM only for the adoption records of stores declared with adoptExisting, loaded on first use.
  expect(carried('custom-key-store-handler')).toEqual(['kms', 'secretsManager', 'ssm']);
  // SSM for the stack's declarations (configuration drift).
  expect(carried('connection-watcher')).toEqual(['kms', 'cloudWatch', 'ssm']);
  expect(carried('proxy-credential-sync')).toEqual(['kms', 'secretsManager', 'cloudWatch', 'ssm']);
});

test('synthesizing the example app twice gives byte-identical templates', () => {
  const templates = [1, 2].map(() => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cks-synth-'));
    createExampleApp(outdir).synth();
    return fs.readFileSync(path.join(outdir, `${EXAMPLE_STACK_NAME}.template.json`), 'utf8');
  });
  expect(templates[0]).toBe(templates[1]);
  expect(templates[0]).toMatch(/"S3Key": "[0-9a-f]{64}\.zip"/);
});

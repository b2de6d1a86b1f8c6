/**
 * API.md: the API reference jsii-docgen renders from the assembly (.jsii), as Construct Hub does.
 * Shared by `npm run docgen` (writes it) and test/packaging/api-docs.test.ts (checks it is current).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Documentation, Language } from 'jsii-docgen';

export const ROOT = path.join(__dirname, '..');
export const API_MD = path.join(ROOT, 'API.md');
/** What a contributor runs after changing the public API. */
export const REGENERATE_COMMAND = 'npm run docgen';

/** Every file the assembly is compiled from: the library's sources and the two files that configure jsii. */
function assemblyInputs(root: string): string[] {
  const walk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
  return [...walk(path.join(root, 'lib')), path.join(root, 'package.json'), path.join(root, 'tsconfig.jsii.json')];
}

/**
 * Makes sure `.jsii` describes the current sources: kept when it is newer than every input (a
 * fresh checkout's `npm ci` has just built it), else compiled again with jsii alone. Not
 * `npm run build`, which also rebundles the functions the integration tests are reading.
 * Returns whether it compiled.
 */
export function ensureFreshAssembly(root: string = ROOT): boolean {
  const assembly = path.join(root, '.jsii');
  if (fs.existsSync(assembly)) {
    const built = fs.statSync(assembly).mtimeMs;
    if (assemblyInputs(root).every((f) => fs.statSync(f).mtimeMs < built)) {
      return false;
    }
  }
  execFileSync(path.join(root, 'node_modules', '.bin', 'jsii'), ['--fail-on-warnings'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  return true;
}

/** API.md as jsii-docgen renders it from the assembly in `root` (TypeScript signatures, as projen's libraries ship it). */
export async function renderApiReference(root: string = ROOT): Promise<string> {
  const docs = await Documentation.forProject(root);
  const markdown = await docs.toMarkdown({ language: Language.TYPESCRIPT, readme: false, apiReference: true });
  return markdown.render();
}

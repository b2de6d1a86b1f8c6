/**
 * The architecture's boundary rules (eslint.boundaries.cjs) fire on a file that breaks them, and
 * stay quiet on one that keeps them: a rule whose pattern stopped matching the tree fails here,
 * not silently in review. Each probe is linted as if it stood at the path given (nothing is written).
 */
import * as path from 'path';
import { createRequire } from 'module';
import { ESLint, Linter } from 'eslint';
import tseslint from 'typescript-eslint';

const ROOT = path.join(__dirname, '..', '..');
const boundaries = createRequire(__filename)(path.join(ROOT, 'eslint.boundaries.cjs')) as Linter.Config[];
const eslint = new ESLint({
  cwd: ROOT,
  overrideConfigFile: true,
  overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } }, ...boundaries],
});

/** The rule ids that fire on `code` standing at `file`. */
async function rulesFiredAt(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  return result.messages.map((m) => m.ruleId ?? `fatal: ${m.message}`);
}

const ZONE = 'import/no-restricted-paths';

describe('import zones', () => {
  test.each([
    ['lib/ imports no function code', 'lib/probe.ts', "import { KeyStoreError } from '../lambda/shared/errors';"],
    ['lib/ imports no emulator code', 'lib/probe.ts', "import { ServiceError } from '../local/endpoint/service-error';"],
    ['lambda/ imports from lib/ only the contract', 'lambda/shared/probe.ts', "import { CustomKeyStore } from '../../lib/custom-key-store';"],
    ['local/ imports from lib/ only the contract', 'local/probe.ts', "import { KeyStoreProvider } from '../lib/private/provider/key-store-provider';"],
    ['local/ imports nothing from lambda/', 'local/services/probe.ts', "import { KeyStoreError } from '../../lambda/shared/errors';"],
    ['lambda/shared/ imports no bundle', 'lambda/shared/probe.ts', "import { watch } from '../connection-watcher/watch';"],
    ['a bundle imports no other bundle', 'lambda/connection-watcher/probe.ts', "import { syncAll } from '../proxy-credential-sync/sync';"],
    ['the handler imports no other bundle', 'lambda/custom-key-store-handler/probe.ts', "import { handler } from '../connection-watcher/index';"],
    ['store/ does not import key/', 'lambda/custom-key-store-handler/store/probe.ts', "import { KeyResource } from '../key/resource';"],
    ['key/ does not import store/', 'lambda/custom-key-store-handler/key/probe.ts', "import { StoreResource } from '../store/resource';"],
  ])('%s', async (_title, file, code) => {
    expect(await rulesFiredAt(file, code)).toEqual([ZONE]);
  });

  test.each([
    ['lambda/ imports the contract', 'lambda/custom-key-store-handler/store/probe.ts', "import { FIELD_RULES } from '../../../../lib/private/contract/field-rules';"],
    ['local/ imports the contract', 'local/services/kms/probe.ts', "import { FIELD_RULES } from '../../../lib/private/contract/field-rules';"],
    ['a bundle imports lambda/shared/', 'lambda/connection-watcher/probe.ts', "import { KeyStoreError } from '../shared/errors';"],
    ['store/ imports the handler\'s common code', 'lambda/custom-key-store-handler/store/probe.ts', "import { ResourceHandler } from '../common';"],
    ['lib/ imports its own private code', 'lib/probe.ts', "import { handlerAssetDir } from './private/handler-asset';"],
  ])('allowed: %s', async (_title, file, code) => {
    expect(await rulesFiredAt(file, code)).toEqual([]);
  });
});

describe("texts only in the owner's messages.ts", () => {
  const throwing = (text: string): string => `import { KeyStoreError } from '../../shared/errors';\nexport function fail(id: string): never {\n  throw new KeyStoreError(${text});\n}\n`;

  test.each([
    ['a template literal', '`StoreGone: ${id} is gone.`'],
    ['a string literal', "'StoreGone: the store is gone.'"],
    ['a concatenation', "'StoreGone: ' + id"],
  ])('%s passed to KeyStoreError outside messages.ts is refused', async (_title, text) => {
    expect(await rulesFiredAt('lambda/custom-key-store-handler/store/probe.ts', throwing(text))).toEqual(['no-restricted-syntax']);
  });

  test('the same text built in messages.ts, and a message function called elsewhere, are allowed', async () => {
    expect(await rulesFiredAt('lambda/custom-key-store-handler/store/messages.ts', throwing('`StoreGone: ${id} is gone.`'))).toEqual([]);
    expect(await rulesFiredAt('lambda/custom-key-store-handler/store/probe.ts', throwing('storeGoneMessage(id)').replace("import {", "import { storeGoneMessage } from './messages';\nimport {"))).toEqual([]);
  });
});

describe('max-lines', () => {
  const lines = (n: number): string => Array.from({ length: n }, (_, i) => `export const v${i} = ${i};`).join('\n');

  test.each(['lib/probe.ts', 'lambda/shared/probe.ts', 'local/probe.ts'])('%s: 401 lines of code are too many, 400 are not, and comments do not count', async (file) => {
    expect(await rulesFiredAt(file, lines(401))).toEqual(['max-lines']);
    expect(await rulesFiredAt(file, `${lines(400)}\n${'// why, not what\n'.repeat(200)}`)).toEqual([]);
  });
});

// The architecture's boundaries (ARCHITECTURE.md, "Boundaries"), as ESLint rules, so that they hold
// by lint rather than by memory. eslint.config.mjs applies them; test/lint/boundaries.test.ts proves
// that each one fails on a file that breaks it.
const fs = require('fs');
const path = require('path');
const importPlugin = require('eslint-plugin-import');

const root = __dirname;

/** The Lambda bundles: every folder of lambda/ with an index.ts, as scripts/bundle-handler.js finds them. */
const bundles = fs.existsSync(path.join(root, 'lambda'))
  ? fs.readdirSync(path.join(root, 'lambda'), { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name !== 'shared' && fs.existsSync(path.join(root, 'lambda', e.name, 'index.ts')))
    .map((e) => e.name)
  : [];

const handler = './lambda/custom-key-store-handler';

const zones = [
  {
    target: './lib',
    from: ['./lambda', './local', './test', './scripts', './bin'],
    message: 'lib/ is the published library: it imports nothing from lambda/, local/, test/, scripts/ or bin/ (the functions ship only as their bundles).',
  },
  {
    target: ['./lambda', './local'],
    from: './lib',
    except: ['./private/contract'],
    message: 'lambda/ and local/ may import from lib/ only the contract in lib/private/contract/, never the CDK code behind it.',
  },
  {
    target: './local',
    from: './lambda',
    message: 'local/ plays AWS: it must not share code with the functions it stands in front of, or a shared bug would pass every test.',
  },
  {
    target: './lambda/shared',
    from: './lambda',
    except: ['./shared'],
    message: 'lambda/shared/ is used by several bundles and imports none of them.',
  },
  ...bundles.map((bundle) => ({
    target: `./lambda/${bundle}`,
    from: bundles.filter((other) => other !== bundle).map((other) => `./lambda/${other}`),
    message: 'A bundle does not import another bundle: move what both need to lambda/shared/.',
  })),
  {
    target: `${handler}/store`,
    from: `${handler}/key`,
    message: 'store/ and key/ do not import each other: what both need lives beside them in the handler (common code) or in lambda/shared/.',
  },
  {
    target: `${handler}/key`,
    from: `${handler}/store`,
    message: 'store/ and key/ do not import each other: what both need lives beside them in the handler (common code) or in lambda/shared/.',
  },
];

/** Flat-config blocks: import boundaries, texts only in messages.ts, files of a readable size. */
module.exports = [
  {
    files: ['lib/**/*.ts', 'lambda/**/*.ts', 'local/**/*.ts'],
    plugins: { import: importPlugin },
    settings: { 'import/resolver': { node: { extensions: ['.ts', '.js'] } } },
    rules: {
      'import/no-restricted-paths': ['error', { basePath: root, zones }],
      // Code lines: JSDoc on the public API is required, and must not count against a file.
      'max-lines': ['warn', { max: 400, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: ['lambda/**/*.ts'],
    ignores: ['lambda/**/messages.ts'],
    rules: {
      'no-restricted-syntax': ['error', {
        selector: "NewExpression[callee.name='KeyStoreError'] > :matches(TemplateLiteral, Literal, BinaryExpression).arguments",
        message: "A user's text is written in the owner's messages.ts (store, key, sync, secrets, provider) and called from here: a failure's wording is API (pipelines match its code).",
      }],
    },
  },
];

// typescript-eslint's strict, type-checked rules over every TypeScript file of the project.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'cdk.out/', 'assets/', 'coverage/', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Template literals with numbers are how messages quote lengths and counts.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // The handler and the local endpoint share only the contract with the construct library:
    // the resource properties and the KMS field rules, never the CDK code behind them.
    files: ['lambda/**/*.ts', 'local/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{
          regex: '^(\\.\\./)+lib(/(?!private/contract/)|$)',
          message: "lambda/ and local/ may import from lib/ only the contract in lib/private/contract/.",
        }],
      }],
    },
  },
);

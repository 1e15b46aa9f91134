// Lint: typescript-eslint with type information; promises must be handled everywhere, and the
// workflow sandbox (and the pure modules it imports) stays free of side-effecting imports.
const tseslint = require('typescript-eslint');
const js = require('@eslint/js');
const { builtinModules } = require('node:module');
const reactHooks = require('eslint-plugin-react-hooks');

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

module.exports = tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'src/generated/',
      '.cache/',
      'data/',
      'coverage/',
      'web/dist/',
      'web/.dist-*/',
      'web/src/api/schema.d.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.mts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: __dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The web console (React): the rules of hooks.
    files: ['web/**/*.tsx', 'web/**/*.ts'],
    ...reactHooks.configs.flat['recommended-latest'],
  },
  {
    // Code that runs inside Temporal's deterministic workflow sandbox, and the pure modules it uses.
    files: ['src/workflows/**/*.ts', 'src/calendar/**/*.ts', 'src/shared/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({ name, message: 'Node built-ins are not available in workflow code.' })),
            ...[
              'twilio',
              'nodemailer',
              'pg',
              'handlebars',
              '@temporalio/client',
              '@temporalio/worker',
              '@temporalio/activity',
            ].map((name) => ({
              name,
              message: 'Side effects belong in activities; workflows only orchestrate.',
              allowTypeImports: true,
            })),
          ],
          patterns: [
            {
              group: ['@prisma/*', '**/generated/**', '**/db/**'],
              message: 'No database access in workflow code.',
              allowTypeImports: true,
            },
            {
              group: ['**/activities', '**/activities/**', '**/delivery/**'],
              message: 'Import activities as types only (proxyActivities).',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        process: 'readonly',
        console: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);

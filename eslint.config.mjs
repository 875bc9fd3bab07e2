// Lint: typescript-eslint's recommended type-checked rules over the sources, the webview and the
// tests (run by `npm test` through scripts/ci/test-all.sh and by `npm run lint`).
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'dist-test/**', 'node_modules/**', '.e2e/**', 'test-results/**', 'training/**', '**/*.mjs', '**/*.js'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Unused names are the compiler's job (noUnusedLocals / noUnusedParameters).
      '@typescript-eslint/no-unused-vars': 'off',
      // Shapes ([2, 3]) and numbers read well in messages.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowArray: true }],
      // Untrusted text is checked for control characters on purpose (to escape or refuse them).
      'no-control-regex': 'off',
    },
  },
  {
    // Tests: node:test's test() returns a promise its runner awaits, JSON fixtures are untyped by
    // nature, and test bodies are async whether or not they await; every other rule applies.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
);

import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '.bench/**',
      '.tmp-*/**',
      'generated/**',
      'dist/**',
      '*/dist/**',
      'node_modules/**',
      'site/**',
      'test/fixtures/**/out/**',
      'test/fixtures/**/generated/**',
      'test/**/__tmp__/**',
    ],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
);

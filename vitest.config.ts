import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['bloodbank-source'] },
  ssr: { resolve: { conditions: ['bloodbank-source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});

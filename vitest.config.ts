import { configDefaults, defineConfig } from 'vitest/config';
import { PRIVATE_NODE_TESTS } from './test/private-node-tests.js';

export default defineConfig({
  resolve: { conditions: ['bloodbank-source'] },
  ssr: { resolve: { conditions: ['bloodbank-source'] } },
  test: {
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Ten failures mean something systemic (a service gone or wedged mid-run): stop there rather than let
    // every remaining integration test wait out its timeout (that once took CI past its 90 minutes).
    bail: 10,
    pool: 'forks',
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...PRIVATE_NODE_TESTS],
          sequence: { groupOrder: 0 },
        },
      },
      {
        // Tests that kill and restart their own broker or Redis: one at a time, after the rest.
        extends: true,
        test: {
          name: 'private-nodes',
          include: [...PRIVATE_NODE_TESTS],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/buildDist.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Integration tests share the machine's PostgreSQL and Redis; each uses its own
    // database / key prefix, but keep parallelism modest on 2 cores.
    maxWorkers: 2,
    minWorkers: 1,
  },
});

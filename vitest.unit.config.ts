import { defineConfig } from 'vitest/config';

// The unit tier (`npm run test:unit`): fakes only, no database, no compiled dist/, so no build step.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    pool: 'threads',
    maxWorkers: 2,
    minWorkers: 1,
  },
});

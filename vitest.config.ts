import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Yoga loads graphql's CommonJS build and our ESM imports would get the ESM one: two
    // copies break `instanceof GraphQLError`. Point every import at one copy, as Node does.
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // Installs Chromium for test/browser where it can, or says once why those suites skip.
    globalSetup: ['test/browser/chromium-setup.ts'],
    // Integration suites each start a server and a fresh database; two cores run two at once.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/clients/**', '**/node_modules/**'], // the real-client suite: npm run test:clients
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});

import { defineConfig } from 'vitest/config';

/** The project's own tests. Attack suites (suites/) run only through `breachmatrix run`. */
export default defineConfig({
  test: {
    include: ['{core,clusters,manifests,attack-pods,reports,test}/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'suites/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});

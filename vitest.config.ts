import { defineConfig } from 'vitest/config';

export const KIND_E2E = 'test/e2e/kind.e2e.test.ts';

/**
 * The project's own tests. Attack suites (suites/) run only through `breachmatrix run`; the kind end-to-end test
 * needs Docker and runs only through its own config (`npm run test:e2e:kind`), so a green run here skips nothing.
 */
export default defineConfig({
  test: {
    include: ['{core,clusters,manifests,attack-pods,reports,test}/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'suites/**', KIND_E2E],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});

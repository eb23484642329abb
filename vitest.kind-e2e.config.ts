import { defineConfig } from 'vitest/config';
import { KIND_E2E } from './vitest.config.ts';

/** The kind end-to-end test alone: it needs Docker and pulls images, so it never runs in `npm test`. */
export default defineConfig({
  test: {
    include: [KIND_E2E],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});

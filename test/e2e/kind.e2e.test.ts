import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findAttacks } from '../../attack-pods/catalogue/index.ts';
import { createKindProvider } from '../../clusters/kind/index.ts';
import { loadProfileCatalog } from '../../core/config/profiles-config.ts';
import { SILENT_PROGRESS } from '../../core/runner/progress.ts';
import { runMatrix } from '../../core/runner/run-matrix.ts';
import { TIMEOUTS } from '../../core/timeouts.ts';
import { renderSceneObjects } from '../../manifests/render-scene-objects.ts';

/** Provisioning one Calico cluster and three attacks: kind create, the operator, the scene, the attacks. */
const E2E_BUDGET_MS = TIMEOUTS.kindCreateMs + 2 * TIMEOUTS.componentReadyMs;

// Runs only through vitest.kind-e2e.config.ts (`npm run test:e2e:kind`): without Docker, preflight fails it loudly.
describe('kind end-to-end (needs Docker)', () => {
  it(
    'calico on kind: admission stops HN1, the CNI drops EG1 and LM1, each confirmed by the cells',
    async () => {
      const out = await mkdtemp(join(tmpdir(), 'bm-e2e-kind-'));
      try {
        const profile = (await loadProfileCatalog()).profiles.find((candidate) => candidate.id === 'calico');
        if (profile === undefined) throw new Error('the catalogue has no calico profile');
        const provider = createKindProvider();
        await provider.preflight();
        const outcome = await runMatrix({
          provider,
          profiles: [profile],
          attacks: findAttacks(['HN1', 'EG1', 'LM1']),
          renderScene: renderSceneObjects,
          outDir: out,
          runId: `e2e${Date.now().toString(36)}`,
          harnessVersion: 'e2e',
          concurrency: 3,
          profileConcurrency: 1,
          keep: false,
          podReadyMs: TIMEOUTS.kindPodReadyMs,
          controlRetries: 2,
          progress: SILENT_PROGRESS,
          signal: new AbortController().signal,
        });
        expect(outcome.profileErrors).toEqual([]);
        const cells = Object.fromEntries(outcome.cells.map((cell) => [cell.attackId, cell]));
        expect(cells['HN1']).toMatchObject({ outcome: 'blocked', blockedBy: 'admission', asExpected: true });
        expect(cells['EG1']).toMatchObject({ outcome: 'blocked', blockedBy: 'cni', asExpected: true });
        expect(cells['LM1']).toMatchObject({ outcome: 'blocked', blockedBy: 'cni', asExpected: true });
      } finally {
        await rm(out, { recursive: true, force: true });
      }
    },
    E2E_BUDGET_MS,
  );
});

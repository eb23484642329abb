/**
 * Test fixture: a whole runMatrix (in-memory provider, 2 profiles × 40 synthetic attacks) writing its results
 * into the directory given as argv[2] — a tiny tmpfs the test mounted in a private mount namespace. Prints one
 * JSON line: the outcome and what is really in results.jsonl (read back before the namespace goes away).
 */
import { readFile } from 'node:fs/promises';
import { memoryProvider, type Replay } from '../../../clusters/memory/memory-cluster.ts';
import { labProfiles } from '../../config/profiles-config.ts';
import type { Profile } from '../../domain/profile.ts';
import { parseResultsText } from '../../../reports/read-results.ts';
import { runMatrix } from '../run-matrix.ts';
import { EXPECT_BLOCKED_BY_CNI, syntheticAttack } from './synthetic-attack.ts';
import { testRunOptions } from './test-run-options.ts';

const outDir = process.argv[2];
if (outDir === undefined) throw new Error('usage: full-disk-run.ts <dir>');
const blockedByCni: Replay = (pod) =>
  pod.metadata?.name?.includes('-control-')
    ? { signal: 'delivered', delayMs: 5 }
    : { signal: 'timeout', delayMs: 30, evidence: [{ layer: 'cni', source: 'nft-counter', verdict: 'denied', raw: 'drop '.repeat(100) }] };
const profiles = labProfiles().filter((profile) => profile.id === 'lab:netpol' || profile.id === 'lab:netpol+sidecar') as Profile[];
const attacks = Array.from({ length: 40 }, (_, index) => syntheticAttack({ id: `D${index}`, expected: EXPECT_BLOCKED_BY_CNI }));
const provider = memoryProvider(blockedByCni);
const outcome = await runMatrix(
  await testRunOptions(
    {
      provider,
      profiles,
      attacks,
      // The scene and one policy group: the scene self-test sees the policies take effect before any attack.
      renderScene: () => [
        [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bm-app' } }],
        [{ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'bm-default-deny', namespace: 'bm-app' } }],
      ],
    },
    { outDir, runId: `full-disk-${Date.now()}` },
  ),
);
const text = await readFile(outcome.resultsPath, 'utf8');
const parsed = parseResultsText(text, outcome.resultsPath);
process.stdout.write(
  `${JSON.stringify({
    exitCode: outcome.exitCode,
    error: outcome.writeFailure?.error.message,
    lostCells: outcome.writeFailure?.lostCells,
    truncated: outcome.writeFailure?.truncated,
    keptCells: outcome.cells.length,
    fileCells: parsed.cells.length,
    fileWarnings: parsed.warnings,
    endsWithNewline: text.endsWith('\n'),
    attemptsStarted: provider.created.flatMap((cluster) => cluster.podsCreated).filter((name) => name.includes('-attempt-')).length,
    tornDown: provider.created.every((cluster) => cluster.tornDown),
  })}\n`,
);
// Vitest marks the process failed when the stop leaves tests unanswered; the JSON above is the result.
process.exitCode = 0;

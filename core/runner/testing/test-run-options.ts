import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SILENT_PROGRESS } from '../progress.ts';
import type { RunMatrixOptions } from '../run-matrix.ts';

/** What every test run names itself: the provider, the stacks, the attacks and the scene. */
export type TestRunSubject = Pick<RunMatrixOptions, 'provider' | 'profiles' | 'attacks' | 'renderScene'>;

/**
 * runMatrix options for the project's own tests: silent, scripts that do nothing real (the memory provider replays
 * them), no retries, two attacks and two profiles at once, and a fresh out dir under the system temp folder unless
 * `overrides` gives one.
 */
export async function testRunOptions(subject: TestRunSubject, overrides: Partial<RunMatrixOptions> = {}): Promise<RunMatrixOptions> {
  return {
    ...subject,
    outDir: overrides.outDir ?? (await mkdtemp(join(tmpdir(), 'bm-run-'))),
    runId: `t${Date.now()}`,
    harnessVersion: '0.0.0-test',
    concurrency: 2,
    profileConcurrency: 2,
    keep: false,
    podReadyMs: 1000,
    controlRetries: 0,
    progress: SILENT_PROGRESS,
    signal: new AbortController().signal,
    scripts: () => 'true',
    ...overrides,
  };
}

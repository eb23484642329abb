import { findAttacks } from '../../../attack-pods/catalogue/index.ts';
import { renderLayeredScene, renderSceneObjects } from '../../../manifests/render-scene-objects.ts';
import { checkInPlaceDepth, depthAblation, depthEnabled } from '../../depth/depth-choice.ts';
import { providerFor } from '../../../clusters/providers.ts';
import { readResults } from '../../../reports/read-results.ts';
import { writeReports } from '../../../reports/write-reports.ts';
import { harnessVersion } from '../../../reports/harness-version.ts';
import { doctorSelection, requireHostChecks } from '../../doctor/doctor-gate.ts';
import { runMatrix } from '../../runner/run-matrix.ts';
import { loadEstimates } from '../../config/estimates.ts';
import { TIMEOUTS } from '../../timeouts.ts';
import { writeSync } from 'node:fs';
import { isUnexpected } from '../../domain/cell.ts';
import { SyncTeardowns } from '../../runner/sync-teardowns.ts';
import { interruptController } from '../interrupt.ts';
import { checkRunOutDir } from '../out-dir.ts';
import { resolveProfiles } from '../profile-selection.ts';
import { newRunId } from '../run-id.ts';
import { DEFAULT_ATTACK_CONCURRENCY, defaultProfileConcurrency } from '../profile-concurrency.ts';
import { TerminalProgress } from '../terminal-progress.ts';
import type { RunFlags } from './run-command.ts';

/** `breachmatrix run`: loaded only when the command runs, so `--help` stays fast. */
export async function run(flags: RunFlags): Promise<number> {
  const profiles = await resolveProfiles(flags);
  const attacks = findAttacks(flags.attack);
  await checkRunOutDir(flags.out, { force: flags.force });
  const depth = depthEnabled(flags.provider, flags.depth);
  if (depth) checkInPlaceDepth(flags.provider, profiles, renderLayeredScene);
  // The checks `doctor` prints, before anything is created; provider.preflight() then prepares (downloads, --reuse).
  await requireHostChecks(doctorSelection(flags, profiles), (text) => process.stderr.write(text), flags.skipCheck);
  const provider = providerFor({
    name: flags.provider,
    ...(flags.pins ? { pinsFile: flags.pins } : {}),
    ...(flags.reuse ? { reuse: flags.reuse } : {}),
    registryCache: flags.registryCache,
    ...(flags.context ? { context: flags.context } : {}),
    ...(flags.kubeconfig ? { kubeconfigPath: flags.kubeconfig } : {}),
    ...(flags.server ? { expectedServer: flags.server } : {}),
    iUnderstand: flags.iUnderstandThisAttacksTheCluster,
  });
  await provider.preflight();

  const progress = new TerminalProgress();
  const syncTeardowns = new SyncTeardowns();
  const interrupt = interruptController({
    onFirst: (signal) => progress.warn(`${signal}: stopping — tearing down and writing reports for finished cells (again to exit at once; everything is still removed)`),
    // Synchronous all the way: the process exits right after, so nothing may wait on the event loop.
    onSecond: (signal) => {
      if (flags.keep) {
        writeSync(2, `\n${signal} again: exiting now; --keep leaves the clusters up (\`breachmatrix clean\` removes them)\n`);
        return;
      }
      writeSync(2, `\n${signal} again: removing every cluster of this run now, then exiting (results.jsonl keeps the finished cells; no reports)\n`);
      for (const line of syncTeardowns.runAll()) writeSync(2, `  ${line}\n`);
      // Only the lab registers a synchronous teardown; a kind cluster cannot be deleted without waiting.
      if (flags.provider === 'kind') writeSync(2, 'kind clusters being created or torn down may remain: `breachmatrix clean` removes them\n');
    },
  });
  const runId = newRunId();
  process.stderr.write(`breachmatrix run ${runId}: ${attacks.length} attacks × ${profiles.length} profiles on ${flags.provider} → ${flags.out}\n`);
  try {
    const outcome = await runMatrix({
      provider,
      profiles,
      attacks,
      renderScene: renderSceneObjects,
      outDir: flags.out,
      runId,
      harnessVersion: await harnessVersion(),
      concurrency: flags.concurrency ?? DEFAULT_ATTACK_CONCURRENCY[flags.provider],
      profileConcurrency: flags.profileConcurrency ?? defaultProfileConcurrency(flags.provider, profiles, await loadEstimates()),
      keep: flags.keep,
      podReadyMs: flags.provider === 'lab' ? TIMEOUTS.labPodReadyMs : TIMEOUTS.kindPodReadyMs,
      controlRetries: flags.controlRetries,
      progress,
      signal: interrupt.signal,
      syncTeardowns,
      ...(depth ? { depth: { renderLayers: renderLayeredScene, ablation: depthAblation(flags.provider) } } : {}),
    });
    const unexpected = outcome.cells.filter(isUnexpected).length;
    const notRun = outcome.cells.filter((cell) => cell.outcome === 'not-run').length;
    const failure = outcome.writeFailure;
    if (failure !== undefined) {
      process.stderr.write(
        `breachmatrix: cannot write ${outcome.resultsPath}: ${failure.error.message}\n` +
          `  the run stopped starting attacks; ${outcome.cells.length} finished cell(s) are kept in it (whole lines only), ` +
          `${failure.lostCells} finished cell(s) were lost${failure.truncated ? '' : ' and the torn last line could not be cut off'}\n`,
      );
    }
    const written = await writeReports(flags.out, await readResults([outcome.resultsPath])).catch((error: unknown) => {
      // A full disk may refuse the reports too; results.jsonl stays the record (`breachmatrix report` re-renders).
      if (failure === undefined) throw error;
      process.stderr.write(`reports not written: ${(error as Error).message}\n`);
      return { files: [] as string[] };
    });
    process.stderr.write(
      `${outcome.cells.length} cells: ${outcome.cells.length - unexpected - notRun} as expected, ${unexpected} unexpected` +
        `${notRun > 0 ? `, ${notRun} not run (cut short while in flight)` : ''}` +
        `${outcome.profileErrors.length > 0 ? `, ${outcome.profileErrors.length} profile(s) failed to provision` : ''}` +
        `${outcome.interrupted ? ' (interrupted)' : ''}\n`,
    );
    for (const harnessFailure of outcome.harnessFailures) process.stderr.write(`harness failure: ${harnessFailure}\n`);
    process.stderr.write(`reports: ${written.files.join(', ')}\n`);
    return outcome.exitCode;
  } finally {
    interrupt.dispose();
  }
}

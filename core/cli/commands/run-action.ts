import { findAttacks } from '../../../attack-pods/catalogue/index.ts';
import { renderLayeredScene, renderSceneObjects } from '../../../manifests/render-scene-objects.ts';
import { depthEnabled } from '../../depth/depth-choice.ts';
import { providerFor } from '../../../clusters/providers.ts';
import { readResults } from '../../../reports/read-results.ts';
import { writeReports } from '../../../reports/write-reports.ts';
import { harnessVersion } from '../../../reports/harness-version.ts';
import { doctorSelection, requireHostChecks } from '../../doctor/doctor-gate.ts';
import { runMatrix } from '../../runner/run-matrix.ts';
import { TIMEOUTS } from '../../timeouts.ts';
import { interruptController } from '../interrupt.ts';
import { resolveProfiles } from '../profile-selection.ts';
import { newRunId } from '../run-id.ts';
import { defaultProfileConcurrency } from '../profile-concurrency.ts';
import { TerminalProgress } from '../terminal-progress.ts';
import type { RunFlags } from './run-command.ts';

/** `breachmatrix run`: loaded only when the command runs, so `--help` stays fast. */
export async function run(flags: RunFlags): Promise<number> {
  const profiles = await resolveProfiles(flags);
  const attacks = findAttacks(flags.attack);
  const depth = depthEnabled(flags.provider, flags.depth);
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
  const interrupt = interruptController((signal) => progress.warn(`${signal}: stopping — tearing down and writing reports for finished cells (again to force)`));
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
      concurrency: flags.concurrency,
      profileConcurrency: flags.profileConcurrency ?? defaultProfileConcurrency(flags.provider, profiles.length),
      keep: flags.keep,
      podReadyMs: flags.provider === 'lab' ? TIMEOUTS.labPodReadyMs : TIMEOUTS.kindPodReadyMs,
      controlRetries: flags.controlRetries,
      progress,
      signal: interrupt.signal,
      ...(depth ? { depth: { renderLayers: renderLayeredScene } } : {}),
    });
    const written = await writeReports(flags.out, await readResults([outcome.resultsPath]));
    const unexpected = outcome.cells.filter((cell) => !cell.asExpected).length;
    process.stderr.write(
      `${outcome.cells.length} cells: ${outcome.cells.length - unexpected} as expected, ${unexpected} unexpected` +
        `${outcome.profileErrors.length > 0 ? `, ${outcome.profileErrors.length} profile(s) failed to provision` : ''}` +
        `${outcome.interrupted ? ' (interrupted)' : ''}\n`,
    );
    for (const failure of outcome.harnessFailures) process.stderr.write(`harness failure: ${failure}\n`);
    process.stderr.write(`reports: ${written.files.join(', ')}\n`);
    return outcome.exitCode;
  } finally {
    interrupt.dispose();
  }
}

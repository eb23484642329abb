import { Command, Option } from 'commander';
import { findAttacks } from '../../../attack-pods/catalogue/index.ts';
import { renderSceneObjects } from '../../../manifests/render-scene-objects.ts';
import { providerFor } from '../../../clusters/providers.ts';
import { readResults } from '../../../reports/read-results.ts';
import { writeReports } from '../../../reports/write-reports.ts';
import { harnessVersion } from '../../../reports/harness-version.ts';
import { PROVIDERS, type ProviderName } from '../../domain/profile.ts';
import { runMatrix } from '../../runner/run-matrix.ts';
import { TIMEOUTS } from '../../timeouts.ts';
import { interruptController } from '../interrupt.ts';
import { collectList, positiveInt, providerName } from '../option-parsers.ts';
import { resolveProfiles } from '../profile-selection.ts';
import { newRunId } from '../run-id.ts';
import { defaultProfileConcurrency } from '../profile-concurrency.ts';
import { TerminalProgress } from '../terminal-progress.ts';

interface RunFlags {
  readonly provider: ProviderName;
  readonly profile: string[];
  readonly attack: string[];
  readonly out: string;
  readonly concurrency: number;
  readonly profileConcurrency?: number;
  readonly keep: boolean;
  readonly config?: string;
  readonly pins?: string;
  readonly reuse?: string;
  readonly registryCache: boolean;
  readonly context?: string;
  readonly kubeconfig?: string;
  readonly server?: string;
  readonly iUnderstandThisAttacksTheCluster: boolean;
  readonly controlRetries: number;
}

export function runCommand(): Command {
  return new Command('run')
    .description('provision the stacks, run the attacks, write the matrix reports')
    .addOption(new Option('--provider <name>', `where the stacks run (${PROVIDERS.join(', ')})`).default('kind').argParser(providerName))
    .option('--profile <id...>', 'profile id(s) to run, repeatable or comma-separated (default: all of the provider)', collectList, [])
    .option('--attack <id|family...>', 'attack ids or families, repeatable or comma-separated (default: the whole catalogue)', collectList, [])
    .option('--out <dir>', 'where results.jsonl and the reports go', 'out')
    .option('--concurrency <n>', 'attacks running at once per profile', positiveInt('--concurrency', 256), 8)
    .option('--profile-concurrency <n>', 'profiles (clusters) at once (default: lab all; kind by free memory)', positiveInt('--profile-concurrency', 64))
    .option('--keep', 'leave clusters up after the run (debugging); remove later with `breachmatrix clean`', false)
    .option('--config <file>', 'profiles file (default: clusters/profiles.yaml)')
    .option('--pins <file>', 'version pins file (default: clusters/pins.yaml)')
    .option('--control-retries <n>', 'retries of a failed positive control before a cell is inconclusive', positiveInt('--control-retries', 10), 2)
    .option('--reuse <cluster>', 'kind: run against this existing breachmatrix cluster instead of creating one')
    .option('--registry-cache', 'kind: start (or reuse) a pull-through registry cache container', false)
    .option('--context <name>', 'kubeconfig: the context to attack')
    .option('--kubeconfig <file>', 'kubeconfig: file (default: $KUBECONFIG or ~/.kube/config)')
    .option('--server <url>', "kubeconfig: the API server URL the context must point at")
    .option('--i-understand-this-attacks-the-cluster', 'kubeconfig: required consent — attacks are dangerous', false)
    .action(async (flags: RunFlags) => {
      process.exitCode = await run(flags);
    });
}

async function run(flags: RunFlags): Promise<number> {
  const profiles = await resolveProfiles(flags);
  const attacks = findAttacks(flags.attack);
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

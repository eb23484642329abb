import { Command, Option } from 'commander';
import { PROVIDERS, type ProviderName } from '../../domain/profile.ts';
import { collectList, positiveInt, providerName } from '../option-parsers.ts';

export interface RunFlags {
  readonly provider: ProviderName;
  readonly profile: string[];
  readonly attack: string[];
  readonly out: string;
  readonly concurrency: number;
  readonly profileConcurrency?: number;
  readonly keep: boolean;
  /** Overwrite the results of an earlier run in --out. */
  readonly force: boolean;
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
    .option('--out <dir>', 'where results.jsonl and the reports go (must not hold an earlier run\'s results.jsonl)', 'out')
    .option('--force', 'overwrite the results and reports of an earlier run in --out', false)
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
      const { run } = await import('./run-action.ts');
      process.exitCode = await run(flags);
    });
}


import { Command, Option } from 'commander';
import { HARDENED_ID_SUFFIX, POLICY_STRENGTHS, PROVIDERS, type PolicyStrength, type ProviderName } from '../../domain/profile.ts';
import { checkOutDir } from '../out-dir.ts';
import { listOption, positiveInt, policyStrength, providerName } from '../option-parsers.ts';
import { checkProviderFlags, providerFlagsHelp } from '../provider-flags.ts';
import { DEFAULT_ATTACK_CONCURRENCY } from '../profile-concurrency.ts';

export interface RunFlags {
  readonly provider: ProviderName;
  readonly profile: string[];
  readonly attack: string[];
  readonly out: string;
  readonly concurrency?: number;
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
  readonly skipCheck: string[];
  readonly depth?: boolean;
  readonly policySet: PolicyStrength;
}

export function runCommand(): Command {
  return new Command('run')
    .description('provision the stacks, run the attacks, write the matrix reports')
    .addOption(new Option('--provider <name>', `where the stacks run (${PROVIDERS.join(', ')})`).default('kind').argParser(providerName))
    .addOption(listOption('--profile <id...>', 'profile id(s) to run, repeatable or comma-separated', 'all of the provider'))
    .addOption(listOption('--attack <id|family...>', 'attack ids or families, repeatable or comma-separated', 'the whole catalogue'))
    .addOption(new Option('--policy-set <name>', `policy set to apply (${POLICY_STRENGTHS.join(', ')}); hardened columns get the id suffix ${HARDENED_ID_SUFFIX}`).default('baseline').argParser(policyStrength))
    .option('--out <dir>', 'where results.jsonl and the reports go (must not hold an earlier run\'s results.jsonl)', 'out')
    .option('--force', 'overwrite the results and reports of an earlier run in --out', false)
    .option('--concurrency <n>', `attacks running at once per profile (default: lab ${DEFAULT_ATTACK_CONCURRENCY.lab}; kind, kubeconfig ${DEFAULT_ATTACK_CONCURRENCY.kind})`, positiveInt('--concurrency', 256))
    .option('--profile-concurrency <n>', 'profiles (clusters) at once (default: lab all; kind by free memory)', positiveInt('--profile-concurrency', 64))
    .option('--keep', 'leave clusters up after the run (debugging); remove later with `breachmatrix clean`', false)
    .option('--config <file>', 'kind, kubeconfig: profiles file (default: clusters/profiles.yaml)')
    .option('--pins <file>', 'kind, kubeconfig: version pins file (default: clusters/pins.yaml)')
    .option('--control-retries <n>', 'retries of a failed positive control before a cell is inconclusive', positiveInt('--control-retries', 10), 2)
    .option('--depth', 'measure depth by ablation: each policy layer alone per attack (default: on for lab; off for kind/kubeconfig, where each pass deletes and re-applies the other layers\' policies on the cluster); --no-depth: off')
    .option('--no-depth', 'skip the depth passes')
    .addOption(listOption('--skip-check <id...>', 'waive a host check of `breachmatrix doctor` by id (printed as skipped), repeatable or comma-separated', 'none'))
    .option('--reuse <cluster>', 'kind: run against this existing breachmatrix cluster instead of creating one')
    .option('--registry-cache', 'kind: start (or reuse) a pull-through registry cache container', false)
    .option('--context <name>', 'kubeconfig (required): the context to attack')
    .option('--kubeconfig <file>', 'kubeconfig: file (default: $KUBECONFIG or ~/.kube/config)')
    .option('--server <url>', "kubeconfig: the API server URL the context must point at")
    .option('--i-understand-this-attacks-the-cluster', 'kubeconfig: required consent — attacks are dangerous', false)
    .addHelpText('after', providerFlagsHelp())
    .action(async (flags: RunFlags) => {
      checkProviderFlags(flags.provider, flags);
      await checkOutDir(flags.out);
      const { run } = await import('./run-action.ts');
      process.exitCode = await run(flags);
    });
}


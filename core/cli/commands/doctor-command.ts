import { Command, Option } from 'commander';
import { PROVIDERS, type ProviderName } from '../../domain/profile.ts';
import { listOption, providerName } from '../option-parsers.ts';
import { checkProviderFlags, PROVIDER_FLAGS, type ProviderFlagRule } from '../provider-flags.ts';

export interface DoctorFlags {
  readonly provider: ProviderName;
  readonly profile: string[];
  readonly config?: string;
  readonly pins?: string;
  readonly context?: string;
  readonly kubeconfig?: string;
  readonly server?: string;
  readonly iUnderstandThisAttacksTheCluster: boolean;
  readonly json: boolean;
}

/** Exit code when a check fails (documented in --help and the README). */
export const DOCTOR_CHECK_FAILED = 1;

export function doctorCommand(): Command {
  return new Command('doctor')
    .description('check this host for a provider (Docker, kind/helm, memory, disk, inotify, cgroup v2; lab: root, packages, kernel) and print each fix')
    .addOption(new Option('--provider <name>', `which provider to check (${PROVIDERS.join(', ')})`).default('kind').argParser(providerName))
    .addOption(listOption('--profile <id...>', 'kind: profile id(s) whose memory/disk estimates to check', 'all'))
    .option('--config <file>', 'profiles file (default: clusters/profiles.yaml)')
    .option('--pins <file>', 'version pins file (default: clusters/pins.yaml)')
    .option('--context <name>', 'kubeconfig: the context run would attack')
    .option('--kubeconfig <file>', 'kubeconfig: file (default: $KUBECONFIG or ~/.kube/config)')
    .option('--server <url>', 'kubeconfig: the API server URL the context must point at')
    .option('--i-understand-this-attacks-the-cluster', 'kubeconfig: consent; only then does doctor contact the API server (/version)', false)
    .option('--json', 'print the checks as JSON (for CI) instead of lines', false)
    .addHelpText(
      'after',
      '\nEach check prints "ok" or "FAIL" with what it found, and every failure its fix. `run` runs the same checks first.\n' +
        'Exit codes: 0 every check passed · 1 a check failed · 2 bad input (unknown provider or profile, unreadable pins)',
    )
    .action(async (flags: DoctorFlags) => {
      // Flags of another provider are refused as `run` refuses them; a missing --context is a failed check here.
      checkProviderFlags(flags.provider, flags, PROVIDER_FLAGS.map((rule): ProviderFlagRule => ({ flag: rule.flag, key: rule.key, providers: rule.providers })));
      const { doctor } = await import('./doctor-action.ts');
      process.exitCode = await doctor(flags);
    });
}

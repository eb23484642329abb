import { Command, Option } from 'commander';
import { HARDENED_ID_SUFFIX, POLICY_STRENGTHS, PROVIDERS } from '../../domain/profile.ts';
import { listOption, policyStrength, providerName } from '../option-parsers.ts';
import { checkOutDir } from '../out-dir.ts';
import { checkProviderFlags, PROVIDER_FLAGS } from '../provider-flags.ts';
import type { PlanFlags } from './plan-action.ts';

export function planCommand(): Command {
  return new Command('plan')
    .description('render everything `run` would do — cluster config, values, manifests, attacker pods, ordered steps — touching nothing')
    .addOption(new Option('--provider <name>', `provider to plan for (${PROVIDERS.join(', ')})`).default('kind').argParser(providerName))
    .addOption(listOption('--profile <id...>', 'profile id(s), repeatable or comma-separated', 'all of the provider'))
    .addOption(listOption('--attack <id|family...>', 'attack ids or families, repeatable or comma-separated', 'the whole catalogue'))
    .addOption(new Option('--policy-set <name>', `policy set to apply (${POLICY_STRENGTHS.join(', ')}); hardened columns get the id suffix ${HARDENED_ID_SUFFIX}`).default('baseline').argParser(policyStrength))
    .option('--out <dir>', 'where the plan is written', 'plan')
    .option('--config <file>', 'kind, kubeconfig: profiles file (default: clusters/profiles.yaml)')
    .option('--pins <file>', 'kind, kubeconfig: version pins file (default: clusters/pins.yaml)')
    .action(async (flags: PlanFlags) => {
      // Only the profile flags exist on `plan`; the run-time flags (--context …) are not required here.
      checkProviderFlags(flags.provider, flags, PROVIDER_FLAGS.filter((rule) => rule.key === 'config' || rule.key === 'pins'));
      await checkOutDir(flags.out);
      const { plan } = await import('./plan-action.ts');
      await plan(flags);
    });
}

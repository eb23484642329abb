import { Command, Option } from 'commander';
import { PROVIDERS } from '../../domain/profile.ts';
import { collectList, providerName } from '../option-parsers.ts';
import type { PlanFlags } from './plan-action.ts';

export function planCommand(): Command {
  return new Command('plan')
    .description('render everything `run` would do — cluster config, values, manifests, attacker pods, ordered steps — touching nothing')
    .addOption(new Option('--provider <name>', `provider to plan for (${PROVIDERS.join(', ')})`).default('kind').argParser(providerName))
    .option('--profile <id...>', 'profile id(s), repeatable or comma-separated (default: all)', collectList, [])
    .option('--attack <id|family...>', 'attack ids or families (default: all)', collectList, [])
    .option('--out <dir>', 'where the plan is written', 'plan')
    .option('--config <file>', 'profiles file (default: clusters/profiles.yaml)')
    .option('--pins <file>', 'version pins file (default: clusters/pins.yaml)')
    .action(async (flags: PlanFlags) => {
      const { plan } = await import('./plan-action.ts');
      await plan(flags);
    });
}

import { Command } from 'commander';
import { cleanSummary } from '../clean-summary.ts';

/** Remove what crashed runs left behind: lab namespaces/processes and labelled kind clusters/containers. */
export function cleanCommand(): Command {
  return new Command('clean')
    .description('remove leftovers of crashed or --keep runs (lab namespaces and processes, stale broker sockets, breachmatrix kind clusters)')
    .option('--lab-only', 'only sweep the lab (no Docker needed)', false)
    .action(async (flags: { labOnly: boolean }) => {
      const { sweepLabLeftovers } = await import('../../../clusters/lab/index.ts');
      const { sweepKindLeftovers } = await import('../../../clusters/kind/index.ts');
      const { sweepStaleBrokerSockets } = await import('../../runner/attack-broker.ts');
      const removed = [...(await sweepLabLeftovers()), ...(await sweepStaleBrokerSockets())];
      const skipped: string[] = [];
      if (!flags.labOnly) removed.push(...(await sweepKindLeftovers({ onSkipped: (what, why) => skipped.push(`${what}: ${why}`) })));
      process.stdout.write(cleanSummary({ removed, skipped, labOnly: flags.labOnly }));
    });
}

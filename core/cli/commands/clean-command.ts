import { Command } from 'commander';

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
      if (!flags.labOnly) removed.push(...(await sweepKindLeftovers()));
      process.stdout.write(removed.length === 0 ? 'nothing to clean\n' : `${removed.map((item) => `removed ${item}`).join('\n')}\n`);
    });
}

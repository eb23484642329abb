import { Command, Option } from 'commander';

/** One line per attack and per profile: what the catalogue holds and which stacks can be run. */
export function listCommand(): Command {
  return new Command('list')
    .description('list the attacks and the profiles, one line each')
    .addOption(new Option('--what <kind>', 'what to list').choices(['all', 'attacks', 'profiles']).default('all'))
    .option('--config <file>', 'profiles file (default: clusters/profiles.yaml)')
    .option('--pins <file>', 'version pins file (default: clusters/pins.yaml)')
    .action(async (flags: { what: 'all' | 'attacks' | 'profiles'; config?: string; pins?: string }) => {
      const { ATTACKS } = await import('../../../attack-pods/catalogue/index.ts');
      const { labProfiles, loadProfileCatalog } = await import('../../config/profiles-config.ts');
      const out: string[] = [];
      if (flags.what !== 'profiles') {
        out.push(`ATTACKS (${ATTACKS.length})`);
        const idWidth = Math.max(...ATTACKS.map((attack) => attack.id.length));
        for (const attack of ATTACKS) out.push(`  ${attack.id.padEnd(idWidth)}  ${attack.family.padEnd(19)}  ${attack.title}`);
      }
      if (flags.what !== 'attacks') {
        const kind = (await loadProfileCatalog(flags.config, flags.pins)).profiles;
        out.push(`PROFILES (kind, kubeconfig) (${kind.length})`);
        for (const profile of kind) {
          const versions = Object.entries(profile.versions).map(([component, version]) => `${component} ${version}`).join(', ');
          out.push(`  ${profile.id.padEnd(24)}  policy ${profile.options.policy.padEnd(9)}  ${versions}`);
        }
        const lab = labProfiles();
        out.push(`PROFILES (lab) (${lab.length})`);
        for (const profile of lab) out.push(`  ${profile.id.padEnd(24)}  policy ${profile.options.policy.padEnd(9)}  real-kernel stand-in (no Docker)`);
      }
      process.stdout.write(`${out.join('\n')}\n`);
    });
}

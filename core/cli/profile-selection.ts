import { labProfiles, loadProfileCatalog, selectProfiles } from '../config/profiles-config.ts';
import { withPolicyStrength, type PolicyStrength, type Profile, type ProviderName } from '../domain/profile.ts';

export interface ProfileFlags {
  readonly provider: ProviderName;
  readonly profile: readonly string[];
  readonly config?: string;
  readonly pins?: string;
  /** `--policy-set` (run, plan); baseline when absent. */
  readonly policySet?: PolicyStrength;
}

/** The profiles a command works on: the lab's built-in stacks, or the configured kind/kubeconfig profiles. */
export async function resolveProfiles(flags: ProfileFlags): Promise<readonly Profile[]> {
  const all = flags.provider === 'lab' ? labProfiles() : (await loadProfileCatalog(flags.config, flags.pins)).profiles;
  const selected = selectProfiles(all, flags.profile, '--profile');
  return selected.map((profile) => withPolicyStrength(profile, flags.policySet ?? 'baseline'));
}

import { labProfiles, loadProfileCatalog, selectProfiles } from '../config/profiles-config.ts';
import type { Profile, ProviderName } from '../domain/profile.ts';

export interface ProfileFlags {
  readonly provider: ProviderName;
  readonly profile: readonly string[];
  readonly config?: string;
  readonly pins?: string;
}

/** The profiles a command works on: the lab's built-in stacks, or the configured kind/kubeconfig profiles. */
export async function resolveProfiles(flags: ProfileFlags): Promise<readonly Profile[]> {
  const all = flags.provider === 'lab' ? labProfiles() : (await loadProfileCatalog(flags.config, flags.pins)).profiles;
  return selectProfiles(all, flags.profile, '--profile');
}

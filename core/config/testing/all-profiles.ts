import { labProfiles, loadProfileCatalog } from '../profiles-config.ts';
import { stackTraits, withPolicyStrength, type PolicyStrength, type Profile, type StackTraits } from '../../domain/profile.ts';

/** The ten kind stacks (the design's nine and Cilium with WireGuard), in the order clusters/profiles.yaml lists them. */
export const KIND_PROFILE_IDS: readonly string[] = [
  'kindnet',
  'calico',
  'cilium',
  'cilium-wireguard',
  'istio-sidecar',
  'istio-ambient',
  'calico+istio-sidecar',
  'calico+istio-ambient',
  'cilium+istio-sidecar',
  'cilium+istio-ambient',
];

/** The built-in lab stacks, spelled out so a test notices when one is added or renamed. */
export const LAB_PROFILE_IDS: readonly string[] = ['lab:none', 'lab:netpol', 'lab:sidecar', 'lab:netpol+sidecar', 'lab:ambient'];

/** The shipped kind profiles (clusters/profiles.yaml with its pins). */
export async function loadKindProfiles(): Promise<readonly Profile[]> {
  return (await loadProfileCatalog()).profiles;
}

/** Stack traits of every shipped kind profile followed by every lab stack. */
/** Every kind profile and lab stack, under `strength` (`--policy-set`; baseline unless said). */
export async function loadAllStackTraits(strength: PolicyStrength = 'baseline'): Promise<StackTraits[]> {
  return [...(await loadKindProfiles()), ...labProfiles()].map((profile) => stackTraits(withPolicyStrength(profile, strength)));
}

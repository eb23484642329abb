import { labProfiles, loadProfileCatalog } from '../profiles-config.ts';
import { stackTraits, withPolicyStrength, type PolicyStrength, type Profile, type StackTraits } from '../../domain/profile.ts';

/**
 * The kind stacks (the design's nine, Calico and Cilium with WireGuard, flannel, and WireGuard under a mesh), in the
 * order clusters/profiles.yaml lists them.
 */
export const KIND_PROFILE_IDS: readonly string[] = [
  'kindnet',
  'calico',
  'cilium',
  'cilium-wireguard',
  'calico-wireguard',
  'flannel',
  'istio-sidecar',
  'istio-ambient',
  'calico+istio-sidecar',
  'calico+istio-ambient',
  'cilium+istio-sidecar',
  'cilium+istio-ambient',
  'calico-wireguard+istio-sidecar',
  'cilium-wireguard+istio-ambient',
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

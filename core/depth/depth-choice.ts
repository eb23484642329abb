import { BadInputError } from '../domain/errors.ts';
import type { Profile, ProviderName } from '../domain/profile.ts';
import { ablationPlan } from './ablation-plan.ts';
import type { LayeredScene } from './layered-scene.ts';

/**
 * Whether `run` measures depth by ablation: `--depth` / `--no-depth`, else on for the lab (a pass is a few more
 * network namespaces) and off for kind and kubeconfig, where each pass deletes, proves, attacks, re-applies and
 * proves again on the one cluster (README, "Depth on kube providers").
 */
export function depthEnabled(provider: ProviderName, flag: boolean | undefined): boolean {
  return flag ?? provider === 'lab';
}

/** How a provider ablates: the lab makes a cluster per pass; kube providers delete and re-apply on the run's own. */
export function depthAblation(provider: ProviderName): 'fresh-cluster' | 'in-place' {
  return provider === 'lab' ? 'fresh-cluster' : 'in-place';
}

/**
 * In-place ablation deletes only policy kinds whose removal is modelled (core/depth/ablation-plan.ts). A selected
 * stack holding any other kind in a policy group is refused before anything is made (exit 2), never half-measured.
 */
export function checkInPlaceDepth(provider: ProviderName, profiles: readonly Profile[], renderLayers: (profile: Profile) => LayeredScene): void {
  if (depthAblation(provider) !== 'in-place') return;
  const problems = profiles.flatMap((profile) => {
    const layered = renderLayers(profile);
    if (layered.groups.length < 2) return [];
    return layered.groups.flatMap(({ group }) => {
      try {
        ablationPlan(layered, group);
        return [];
      } catch (error) {
        return [`${profile.id} (${group}-only pass): ${(error as Error).message}`];
      }
    });
  });
  if (problems.length > 0) {
    throw new BadInputError(`depth by ablation cannot delete these policies in place: ${problems.join('; ')}`, `--depth with --provider ${provider}`, 'other profiles, or --no-depth');
  }
}

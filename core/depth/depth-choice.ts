import { BadInputError } from '../domain/errors.ts';
import type { ProviderName } from '../domain/profile.ts';

/**
 * Whether `run` measures depth by ablation: `--depth` / `--no-depth`, else on for the lab (a pass is a few more
 * network namespaces) and off for kind and kubeconfig. On kube providers ablation would delete and re-apply a
 * layer's policy objects between passes on the one cluster; that is not built yet, so `--depth` there is refused
 * rather than half-measured.
 */
export function depthEnabled(provider: ProviderName, flag: boolean | undefined): boolean {
  if (flag === undefined) return provider === 'lab';
  if (flag && provider !== 'lab') {
    throw new BadInputError(`depth by ablation is measured on the lab provider only (kind and kubeconfig would need each layer's policies deleted and re-applied between passes, not built yet)`, `--depth with --provider ${provider}`, '--provider lab, or --no-depth');
  }
  return flag;
}

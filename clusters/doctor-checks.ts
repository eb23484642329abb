import { loadEstimates } from '../core/config/estimates.ts';
import type { Check } from '../core/doctor/check.ts';
import { realHostProbes, type HostProbes } from '../core/doctor/host-probes.ts';
import type { Profile, ProviderName } from '../core/domain/profile.ts';
import { kindDoctorChecks } from './kind/doctor-checks.ts';
import { currentPlatform, loadKindPins } from './kind/pins-tools.ts';
import { defaultCacheDir, findInCache, findOnPath } from './kind/tool-cache.ts';
import { kubeconfigDoctorChecks } from './kubeconfig/doctor-checks.ts';
import { labDoctorChecks } from './lab/doctor-checks.ts';
import { hostFacts, type PreflightFacts } from './lab/preflight.ts';

export interface DoctorSelection {
  readonly provider: ProviderName;
  /** kind: the selected profiles, compared with their memory and disk estimates. */
  readonly profiles: readonly Profile[];
  readonly pinsFile?: string;
  readonly estimatesFile?: string;
  readonly context?: string;
  readonly kubeconfigPath?: string;
  readonly expectedServer?: string;
  readonly iUnderstand?: boolean;
  /** kind: `run --reuse` on an existing cluster. */
  readonly reuse?: string;
  /** Injected in tests; the real host otherwise. */
  readonly probes?: HostProbes;
  readonly labFacts?: PreflightFacts;
}

/** The host checks of one provider: what `doctor` prints and what `run` proves before it creates anything. */
export async function doctorChecksFor(selection: DoctorSelection): Promise<readonly Check[]> {
  const probes = selection.probes ?? realHostProbes();
  switch (selection.provider) {
    case 'lab':
      return labDoctorChecks({ facts: selection.labFacts ?? hostFacts(), probes });
    case 'kind': {
      const pins = await loadKindPins(selection.pinsFile);
      const estimates = await loadEstimates(selection.estimatesFile);
      const cacheDir = defaultCacheDir();
      const platform = currentPlatform();
      return kindDoctorChecks({
        pins,
        profiles: selection.profiles,
        estimates,
        probes,
        platform,
        cacheDir,
        ...(selection.reuse === undefined ? {} : { reuse: selection.reuse }),
        locateTool: async (name, pin) => {
          const onPath = await findOnPath(name, pin.version, process.env['PATH'] ?? '');
          if (onPath !== undefined) return { source: 'path', path: onPath };
          const cached = await findInCache(name, pin, { cacheDir, platform });
          return cached === undefined ? undefined : { source: 'cache', path: cached };
        },
      });
    }
    case 'kubeconfig':
      return kubeconfigDoctorChecks({
        target: {
          context: selection.context ?? '',
          iUnderstand: selection.iUnderstand ?? false,
          ...(selection.kubeconfigPath === undefined ? {} : { kubeconfigPath: selection.kubeconfigPath }),
          ...(selection.expectedServer === undefined ? {} : { expectedServer: selection.expectedServer }),
        },
        probes,
      });
  }
}

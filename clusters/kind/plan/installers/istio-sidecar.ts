import type { InstallerContext } from '../installer-context.ts';
import type { InstallerPart } from '../plan-types.ts';
import { istiodMeshConfig, SMALL_REQUESTS, istioRelease, ISTIO_NAMESPACE } from './istio-common.ts';
import { concat } from '../concat-parts.ts';
import { crdWait, rolloutWait } from '../wait-steps.ts';

export function istiodSidecarValues(context: InstallerContext): Record<string, unknown> {
  const { options } = context.profile;
  return {
    meshConfig: istiodMeshConfig(context.profile),
    // With istio-cni the pods need no istio-init (NET_ADMIN), so the mesh namespace can enforce PSA baseline.
    pilot: { cni: { enabled: options.istioCni }, ...(options.smallFootprint ? { resources: { requests: SMALL_REQUESTS.istiod } } : {}) },
    global: {
      logAsJson: true,
      ...(options.smallFootprint ? { proxy: { resources: { requests: SMALL_REQUESTS.proxy } } } : {}),
    },
  };
}

/** Helm `base` + `istiod` (JSON access logs to stdout), and `cni` when the profile uses istio-cni. */
export function istioSidecarInstaller(context: InstallerContext): InstallerPart {
  const base = istioRelease(context, 'istio-base', 'istio-base', 'base', { defaultRevision: 'default' });
  const crds: InstallerPart = { files: [], steps: [crdWait('istio-base', 'authorizationpolicies.security.istio.io')] };
  const istiod = istioRelease(context, 'istiod', 'istiod', 'istiod', istiodSidecarValues(context));
  const istiodReady: InstallerPart = { files: [], steps: [rolloutWait('istiod', 'Deployment', ISTIO_NAMESPACE, 'istiod')] };
  if (!context.profile.options.istioCni) return concat(base, crds, istiod, istiodReady);
  const cni = istioRelease(context, 'istio-cni', 'istio-cni', 'cni', { global: { logAsJson: true } });
  const cniReady: InstallerPart = { files: [], steps: [rolloutWait('istio-cni', 'DaemonSet', ISTIO_NAMESPACE, 'istio-cni-node')] };
  return concat(base, crds, istiod, istiodReady, cni, cniReady);
}

import type { InstallerContext } from '../installer-context.ts';
import type { InstallerPart } from '../plan-types.ts';
import { ACCESS_LOG_MESH_CONFIG, SMALL_REQUESTS, istioRelease, ISTIO_NAMESPACE } from './istio-common.ts';
import { concat } from '../concat-parts.ts';
import { crdWait, rolloutWait } from '../wait-steps.ts';

export function gatewayApiCrdsUrl(version: string): string {
  return `https://github.com/kubernetes-sigs/gateway-api/releases/download/${version}/standard-install.yaml`;
}

export function istiodAmbientValues(context: InstallerContext): Record<string, unknown> {
  const { options } = context.profile;
  return {
    profile: 'ambient',
    meshConfig: { ...ACCESS_LOG_MESH_CONFIG },
    global: { logAsJson: true },
    ...(options.smallFootprint ? { pilot: { resources: { requests: SMALL_REQUESTS.istiod } } } : {}),
  };
}

export function ztunnelValues(context: InstallerContext): Record<string, unknown> {
  return {
    profile: 'ambient',
    // ztunnel's `policy rejection` lines are parsed from JSON.
    logAsJson: true,
    ...(context.profile.options.smallFootprint ? { resources: { requests: SMALL_REQUESTS.ztunnel } } : {}),
  };
}

/** Gateway API CRDs, then `base`, `istiod`, `cni` and `ztunnel` with profile=ambient. */
export function istioAmbientInstaller(context: InstallerContext): InstallerPart {
  const checksum = context.pins.manifests.gatewayApiCrds.sha256[context.versions.gatewayApi];
  const gatewayApi: InstallerPart = {
    files: [],
    steps: [
      {
        kind: 'apply-remote',
        phase: 'stack',
        component: 'gateway-api',
        url: gatewayApiCrdsUrl(context.versions.gatewayApi),
        ...(checksum === undefined ? {} : { sha256: checksum }),
        pinnedAt: `${context.pins.file}: manifests.gatewayApiCrds.sha256.${context.versions.gatewayApi}`,
      },
      crdWait('gateway-api', 'gateways.gateway.networking.k8s.io'),
    ],
  };
  return concat(
    gatewayApi,
    istioRelease(context, 'istio-base', 'istio-base', 'base', { defaultRevision: 'default' }),
    { files: [], steps: [crdWait('istio-base', 'authorizationpolicies.security.istio.io')] },
    istioRelease(context, 'istiod', 'istiod', 'istiod', istiodAmbientValues(context)),
    { files: [], steps: [rolloutWait('istiod', 'Deployment', ISTIO_NAMESPACE, 'istiod')] },
    istioRelease(context, 'istio-cni', 'istio-cni', 'cni', { profile: 'ambient', global: { logAsJson: true } }),
    { files: [], steps: [rolloutWait('istio-cni', 'DaemonSet', ISTIO_NAMESPACE, 'istio-cni-node')] },
    istioRelease(context, 'ztunnel', 'ztunnel', 'ztunnel', ztunnelValues(context)),
    { files: [], steps: [rolloutWait('ztunnel', 'DaemonSet', ISTIO_NAMESPACE, 'ztunnel')] },
  );
}

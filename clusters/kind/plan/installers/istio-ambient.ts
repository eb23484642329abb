import type { InstallerContext } from '../installer-context.ts';
import type { InstallerPart } from '../plan-types.ts';
import { ACCESS_LOG_MESH_CONFIG, SMALL_REQUESTS, concat, istioRelease, waitFor } from './istio-common.ts';

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
  const gatewayApi: InstallerPart = {
    files: [],
    steps: [
      { kind: 'apply-remote', phase: 'stack', component: 'gateway-api', url: gatewayApiCrdsUrl(context.versions.gatewayApi) },
      waitFor('gateway-api', 'CustomResourceDefinition', 'gateways.gateway.networking.k8s.io'),
    ],
  };
  return concat(
    gatewayApi,
    istioRelease(context, 'istio-base', 'istio-base', 'base', { defaultRevision: 'default' }),
    { files: [], steps: [waitFor('istio-base', 'CustomResourceDefinition', 'authorizationpolicies.security.istio.io')] },
    istioRelease(context, 'istiod', 'istiod', 'istiod', istiodAmbientValues(context)),
    { files: [], steps: [waitFor('istiod', 'Deployment', 'istiod')] },
    istioRelease(context, 'istio-cni', 'istio-cni', 'cni', { profile: 'ambient', global: { logAsJson: true } }),
    { files: [], steps: [waitFor('istio-cni', 'DaemonSet', 'istio-cni-node')] },
    istioRelease(context, 'ztunnel', 'ztunnel', 'ztunnel', ztunnelValues(context)),
    { files: [], steps: [waitFor('ztunnel', 'DaemonSet', 'ztunnel')] },
  );
}

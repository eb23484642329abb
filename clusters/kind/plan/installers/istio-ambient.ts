import type { InstallerContext } from '../installer-context.ts';
import { posix } from 'node:path';
import { loadGatewayApiBundle } from '../../manifests/gateway-api-bundle.ts';
import type { InstallerPart, PlanFile, PlanStep } from '../plan-types.ts';
import { istiodMeshConfig, SMALL_REQUESTS, istioRelease, ISTIO_NAMESPACE } from './istio-common.ts';
import { concat } from '../concat-parts.ts';
import { crdWait, rolloutWait } from '../wait-steps.ts';

/**
 * The Gateway API standard-channel install of the version set's release, from the copy vendored in the repository
 * (clusters/kind/manifests/gateway-api/<version>/, verified against its provenance): one server-side apply per
 * release file, in the release's order, then every CRD Established. Nothing is downloaded.
 */
export function gatewayApiPart(context: InstallerContext): InstallerPart {
  const bundle = loadGatewayApiBundle(context.versions.gatewayApi);
  const files: PlanFile[] = [];
  const steps: PlanStep[] = [];
  for (const manifest of bundle.manifests) {
    const path = posix.join('manifests', manifest.source);
    files.push({ path, content: manifest.content });
    steps.push({ kind: 'apply', phase: 'stack', component: 'gateway-api', file: path, objects: manifest.objects, force: false });
  }
  return { files, steps: [...steps, ...bundle.crdNames.map((name) => crdWait('gateway-api', name))] };
}

export function istiodAmbientValues(context: InstallerContext): Record<string, unknown> {
  const { options } = context.profile;
  return {
    profile: 'ambient',
    meshConfig: istiodMeshConfig(context.profile),
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

/** Gateway API CRDs (vendored), then `base`, `istiod`, `cni` and `ztunnel` with profile=ambient. */
export function istioAmbientInstaller(context: InstallerContext): InstallerPart {
  return concat(
    gatewayApiPart(context),
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

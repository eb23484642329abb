import { helmInstall } from '../helm-release.ts';
import type { InstallerContext } from '../installer-context.ts';
import type { Component, InstallerPart } from '../plan-types.ts';
import type { Profile } from '../../../../core/domain/profile.ts';

export const ISTIO_NAMESPACE = 'istio-system';

/** Small-machine requests (profile option `smallFootprint`): enough for the scene's handful of pods. */
export const SMALL_REQUESTS = {
  istiod: { cpu: '100m', memory: '256Mi' },
  proxy: { cpu: '10m', memory: '40Mi' },
  ztunnel: { cpu: '50m', memory: '64Mi' },
} as const;

/** JSON access logs on stdout: the Envoy evidence parser reads `response_code_details` and friends from them. */
export const ACCESS_LOG_MESH_CONFIG = { accessLogFile: '/dev/stdout', accessLogEncoding: 'JSON' } as const;

/**
 * istiod's meshConfig: JSON access logs, and the profile's path normalisation when it is not Istio's default BASE
 * (`meshConfig.pathNormalization.normalization`, https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/;
 * the hardened set uses DECODE_AND_MERGE_SLASHES, https://istio.io/latest/docs/ops/best-practices/security/).
 */
export function istiodMeshConfig(profile: Profile): Record<string, unknown> {
  const normalization = profile.options.pathNormalization;
  return { ...ACCESS_LOG_MESH_CONFIG, ...(normalization === 'BASE' ? {} : { pathNormalization: { normalization } }) };
}

export function istioRelease(
  context: InstallerContext,
  component: Component,
  release: string,
  chart: string,
  values: Record<string, unknown>,
): InstallerPart {
  const helm = helmInstall(
    {
      component,
      release,
      chart,
      repo: context.pins.charts.istio.repo,
      version: context.versions.istio,
      namespace: ISTIO_NAMESPACE,
      values,
    },
    context.kubeconfig,
  );
  return { files: [helm.file], steps: [helm.step] };
}

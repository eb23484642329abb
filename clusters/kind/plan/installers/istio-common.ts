import { TIMEOUTS } from '../../../../core/timeouts.ts';
import { helmInstall } from '../helm-release.ts';
import type { InstallerContext } from '../installer-context.ts';
import type { Component, InstallerPart, WaitStep } from '../plan-types.ts';

export const ISTIO_NAMESPACE = 'istio-system';

/** Small-machine requests (profile option `smallFootprint`): enough for the scene's handful of pods. */
export const SMALL_REQUESTS = {
  istiod: { cpu: '100m', memory: '256Mi' },
  proxy: { cpu: '10m', memory: '40Mi' },
  ztunnel: { cpu: '50m', memory: '64Mi' },
} as const;

/** JSON access logs on stdout: the Envoy evidence parser reads `response_code_details` and friends from them. */
export const ACCESS_LOG_MESH_CONFIG = { accessLogFile: '/dev/stdout', accessLogEncoding: 'JSON' } as const;

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

export function waitFor(
  component: Component,
  kind: 'DaemonSet' | 'Deployment' | 'CustomResourceDefinition',
  name: string,
  namespace: string = ISTIO_NAMESPACE,
): WaitStep {
  if (kind === 'CustomResourceDefinition') {
    return {
      kind: 'wait',
      phase: 'stack',
      component,
      what: { apiVersion: 'apiextensions.k8s.io/v1', kind, name },
      condition: 'Established',
      timeoutMs: TIMEOUTS.componentReadyMs,
    };
  }
  return {
    kind: 'wait',
    phase: 'stack',
    component,
    what: { apiVersion: 'apps/v1', kind, namespace, name },
    condition: 'rollout',
    timeoutMs: TIMEOUTS.componentReadyMs,
  };
}

export function concat(...parts: readonly InstallerPart[]): InstallerPart {
  return { steps: parts.flatMap((part) => part.steps), files: parts.flatMap((part) => part.files) };
}

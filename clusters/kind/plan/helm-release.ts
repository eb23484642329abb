import { stringify } from 'yaml';
import type { Component, ExecStep, PlanFile, PlanPhase } from './plan-types.ts';

export interface HelmRelease {
  readonly component: Component;
  readonly release: string;
  readonly chart: string;
  readonly repo: string;
  readonly version: string;
  readonly namespace: string;
  readonly values: Readonly<Record<string, unknown>>;
  readonly phase?: PlanPhase;
}

export function valuesFilePath(release: string): string {
  return `values/${release}.yaml`;
}

/** `helm upgrade --install` from the chart repository at the pinned version, with its values file. */
export function helmInstall(release: HelmRelease, kubeconfig: string): { step: ExecStep; file: PlanFile } {
  const file = valuesFilePath(release.release);
  return {
    file: { path: file, content: stringify(release.values) },
    step: {
      kind: 'exec',
      phase: release.phase ?? 'stack',
      component: release.component,
      tool: 'helm',
      args: [
        'upgrade',
        '--install',
        release.release,
        release.chart,
        '--repo',
        release.repo,
        '--version',
        release.version,
        '--namespace',
        release.namespace,
        '--create-namespace',
        '--values',
        file,
        '--kubeconfig',
        kubeconfig,
      ],
    },
  };
}

import { TIMEOUTS } from '../../../core/timeouts.ts';
import type { Component, WaitStep } from './plan-types.ts';

/** A DaemonSet or Deployment rolled out (every replica updated and available), within the component budget. */
export function rolloutWait(component: Component, kind: 'DaemonSet' | 'Deployment', namespace: string, name: string): WaitStep {
  return {
    kind: 'wait',
    phase: 'stack',
    component,
    what: { apiVersion: 'apps/v1', kind, namespace, name },
    condition: 'rollout',
    timeoutMs: TIMEOUTS.componentReadyMs,
  };
}

/** A CRD Established: objects of its kind can be applied. */
export function crdWait(component: Component, name: string): WaitStep {
  return {
    kind: 'wait',
    phase: 'stack',
    component,
    what: { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name },
    condition: 'Established',
    timeoutMs: TIMEOUTS.componentReadyMs,
  };
}

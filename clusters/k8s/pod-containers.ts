import type { V1Pod } from '@kubernetes/client-node';

/**
 * Whether a pod runs a long-lived container of this name: a regular container, or a native sidecar — an init
 * container with `restartPolicy: Always` (https://kubernetes.io/docs/concepts/workloads/pods/sidecar-containers/).
 * Istio injects `istio-proxy` that way when native sidecars are on (the default on Kubernetes versions that support
 * them in current Istio releases; see `ENABLE_NATIVE_SIDECARS` in istio/istio's injection template). A plain init
 * container that ran to completion is not one.
 */
export function runsContainer(pod: V1Pod, name: string): boolean {
  if (pod.spec?.containers.some((container) => container.name === name) === true) return true;
  return pod.spec?.initContainers?.some((container) => container.name === name && container.restartPolicy === 'Always') === true;
}

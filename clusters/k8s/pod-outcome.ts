import type { V1Pod } from '@kubernetes/client-node';

export type PodProgress = { readonly state: 'running' } | { readonly state: 'waiting' } | { readonly state: 'failed'; readonly reason: string };

/** Where a watched pod is: running (init containers done, main containers started), failed, or still on its way. */
export function podProgress(pod: V1Pod): PodProgress {
  const status = pod.status;
  if (status?.phase === 'Failed') return { state: 'failed', reason: status.message ?? status.reason ?? 'pod failed' };
  const waiting = [...(status?.initContainerStatuses ?? []), ...(status?.containerStatuses ?? [])]
    .map((container) => container.state?.waiting?.reason)
    .find((reason) => reason === 'ErrImagePull' || reason === 'ImagePullBackOff' || reason === 'CrashLoopBackOff' || reason === 'CreateContainerConfigError' || reason === 'InvalidImageName');
  if (waiting !== undefined) return { state: 'failed', reason: waiting };
  if (status?.phase === 'Succeeded') return { state: 'failed', reason: 'pod exited before it could be used' };
  if (status?.phase === 'Running' && (status.containerStatuses ?? []).every((container) => container.state?.running !== undefined)) {
    return { state: 'running' };
  }
  return { state: 'waiting' };
}

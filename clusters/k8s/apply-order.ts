import type { KubeObject } from '../../core/domain/cluster.ts';

/**
 * Apply order: definitions before the things they define, containers before contents. CRDs first (and they
 * must be Established before any object of their kinds), then namespaces, then identities and config,
 * bindings, workloads, and policies last so the scene comes up before it is locked down.
 */
const RANK: Readonly<Record<string, number>> = {
  CustomResourceDefinition: 0,
  Namespace: 1,
  ServiceAccount: 2,
  ConfigMap: 2,
  Secret: 2,
  ClusterRole: 2,
  Role: 2,
  ClusterRoleBinding: 3,
  RoleBinding: 3,
  Service: 4,
  Deployment: 5,
  DaemonSet: 5,
  StatefulSet: 5,
  Pod: 5,
  Gateway: 6,
};
const POLICY_RANK = 7;
const OTHER_RANK = 6;

function rankOf(object: KubeObject): number {
  const rank = RANK[object.kind];
  if (rank !== undefined) return rank;
  return /Policy$|^PeerAuthentication$|^Sidecar$/.test(object.kind) ? POLICY_RANK : OTHER_RANK;
}

/** Stable sort by rank: objects of the same rank keep the caller's order. */
export function orderForApply(objects: readonly KubeObject[]): KubeObject[] {
  return objects
    .map((object, index) => ({ object, index, rank: rankOf(object) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map((entry) => entry.object);
}

/** Split into the CRDs (applied and awaited first) and everything else, in apply order. */
export function splitCrds(objects: readonly KubeObject[]): { crds: KubeObject[]; rest: KubeObject[] } {
  const ordered = orderForApply(objects);
  return {
    crds: ordered.filter((object) => object.kind === 'CustomResourceDefinition'),
    rest: ordered.filter((object) => object.kind !== 'CustomResourceDefinition'),
  };
}

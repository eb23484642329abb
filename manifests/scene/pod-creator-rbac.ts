import type { V1Role, V1RoleBinding } from '@kubernetes/client-node';
import type { KubeObject } from '../../core/domain/cluster.ts';
import { asKubeObject, managedLabels } from '../kube-object.ts';
import { SCENE } from '../scene.ts';

export const POD_CREATOR_ROLE = 'bm-pod-creator';

/**
 * The scene's pod creator (SCENE.requesters.podCreator): a user who may run pods in bm-app — create, watch, exec,
 * read logs, delete — and nothing else; the position an identity claim (LM2) starts from. The harness impersonates
 * it on kind (clusters/k8s/impersonation.ts). RBAC from https://kubernetes.io/docs/reference/access-authn-authz/rbac/
 * (pods/exec and pods/log are subresources; exec asks `create` on pods/exec, older WebSocket clients `get`).
 */
export function buildPodCreatorRbac(): KubeObject[] {
  const namespace = SCENE.namespaces.app;
  const role: V1Role = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: POD_CREATOR_ROLE, namespace, labels: managedLabels() },
    rules: [
      { apiGroups: [''], resources: ['pods'], verbs: ['create', 'get', 'list', 'watch', 'delete'] },
      { apiGroups: [''], resources: ['pods/exec'], verbs: ['create', 'get'] },
      { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
    ],
  };
  const binding: V1RoleBinding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: POD_CREATOR_ROLE, namespace, labels: managedLabels() },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: POD_CREATOR_ROLE },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: SCENE.requesters.podCreator.username }],
  };
  return [asKubeObject(role), asKubeObject(binding)];
}

import { KubeConfig } from '@kubernetes/client-node';
import { InfrastructureError } from '../../core/domain/errors.ts';

/**
 * The same kubeconfig, its current user asking as `username` (the `Impersonate-User` header,
 * https://kubernetes.io/docs/reference/access-authn-authz/authentication/#user-impersonation). The API server
 * authorises the request as that user (RBAC) and admission sees it as `request.userInfo`. The original credentials
 * must be allowed to `impersonate` users: kind's admin kubeconfig is.
 */
export function impersonating(kubeConfig: KubeConfig, username: string): KubeConfig {
  const current = kubeConfig.getCurrentUser();
  if (current === null) throw new InfrastructureError('kubeconfig', 'the current context names no user to impersonate with');
  const copy = new KubeConfig();
  copy.loadFromOptions({
    clusters: kubeConfig.clusters,
    contexts: kubeConfig.contexts,
    users: kubeConfig.users.map((user) => (user.name === current.name ? { ...user, impersonateUser: username } : user)),
    currentContext: kubeConfig.currentContext,
  });
  return copy;
}

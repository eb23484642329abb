import type { V1ServiceAccount } from '@kubernetes/client-node';
import type { KubeObject } from '../../core/domain/cluster.ts';
import { asKubeObject, managedLabels } from '../kube-object.ts';
import { SCENE } from '../scene.ts';

const { workloads, namespaces } = SCENE;

/**
 * One service account per workload (its mesh identity). The attacker identities exist in bm-privileged too, so
 * a privileged variant of an attack keeps the attacker's identity and only changes what admission lets it do.
 * Tokens stay auto-mounted: LM4 measures what a stolen token can reach.
 */
export const SCENE_SERVICE_ACCOUNTS: readonly { readonly namespace: string; readonly name: string }[] = [
  { namespace: namespaces.app, name: workloads.frontend.serviceAccount },
  { namespace: namespaces.app, name: workloads.api.serviceAccount },
  { namespace: namespaces.app, name: workloads.db.serviceAccount },
  { namespace: namespaces.app, name: workloads.intruder.serviceAccount },
  { namespace: namespaces.rogue, name: workloads.rogue.serviceAccount },
  { namespace: namespaces.privileged, name: workloads.intruder.serviceAccount },
  { namespace: namespaces.privileged, name: workloads.rogue.serviceAccount },
];

export function buildServiceAccounts(): KubeObject[] {
  return SCENE_SERVICE_ACCOUNTS.map(({ namespace, name }) => {
    const model: V1ServiceAccount = {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name, namespace, labels: managedLabels({ [SCENE.appLabel]: name }) },
    };
    return asKubeObject(model);
  });
}

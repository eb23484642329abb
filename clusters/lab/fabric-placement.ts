import type { V1Pod } from '@kubernetes/client-node';
import { BadInputError } from '../../core/domain/errors.ts';
import { NODE_NETWORK_PLACEMENT } from '../../manifests/node-network-placement.ts';

/**
 * Whether the pod asks to sit on the node network outside every node (manifests/node-network-placement.ts): the
 * lab runs it in the fabric namespace, where the nodes' uplinks meet. Any other value of the annotation, or the
 * annotation on a pod without hostNetwork, is refused.
 */
export function onFabric(spec: V1Pod): boolean {
  const value = spec.metadata?.annotations?.[NODE_NETWORK_PLACEMENT.key];
  if (value === undefined) return false;
  const where = `pod ${spec.metadata?.namespace ?? '?'}/${spec.metadata?.name ?? '?'} annotation ${NODE_NETWORK_PLACEMENT.key}`;
  if (value !== NODE_NETWORK_PLACEMENT.value) throw new BadInputError(`unknown placement "${value}"`, where, NODE_NETWORK_PLACEMENT.value);
  if (spec.spec?.hostNetwork !== true) throw new BadInputError('a node-network placement needs hostNetwork: true', where, 'hostNetwork: true');
  return true;
}

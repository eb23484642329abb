import type { BlockingLayer } from './layer.ts';
import type { StackTraits } from './profile.ts';

/** The layers a stack has, i.e. the ones a block may be attributed to. */
export function stackLayers(stack: StackTraits): ReadonlySet<BlockingLayer> {
  const layers = new Set<BlockingLayer>(['admission', 'api']);
  if (stack.enforcesNetworkPolicy) layers.add('cni');
  if (stack.mesh === 'istio-sidecar') layers.add('mesh-sidecar');
  if (stack.mesh === 'istio-ambient') {
    layers.add('mesh-ztunnel');
    layers.add('mesh-waypoint');
  }
  return layers;
}

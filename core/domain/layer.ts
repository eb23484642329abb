/**
 * The enforcement layers breachmatrix attributes a block to, in the order a packet meets them on its way
 * out of an attacker pod: admission decides whether the pod exists at all, then the pod's own sidecar or
 * ztunnel capture, the CNI, the destination's waypoint, the destination's proxy. `api` is Kubernetes RBAC.
 */
export const LAYERS = ['admission', 'cni', 'mesh-sidecar', 'mesh-ztunnel', 'mesh-waypoint', 'api', 'none'] as const;
export type Layer = (typeof LAYERS)[number];

/** Layers that can actually block something (everything but `none`). */
export type BlockingLayer = Exclude<Layer, 'none'>;

/**
 * Path order used when two layers both recorded a denial: the first one on the path is credited, the others
 * are kept as evidence. Admission precedes everything; the CNI drops at the source node before a remote proxy
 * can see the connection; ztunnel and the sidecar sit at both ends, the waypoint in the middle.
 */
export const LAYER_PATH_ORDER: readonly BlockingLayer[] = [
  'admission',
  'api',
  'cni',
  'mesh-ztunnel',
  'mesh-sidecar',
  'mesh-waypoint',
];

export function isLayer(value: string): value is Layer {
  return (LAYERS as readonly string[]).includes(value);
}

export function firstOnPath(layers: Iterable<BlockingLayer>): BlockingLayer | undefined {
  const present = new Set(layers);
  return LAYER_PATH_ORDER.find((layer) => present.has(layer));
}

/**
 * A pod annotation for attackers that sit on the nodes' network but on no node (EV2's sniffer): on kind a container
 * on the `kind` docker network, on the lab its fabric namespace. Only hostNetwork pods may carry it; a provider
 * that cannot place such a pod refuses it rather than run it on a node.
 */
export const NODE_NETWORK_PLACEMENT = { key: 'breachmatrix.io/placement', value: 'node-network' } as const;

import type { Expectation } from '../../../core/domain/attack.ts';
import type { StackTraits } from '../../../core/domain/profile.ts';
import { allowed, blocked, labNote } from '../expectation-builders.ts';
import { REF } from '../references.ts';

export const EAVESDROPPING_SOURCE = `sidecars send mutual TLS to sidecars automatically; ambient ztunnels tunnel pod traffic in HBONE (mTLS on 15008) — ${REF.istioMutualTls.cite}; ${REF.ztunnelHbone.cite}`;

/** Cilium: WireGuard encrypts between nodes only; a sniffer on the destination node reads the veth in plaintext. */
export const WIREGUARD_SAME_NODE = `packets to the same node are not encrypted, "given that the raw traffic can be observed on the node anyway" — ${REF.ciliumWireguard.cite}`;

/** Calico documents the same scope for Felix's WireGuard: inter-node pod traffic only. */
export const CALICO_WIREGUARD_SAME_NODE = `"Encrypted same-node pod traffic" is listed as unsupported — ${REF.calicoWireguard.cite}`;

/** Each CNI's own documentation of its WireGuard: what it encrypts between nodes, and what it leaves plaintext on one. */
function wireguardSources(stack: StackTraits): { readonly betweenNodes: string; readonly sameNode: string } {
  if (stack.cni === 'calico') return { betweenNodes: `Felix WireGuard encrypts inter-node pod traffic — ${REF.calicoWireguard.cite}`, sameNode: CALICO_WIREGUARD_SAME_NODE };
  return { betweenNodes: `WireGuard at the CNI encrypts pod traffic between nodes — ${REF.ciliumWireguard.cite}`, sameNode: WIREGUARD_SAME_NODE };
}

/**
 * Whatever encrypts frontend → api where the sniffer sits, or `allowed` when nothing does. `sameNode`: the capture is
 * on api's node (EV1), where CNI WireGuard has already decrypted the packets.
 */
export function encryptionExpectation(stack: StackTraits, where: string, sameNode: boolean): Expectation {
  if (stack.mesh === 'istio-sidecar') return blocked('mesh-sidecar', undefined, `${EAVESDROPPING_SOURCE}; ${where}: only the sidecars' TLS records`, 'documented', labNote(stack));
  if (stack.mesh === 'istio-ambient') return blocked('mesh-ztunnel', undefined, `${EAVESDROPPING_SOURCE}; ${where}: only HBONE to 15008`, 'documented', labNote(stack));
  if (stack.encryption === 'wireguard' && sameNode) return allowed(`WireGuard at the CNI: ${wireguardSources(stack).sameNode}`, 'documented', labNote(stack));
  if (stack.encryption === 'wireguard') return blocked('cni', undefined, wireguardSources(stack).betweenNodes, 'documented');
  return allowed(`no layer of this stack encrypts pod traffic (no mesh, no WireGuard) — ${REF.istioMutualTls.cite}`, 'documented', labNote(stack));
}

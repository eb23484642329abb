import type { Expectation } from '../../../core/domain/attack.ts';
import type { StackTraits } from '../../../core/domain/profile.ts';
import { allowed, blocked, labNote } from '../expectation-builders.ts';
import { REF } from '../references.ts';

export const EAVESDROPPING_SOURCE = `sidecars send mutual TLS to sidecars automatically; ambient ztunnels tunnel pod traffic in HBONE (mTLS on 15008) — ${REF.istioMutualTls.cite}; ${REF.ztunnelHbone.cite}`;

/** Whatever encrypts frontend → api on this stack, or `allowed` when nothing does (no mesh; no CNI encryption modelled). */
export function encryptionExpectation(stack: StackTraits, where: string): Expectation {
  if (stack.mesh === 'istio-sidecar') return blocked('mesh-sidecar', undefined, `${EAVESDROPPING_SOURCE}; ${where}: only the sidecars' TLS records`, 'documented', labNote(stack));
  if (stack.mesh === 'istio-ambient') return blocked('mesh-ztunnel', undefined, `${EAVESDROPPING_SOURCE}; ${where}: only HBONE to 15008`, 'documented', labNote(stack));
  return allowed(`no layer of this stack encrypts pod traffic (no mesh, no WireGuard) — ${REF.istioMutualTls.cite}`, 'documented', labNote(stack));
}

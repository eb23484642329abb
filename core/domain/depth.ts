import type { Confidence, Outcome } from './cell.ts';
import type { EvidenceItem } from './evidence.ts';
import type { BlockingLayer } from './layer.ts';
import type { Mesh } from './profile.ts';

/**
 * The policy groups a stack's policy set is made of (manifests' LayeredPolicySet), the unit depth ablates.
 * Namespace PSA labels are part of the scene, never ablated: the admission group is what the policy set adds.
 */
export const POLICY_GROUPS = ['admission', 'cni', 'mesh'] as const;
export type PolicyGroup = (typeof POLICY_GROUPS)[number];

/** The blocking layers whose block credits a policy group (the mesh group is enforced by ztunnel or a waypoint on ambient). */
export function groupLayers(group: PolicyGroup, mesh: Mesh): readonly BlockingLayer[] {
  if (group === 'admission') return ['admission'];
  if (group === 'cni') return ['cni'];
  return mesh === 'istio-ambient' ? ['mesh-ztunnel', 'mesh-waypoint'] : ['mesh-sidecar'];
}

/** One ablation pass of one attack: the stack with only `policies`' group applied (every other group's objects removed). */
export interface DepthLayer {
  /** The policy group this pass kept. */
  readonly policies: PolicyGroup;
  /** The blocking layer(s) that group is enforced by, for reading. */
  readonly layer: string;
  readonly outcome: Outcome;
  readonly blockedBy?: BlockingLayer;
  readonly confidence?: Confidence;
  /** This pass's own attempt's records (its own canary and flow), never the full pass's. */
  readonly evidence: readonly EvidenceItem[];
  /** True when the pass was blocked by this group's own layer: the group stops the attempt on its own. */
  readonly stops: boolean;
  readonly canary?: string;
  readonly reason?: string;
}

/**
 * Depth of one full-stack cell: one entry per policy group, and `count`, how many groups stop the attempt on their
 * own (1 = a single point of failure). `count` is absent when any pass was not conclusive (inconclusive, error,
 * interrupted): an unmeasured pass is never read as "does not stop it".
 */
export interface CellDepth {
  readonly layers: readonly DepthLayer[];
  readonly count?: number;
  /** Why `count` is absent. */
  readonly incomplete?: string;
}

/** `count` from the passes: fail closed on any pass that is neither blocked nor allowed. */
export function depthOf(layers: readonly DepthLayer[]): CellDepth {
  const unclear = layers.filter((entry) => entry.outcome !== 'blocked' && entry.outcome !== 'allowed');
  if (unclear.length > 0) {
    return { layers, incomplete: unclear.map((entry) => `${entry.policies}-only pass ${entry.outcome}${entry.reason ? `: ${entry.reason}` : ''}`).join('; ') };
  }
  return { layers, count: layers.filter((entry) => entry.stops).length };
}

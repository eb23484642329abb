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
 * own (1 = a single point of failure). `count` is absent when any pass left its group unmeasured — inconclusive,
 * error, interrupted, or stopped first by a layer outside the group (e.g. admission, whose PSA labels are part of the
 * scene in every pass): an unmeasured group is never read as "does not stop it". `atLeast` then says how many did.
 */
export interface CellDepth {
  readonly layers: readonly DepthLayer[];
  readonly count?: number;
  /** Groups proven to stop the attempt on their own when `count` is absent. */
  readonly atLeast?: number;
  /** Why `count` is absent. */
  readonly incomplete?: string;
}

/** A pass says something about its group only when it was allowed, or blocked by the group's own layer. */
function unmeasured(entry: DepthLayer): string | undefined {
  if (entry.outcome === 'allowed' || entry.stops) return undefined;
  if (entry.outcome === 'blocked') return `${entry.policies}-only pass blocked by ${entry.blockedBy ?? '?'} before the ${entry.policies} policies were tested`;
  return `${entry.policies}-only pass ${entry.outcome}${entry.reason ? `: ${entry.reason}` : ''}`;
}

/** `count` from the passes, failing closed on any pass that did not measure its group. */
export function depthOf(layers: readonly DepthLayer[]): CellDepth {
  const stopping = layers.filter((entry) => entry.stops).length;
  const reasons = layers.map(unmeasured).filter((reason) => reason !== undefined);
  return reasons.length > 0 ? { layers, atLeast: stopping, incomplete: reasons.join('; ') } : { layers, count: stopping };
}

import type { AttemptPlan } from './attack.ts';
import type { FlowDescriptor } from './evidence.ts';

/**
 * How a positive control walks the attempt's own path:
 * - `same-destination`: a client the scene's policies permit reaches the attempt's destination address, port and
 *   protocol (proves the destination and the path to it answer);
 * - `same-source`: the attempt's pod spec minus the technique reaches a permitted destination over the same
 *   protocol (proves the attacker's own pod and egress path work).
 */
export const CONTROL_KINDS = ['same-destination', 'same-source'] as const;
export type ControlKind = (typeof CONTROL_KINDS)[number];

/**
 * What makes the control pass: its client signal, or — for controls to the exfiltration sink, where UDP and ICMP
 * clients cannot know — the sink recording the control's own canary.
 */
export type ControlProof = 'client-signal' | 'sink-canary';

export interface ControlPlan extends AttemptPlan {
  readonly kind: ControlKind;
  readonly proof: ControlProof;
  /**
   * For `same-source`: the pod-spec paths the technique set and the control leaves out (e.g. `metadata.namespace`
   * for an admission attack); everything else equals the attempt's pod. Empty when the pod is the same.
   */
  readonly techniqueRemoved: readonly string[];
}

/** One flow as a report shows it: who talked to what. */
export interface FlowSummary {
  /** `namespace/pod` of the client, plus its address once it ran. */
  readonly from: string;
  /** The destination address (or name when the flow has no address). */
  readonly to: string;
  readonly port?: number;
  readonly protocol: FlowDescriptor['protocol'];
}

/** `from` / `to` / `port` / `protocol` of a flow (the source's address when the pod ran). */
export function summarizeFlow(flow: FlowDescriptor): FlowSummary {
  const pod = flow.sourcePod === undefined ? undefined : `${flow.sourceNamespace ?? '?'}/${flow.sourcePod}`;
  const from = pod === undefined ? (flow.sourceIp ?? 'unknown') : flow.sourceIp === undefined ? pod : `${pod} (${flow.sourceIp})`;
  return {
    from,
    to: flow.destinationIp ?? flow.destinationName ?? 'unknown',
    ...(flow.destinationPort === undefined ? {} : { port: flow.destinationPort }),
    protocol: flow.protocol,
  };
}

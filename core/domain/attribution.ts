import type { SuccessCriterion } from './attack.ts';
import type { Confidence, Outcome } from './cell.ts';
import type { EvidenceItem } from './evidence.ts';
import { firstOnPath, type BlockingLayer } from './layer.ts';
import { BLOCK_SIGNALS, PASS_SIGNALS, type ClientSignal } from './signal.ts';

export interface AttributionInput {
  /** Whether the positive control passed. Without it no `blocked` verdict is possible. */
  readonly controlPassed: boolean;
  readonly signal: ClientSignal;
  readonly success: SuccessCriterion;
  /** For `sink-canary` attacks: did the sink record this attempt's canary. */
  readonly sinkReceivedCanary: boolean;
  readonly evidence: readonly EvidenceItem[];
  /** Layers the stack actually has; a client signal is only attributed to one of these. */
  readonly stackLayers: ReadonlySet<BlockingLayer>;
}

export interface Attribution {
  readonly outcome: Outcome;
  readonly blockedBy?: BlockingLayer;
  readonly confidence?: Confidence;
  readonly reason?: string;
}

/**
 * Which layers could have produced a client signal, most likely first. The client's view narrows the
 * layer; only the layer's own record confirms it.
 */
export function candidateLayers(signal: ClientSignal): readonly BlockingLayer[] {
  switch (signal) {
    case 'admission-denied':
      return ['admission'];
    case 'http-403':
      return ['mesh-sidecar', 'mesh-waypoint', 'api'];
    case 'http-403-cilium':
    case 'dns-refused':
      return ['cni'];
    case 'http-502':
      return ['mesh-sidecar', 'mesh-waypoint'];
    // Only an L7 proxy rewrites request headers; ztunnel and the CNI carry bytes.
    case 'header-stripped':
      return ['mesh-sidecar', 'mesh-waypoint'];
    case 'timeout':
    case 'unreachable':
      return ['cni', 'mesh-sidecar', 'mesh-ztunnel'];
    case 'refused':
    case 'reset':
    case 'tls-error':
      return ['mesh-sidecar', 'mesh-ztunnel', 'mesh-waypoint', 'cni'];
    case 'nxdomain':
      return ['cni'];
    default:
      return [];
  }
}

function blockedFromEvidence(input: AttributionInput, blockSignal: ClientSignal): Attribution {
  const denials = input.evidence.filter(
    (item): item is EvidenceItem & { layer: BlockingLayer } => item.verdict === 'denied' && item.layer !== 'none',
  );
  const denying = denials.map((item) => item.layer);
  // A layer that cannot produce what the client saw did not stop this attempt (an HTTP 403 proves the
  // connection got through the CNI, whatever drop the CNI logged): credit the first layer on the path
  // among those that explain the signal, and fall back to path order only when none does.
  const explaining = candidateLayers(blockSignal);
  const consistent = denying.filter((layer) => explaining.includes(layer));
  const confirmed = firstOnPath(consistent.length > 0 ? consistent : denying);
  if (confirmed !== undefined) {
    const firstRecorded = firstOnPath(denying);
    if (firstRecorded !== undefined && firstRecorded !== confirmed) {
      return {
        outcome: 'blocked',
        blockedBy: confirmed,
        confidence: 'confirmed',
        reason: `${firstRecorded} also recorded a denial, but ${blockSignal} comes from ${confirmed}`,
      };
    }
    return { outcome: 'blocked', blockedBy: confirmed, confidence: 'confirmed' };
  }
  const inferred = candidateLayers(blockSignal).find((layer) => input.stackLayers.has(layer));
  if (inferred !== undefined) {
    return {
      outcome: 'blocked',
      blockedBy: inferred,
      confidence: 'inferred',
      reason: `no layer record matched; ${blockSignal} points at ${inferred}`,
    };
  }
  return {
    outcome: 'inconclusive',
    reason: `client saw ${blockSignal} but no layer of this stack records or explains it`,
  };
}

/**
 * Pure attribution: from what the client saw, what the sink received and what each layer recorded, to a
 * verdict. Rules (DESIGN.md, "Rules that make the verdicts trustworthy"):
 * - exfiltration counts only when the sink received the canary — and then always counts;
 * - `blocked` needs a passing positive control, else `inconclusive`;
 * - the first layer on the path with a denial record that can explain the client signal is credited and
 *   `confirmed` (any denying layer, in path order, when none can); without a record the layer
 *   is `inferred` from the client signal, restricted to layers the stack has.
 */
export function attribute(input: AttributionInput): Attribution {
  if (input.success === 'sink-canary' && input.sinkReceivedCanary) return { outcome: 'allowed' };
  if (input.signal === 'error') return { outcome: 'error', reason: 'the attack script failed' };
  if (input.signal === 'permission-denied') {
    return { outcome: 'inconclusive', reason: 'the attacker lacked a privilege the technique needs' };
  }

  // Admission's refusal is its own record: no control can make it more or less true.
  if (input.signal === 'admission-denied') {
    const fromAdmission = input.evidence.some((item) => item.layer === 'admission' && item.verdict === 'denied');
    return { outcome: 'blocked', blockedBy: 'admission', confidence: fromAdmission ? 'confirmed' : 'inferred' };
  }

  let blockSignal: ClientSignal;
  if (input.success === 'sink-canary') {
    // The client may think it sent (UDP, ICMP, a proxy's answer): without the canary at the sink it was stopped.
    blockSignal = PASS_SIGNALS.has(input.signal) ? 'timeout' : input.signal;
  } else if (PASS_SIGNALS.has(input.signal)) {
    return { outcome: 'allowed' };
  } else {
    blockSignal = input.signal;
  }

  if (!BLOCK_SIGNALS.has(blockSignal)) return { outcome: 'error', reason: `unexpected client signal ${blockSignal}` };
  if (!input.controlPassed) {
    return { outcome: 'inconclusive', reason: `attempt saw ${blockSignal}, but the positive control failed` };
  }
  return blockedFromEvidence(input, blockSignal);
}

export interface CaptureAttributionInput {
  readonly controlPassed: boolean;
  /** The sniffer script's signal and what it said. */
  readonly signal: ClientSignal;
  readonly detail: string;
  /** Whether the permitted client's own request got its answer (there was traffic to read). */
  readonly victimPassed: boolean;
  /** The capture's evidence item (core/evidence/packet-capture.ts); undefined when the report was unreadable. */
  readonly capture: EvidenceItem | undefined;
}

/**
 * Eavesdropping (`packet-capture`): `allowed` when the capture holds this attempt's canary in plaintext; `blocked`
 * by the layer that encrypted it only when the victim's request worked, packets of its flow were captured without
 * the canary, the control proved the sniffer sees plaintext on that path, and a layer of the stack explains it.
 */
export function attributeCapture(input: CaptureAttributionInput): Attribution {
  if (input.signal === 'error') return { outcome: 'error', reason: `the capture script failed: ${input.detail}` };
  if (input.signal === 'permission-denied') return { outcome: 'inconclusive', reason: 'the sniffer lacked the privilege to capture' };
  if (input.capture === undefined && !input.victimPassed) return { outcome: 'inconclusive', reason: "the permitted client's request failed: there was no traffic to read" };
  if (input.capture === undefined) return { outcome: 'error', reason: 'the capture report was missing or malformed' };
  if (input.capture.matched?.includes('canary') === true) return { outcome: 'allowed' };
  if (!input.victimPassed) return { outcome: 'inconclusive', reason: "the permitted client's request failed: there was no traffic to read" };
  if (!input.controlPassed) return { outcome: 'inconclusive', reason: 'the canary was not captured, but the control did not prove the sniffer sees plaintext there' };
  if (input.capture.matched?.includes('destination-port') !== true) {
    return { outcome: 'inconclusive', reason: "no packet of the victim's flow was captured: the sniffer did not see it, so it says nothing of encryption" };
  }
  if (input.capture.layer === 'none') return { outcome: 'inconclusive', reason: input.capture.detail ?? 'no layer explains the missing canary' };
  return { outcome: 'blocked', blockedBy: input.capture.layer, confidence: 'confirmed' };
}

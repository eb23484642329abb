import { BadInputError } from '../domain/errors.ts';
import { EVIDENCE_SOURCES, type EvidenceItem, type EvidenceSource, type FlowDescriptor, type TimeWindow } from '../domain/evidence.ts';
import { parseAdmissionMessages } from './admission-message.ts';
import { parseCalicoCounters } from './calico-counters.ts';
import { parseCalicoLog, type CalicoLogRuleMeaning } from './calico-log.ts';
import { parseEnvoyAccessLog, type EnvoyLayer } from './envoy-access-log.ts';
import { parseHubbleFlows } from './hubble-flows.ts';
import { nftCounterEvidence, parseNftDropCounters } from './nft-counters.ts';
import { parseZtunnelLog } from './ztunnel-log.ts';

/** What every parser needs to tie a layer's record to one attempt, plus what some sources need. */
export interface EvidenceContext {
  readonly flow: FlowDescriptor;
  readonly window: TimeWindow;
  /** `envoy-access-log`: whether the log was read from a sidecar or a waypoint. Required for that source. */
  readonly envoyLayer?: EnvoyLayer;
  /** Counter sources (`calico-counter`): the dump taken before the attempt; `raw` is the dump after it. */
  readonly before?: string;
  /** `calico-counter`: Calico interface names of the attempt's pods, to ignore other endpoints' chains. */
  readonly interfaces?: readonly string[];
  /** `calico-counter`: the Calico interface of the attempt's own pod: only its egress chain can confirm a drop. */
  readonly sourceInterface?: string;
  /** `nft-counter` (lab): pod IPs by `namespace/name`, to match ingress counters on the destination. */
  readonly podIps?: ReadonlyMap<string, string>;
  /** `calico-log`: whether the policy's Log rule sits right before a Deny (default: `log-only`). */
  readonly calicoLogRule?: CalicoLogRuleMeaning;
}

export type EvidenceParser = (raw: string, context: EvidenceContext) => EvidenceItem[];

function required<T>(value: T | undefined, what: string, source: EvidenceSource, allowed: string): T {
  if (value === undefined) throw new BadInputError(`${what} is required for evidence source "${source}"`, 'parseEvidence', allowed);
  return value;
}

const PARSERS = new Map<EvidenceSource, EvidenceParser>([
  ['hubble', (raw, context) => parseHubbleFlows(raw, context.flow, context.window)],
  ['calico-log', (raw, context) => parseCalicoLog(raw, context.flow, context.window, context.calicoLogRule)],
  [
    'calico-counter',
    (raw, context) =>
      parseCalicoCounters({
        before: required(context.before, 'context.before (the dump taken before the attempt)', 'calico-counter', 'an iptables-save -c or iptables -L -v -x -n dump'),
        after: raw,
        flow: context.flow,
        ...(context.interfaces === undefined ? {} : { interfaces: context.interfaces }),
        ...(context.sourceInterface === undefined ? {} : { sourceInterface: context.sourceInterface }),
      }),
  ],
  [
    'envoy-access-log',
    (raw, context) =>
      parseEnvoyAccessLog(raw, {
        layer: required(context.envoyLayer, 'context.envoyLayer', 'envoy-access-log', 'mesh-sidecar, mesh-waypoint'),
        flow: context.flow,
        window: context.window,
      }),
  ],
  [
    'nft-counter',
    (raw, context) => {
      // One dump pair from one lab: the node label only has to be the same on both sides of the delta.
      const before = required(context.before, 'context.before (the nft -j list ruleset taken before the attempt)', 'nft-counter', 'nft -j list ruleset output');
      const baseline = new Map(parseNftDropCounters(before, 'lab').map((counter) => [counter.key, counter.packets]));
      return nftCounterEvidence(parseNftDropCounters(raw, 'lab'), baseline, context.flow, {
        podIps: context.podIps ?? new Map<string, string>(),
        window: context.window,
      });
    },
  ],
  ['ztunnel-log', (raw, context) => parseZtunnelLog(raw, context.flow, context.window)],
  ['admission', (raw, context) => parseAdmissionMessages(raw, context.flow)],
]);

/**
 * Adds the parser of a source whose producer owns it (the lab's `nft-counter` and `lab-proxy-log`): the
 * producer of a record writes its parser, following `match-flow.ts`. Replacing a registered parser is
 * refused, so two modules cannot silently fight over a source.
 */
export function registerEvidenceParser(source: EvidenceSource, parser: EvidenceParser): void {
  if (PARSERS.has(source)) {
    throw new BadInputError(`a parser for "${source}" is already registered`, 'registerEvidenceParser');
  }
  PARSERS.set(source, parser);
}

export function evidenceSourcesWithParser(): EvidenceSource[] {
  return EVIDENCE_SOURCES.filter((source) => PARSERS.has(source));
}

/** One layer's raw record (a log, a flow dump, a counter dump) → the evidence items of one attempt. */
export function parseEvidence(source: EvidenceSource, raw: string, context: EvidenceContext): EvidenceItem[] {
  const parser = PARSERS.get(source);
  if (parser === undefined) {
    throw new BadInputError(`no parser for evidence source "${source}"`, 'parseEvidence', evidenceSourcesWithParser().join(', '));
  }
  return parser(raw, context);
}

export { parseAdmissionMessages, parsePodSecurityRejection } from './admission-message.ts';
export { parseCalicoCounters, parseCounterDump } from './calico-counters.ts';
export { parseCalicoLog } from './calico-log.ts';
export { parseEnvoyAccessLog } from './envoy-access-log.ts';
export { parseHubbleFlows } from './hubble-flows.ts';
export { matchFlow, matchesFlow, CLOCK_SKEW_MS, type MatchedField } from './match-flow.ts';
export { parseZtunnelLog } from './ztunnel-log.ts';

import type { EvidenceItem, FlowDescriptor, TimeWindow } from '../domain/evidence.ts';
import { judgedItem, type Judgement } from './judged-item.ts';
import { parseJsonObject } from './json-line.ts';
import { matchFlow, parseTimestamp, splitLines, type FlowRecord, type RecordProtocol } from './match-flow.ts';

/** Hubble's drop reasons that mean "policy": 133 no allow rule matched, 181 a deny rule matched. */
const POLICY_DROP_REASONS: Readonly<Record<string, string>> = {
  '133': 'POLICY_DENIED',
  '181': 'POLICY_DENY',
  POLICY_DENIED: 'POLICY_DENIED',
  POLICY_DENY: 'POLICY_DENY',
};

/** DNS rcode 5 is REFUSED, what Cilium's DNS proxy answers for a name no rule allows (the default). */
const DNS_REFUSED = 5;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field(value: unknown, ...path: string[]): unknown {
  let current: unknown = value;
  for (const key of path) {
    if (!isObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function num(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

/** `{"flow":{...}}` (hubble observe -o json/jsonpb before 1.0 and Relay's GetFlowsResponse) or a bare flow. */
function unwrap(line: string): Json | undefined {
  const parsed = parseJsonObject(line);
  if (parsed === undefined) return undefined;
  const wrapped = parsed['flow'];
  if (isObject(wrapped)) {
    // The wrapper carries the time when the flow does not.
    return wrapped['time'] === undefined && parsed['time'] !== undefined ? { ...wrapped, time: parsed['time'] } : wrapped;
  }
  return typeof parsed['verdict'] === 'string' ? parsed : undefined;
}

function policyNames(flow: Json, key: 'egress_denied_by' | 'ingress_denied_by'): string[] {
  const list = flow[key];
  if (!Array.isArray(list)) return [];
  return list.filter(isObject).map((policy) => {
    const kind = text(policy['kind']);
    const namespace = text(policy['namespace']);
    const name = text(policy['name']) ?? '?';
    const qualified = namespace === undefined ? name : `${namespace}/${name}`;
    return kind === undefined ? qualified : `${kind} ${qualified}`;
  });
}

function recordOf(flow: Json, window: TimeWindow): FlowRecord {
  const l4 = field(flow, 'l4');
  let protocol: RecordProtocol | undefined;
  let destinationPort: number | undefined;
  if (isObject(field(l4, 'TCP'))) {
    protocol = 'tcp';
    destinationPort = num(field(l4, 'TCP', 'destination_port'));
  } else if (isObject(field(l4, 'UDP'))) {
    protocol = 'udp';
    destinationPort = num(field(l4, 'UDP', 'destination_port'));
  } else if (isObject(field(l4, 'ICMPv4')) || isObject(field(l4, 'ICMPv6'))) {
    protocol = 'icmp';
  }
  const names: string[] = [];
  const destinationNames = flow['destination_names'];
  if (Array.isArray(destinationNames)) names.push(...destinationNames.filter((name) => typeof name === 'string'));
  const query = text(field(flow, 'l7', 'dns', 'query'));
  if (query !== undefined) names.push(query);
  const url = text(field(flow, 'l7', 'http', 'url'));
  const texts = [query, url].filter((value): value is string => value !== undefined);
  const timeText = text(flow['time']);
  const at = timeText === undefined ? undefined : parseTimestamp(timeText, window.to);
  return {
    at,
    protocol,
    sourceIp: text(field(flow, 'IP', 'source')),
    sourcePod: text(field(flow, 'source', 'pod_name')),
    sourceNamespace: text(field(flow, 'source', 'namespace')),
    destinationIp: text(field(flow, 'IP', 'destination')),
    destinationPort,
    destinationNames: names,
    texts,
  };
}

function judge(flow: Json): Judgement {
  const verdict = text(flow['verdict']) ?? 'VERDICT_UNKNOWN';
  const dropReason = text(flow['drop_reason_desc']) ?? String(num(flow['drop_reason']) ?? '');
  const deniedBy = [...policyNames(flow, 'egress_denied_by'), ...policyNames(flow, 'ingress_denied_by')];
  const rule = deniedBy.length > 0 ? deniedBy.join(', ') : undefined;
  const direction = text(flow['traffic_direction'])?.toLowerCase() ?? 'unknown direction';
  const httpCode = num(field(flow, 'l7', 'http', 'code'));
  const rcode = num(field(flow, 'l7', 'dns', 'rcode'));
  const isDns = isObject(field(flow, 'l7', 'dns'));

  if (isDns && rcode === DNS_REFUSED) {
    const query = text(field(flow, 'l7', 'dns', 'query')) ?? '?';
    return { verdict: 'denied', detail: `Cilium DNS proxy refused ${query} (rcode REFUSED)`, rule };
  }
  if (verdict === 'DROPPED' || verdict === 'DENIED') {
    if (httpCode === 403) {
      return { verdict: 'denied', detail: `Cilium L7 proxy denied the HTTP request (403), ${direction}`, rule };
    }
    const policyReason = POLICY_DROP_REASONS[dropReason];
    if (policyReason !== undefined) {
      return { verdict: 'denied', detail: `${verdict} ${policyReason} at ${direction}`, rule };
    }
    if (verdict === 'DENIED') return { verdict: 'denied', detail: `policy verdict DENIED at ${direction}`, rule };
    // Drops for other reasons (no route, CT map full…) are real, but they are not policy.
    return { verdict: 'observed', detail: `DROPPED for ${dropReason === '' ? 'an unknown reason' : dropReason}, not policy` };
  }
  if (verdict === 'AUDIT') {
    return { verdict: 'observed', detail: `AUDIT: policy would deny at ${direction}, audit mode let it pass`, rule };
  }
  if (verdict === 'FORWARDED' || verdict === 'REDIRECTED' || verdict === 'TRACED' || verdict === 'TRANSLATED') {
    return { verdict: 'allowed', detail: `${verdict} at ${direction}` };
  }
  return { verdict: 'observed', detail: `verdict ${verdict}` };
}

/**
 * Hubble flows (`hubble observe -o json`, one JSON object per line) → evidence for layer `cni`. Policy
 * drops (POLICY_DENIED / POLICY_DENY, verdict DENIED), Cilium L7 HTTP 403 and DNS proxy REFUSED are
 * denials; FORWARDED is allowed; AUDIT and non-policy drops are observations. Lines that are not flows
 * (hubble's own messages, lost-events notices) are skipped.
 */
export function parseHubbleFlows(raw: string, flow: FlowDescriptor, window: TimeWindow): EvidenceItem[] {
  const items: EvidenceItem[] = [];
  for (const line of splitLines(raw)) {
    const hubbleFlow = unwrap(line.trim());
    if (hubbleFlow === undefined) continue;
    const record = recordOf(hubbleFlow, window);
    const matched = matchFlow(record, flow, window);
    if (matched === undefined) continue;
    const judgement = judge(hubbleFlow);
    items.push(judgedItem('cni', 'hubble', line, judgement, record.at, matched));
  }
  return items;
}

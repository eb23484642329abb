import type { EvidenceItem, EvidenceVerdict, FlowDescriptor, TimeWindow } from '../domain/evidence.ts';
import { isoAt, matchFlow, splitAddress, splitLines, type FlowRecord } from './match-flow.ts';

/**
 * Parser of the lab sidecar's access log (clusters/lab/sidecar/haproxy-config.ts writes it): one JSON
 * object per line, HAProxy's `-` for an empty field, details in Envoy's own vocabulary —
 *   `rbac_access_denied_matched_policy[ns[N]-policy[P]-rule[R]]` / `[none]`  → denied by AuthorizationPolicy
 *   `filter_chain_not_found`  → plaintext refused by PeerAuthentication STRICT
 *   `BlackHoleCluster`        → outbound refused by outboundTrafficPolicy REGISTRY_ONLY
 *   `PassthroughCluster`, `via_upstream` → the proxy let it through
 * A bypass of the sidecar (UID 1337, flushed capture, UDP/ICMP) leaves no line at all, which is itself the
 * finding; this parser never invents one.
 */

export interface LabProxyLogLine {
  readonly startTime: Date;
  readonly pod?: string;
  readonly direction?: 'inbound' | 'outbound';
  readonly protocol?: 'http' | 'tcp';
  readonly source?: { readonly ip: string; readonly port?: number };
  readonly destination?: { readonly ip: string; readonly port?: number };
  readonly peerPrincipal?: string;
  readonly method?: string;
  readonly path?: string;
  /** HTTP status; absent for TCP. */
  readonly status?: number;
  readonly upstreamCluster?: string;
  /** `response_code_details` for HTTP, `connection_termination_details` for TCP. */
  readonly details?: string;
}

function text(value: unknown): string | undefined {
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') return undefined;
  return value === '' || value === '-' ? undefined : value;
}

/** One line, or `undefined` when it is not one of the sidecar's records. */
export function parseLabProxyLine(line: string): LabProxyLogLine | undefined {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof record !== 'object' || record === null) return undefined;
  const fields = record as Record<string, unknown>;
  const started = fields['start_time_ms'];
  if (typeof started !== 'number' || !Number.isFinite(started)) return undefined;
  const direction = text(fields['direction']);
  const protocol = text(fields['protocol']);
  const status = typeof fields['status'] === 'number' && fields['status'] > 0 ? fields['status'] : undefined;
  const source = splitAddress(text(fields['src']));
  const destination = splitAddress(text(fields['dst']));
  const details = text(fields['response_code_details']) ?? text(fields['connection_termination_details']);
  const optional = {
    pod: text(fields['pod']),
    direction: direction === 'inbound' || direction === 'outbound' ? direction : undefined,
    protocol: protocol === 'http' || protocol === 'tcp' ? protocol : undefined,
    source,
    destination,
    peerPrincipal: text(fields['peer_principal']),
    method: text(fields['method']),
    path: text(fields['path']),
    status,
    upstreamCluster: text(fields['upstream_cluster']),
    details,
  };
  return {
    startTime: new Date(started),
    ...Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)),
  } as LabProxyLogLine;
}

const RBAC = /^rbac_access_denied_matched_policy\[(.*)\]$/;

/** What a line says about enforcement: verdict, the rule it names, and a readable detail. */
export function judgeLabProxyLine(line: LabProxyLogLine): { verdict: EvidenceVerdict; rule?: string; detail: string } {
  const where = `${line.pod ?? 'sidecar'} ${line.direction ?? ''}`.trim();
  const details = line.details ?? '';
  const rbac = RBAC.exec(details);
  if (rbac !== null) {
    const rule = rbac[1] ?? 'none';
    const answer = line.protocol === 'http' ? `HTTP ${line.status ?? 403} RBAC: access denied` : 'connection closed';
    const why = rule === 'none' ? 'ALLOW policies exist but none matched' : `DENY/ALLOW rule ${rule}`;
    return { verdict: 'denied', rule, detail: `${where}: AuthorizationPolicy denied (${why}): ${answer}` };
  }
  if (details === 'filter_chain_not_found') {
    return { verdict: 'denied', detail: `${where}: plaintext refused by PeerAuthentication STRICT (filter_chain_not_found)` };
  }
  if (details === 'BlackHoleCluster' || line.upstreamCluster === 'BlackHoleCluster') {
    return { verdict: 'denied', detail: `${where}: outboundTrafficPolicy REGISTRY_ONLY sent it to BlackHoleCluster` };
  }
  if (details === 'PassthroughCluster' || details === 'via_upstream') {
    return { verdict: 'allowed', detail: `${where}: forwarded (${line.upstreamCluster ?? details})` };
  }
  return { verdict: 'observed', detail: `${where}: seen by the proxy (${details === '' ? 'no details' : details})` };
}

function flowRecord(line: LabProxyLogLine): FlowRecord {
  const namespace = line.peerPrincipal === undefined ? undefined : /\/ns\/([^/]+)\/sa\//.exec(line.peerPrincipal)?.[1];
  return {
    at: line.startTime,
    // Every connection the sidecar sees is TCP (HTTP rides on it); UDP and ICMP never reach it.
    protocol: 'tcp',
    ...(line.source === undefined ? {} : { sourceIp: line.source.ip }),
    ...(namespace === undefined ? {} : { sourceNamespace: namespace }),
    ...(line.destination === undefined ? {} : { destinationIp: line.destination.ip }),
    ...(line.destination?.port === undefined ? {} : { destinationPort: line.destination.port }),
    texts: line.path === undefined ? [] : [line.path],
  };
}

/**
 * The lines of a lab proxy's access log that belong to this attempt: the sidecar's as `mesh-sidecar` evidence, the
 * ambient waypoint's (same format and vocabulary, clusters/lab/ambient/waypoint-haproxy-config.ts) as `mesh-waypoint`.
 */
export function parseLabProxyLog(
  raw: string,
  context: { readonly flow: FlowDescriptor; readonly window: TimeWindow },
  layer: 'mesh-sidecar' | 'mesh-waypoint' = 'mesh-sidecar',
): EvidenceItem[] {
  const items: EvidenceItem[] = [];
  for (const rawLine of splitLines(raw)) {
    const line = parseLabProxyLine(rawLine);
    if (line === undefined) continue;
    const matched = matchFlow(flowRecord(line), context.flow, context.window);
    if (matched === undefined) continue;
    const judged = judgeLabProxyLine(line);
    const at = isoAt(line.startTime);
    items.push({
      layer,
      source: 'lab-proxy-log',
      verdict: judged.verdict,
      raw: rawLine,
      detail: judged.detail,
      ...(judged.rule === undefined ? {} : { rule: judged.rule }),
      ...(at === undefined ? {} : { at }),
      matched,
    });
  }
  return items;
}

import type { EvidenceItem, FlowDescriptor, TimeWindow } from '../domain/evidence.ts';
import { judgedItem, type Judgement } from './judged-item.ts';
import { parseJsonObject } from './json-line.ts';
import { matchFlow, parseTimestamp, splitAddress, splitLines, type FlowRecord } from './match-flow.ts';

export type EnvoyLayer = 'mesh-sidecar' | 'mesh-waypoint';

export interface EnvoyLogOptions {
  /** Which proxy printed the log: the caller knows whether it read a sidecar or a waypoint. */
  readonly layer: EnvoyLayer;
  readonly flow: FlowDescriptor;
  readonly window: TimeWindow;
}

/** The fields of Istio's access log this parser reads, by their names in Istio's default JSON format. */
interface AccessRecord {
  readonly start_time?: string;
  readonly method?: string;
  readonly path?: string;
  readonly response_code?: string;
  readonly response_flags?: string;
  readonly response_code_details?: string;
  readonly connection_termination_details?: string;
  readonly authority?: string;
  readonly upstream_host?: string;
  readonly upstream_cluster?: string;
  readonly downstream_local_address?: string;
  readonly downstream_remote_address?: string;
  readonly requested_server_name?: string;
}

/** Istio's default TEXT format, in order, after `[%START_TIME%]` (istio.io "Envoy Access Logs"). */
const TEXT_FIELDS = [
  'request', // "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%"
  'response_code',
  'response_flags',
  'response_code_details',
  'connection_termination_details',
  'upstream_transport_failure_reason',
  'bytes_received',
  'bytes_sent',
  'duration',
  'upstream_service_time',
  'x_forwarded_for',
  'user_agent',
  'request_id',
  'authority',
  'upstream_host',
  'upstream_cluster',
  'upstream_local_address',
  'downstream_local_address',
  'downstream_remote_address',
  'requested_server_name',
  'route_name',
] as const;

function present(value: unknown): string | undefined {
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') return undefined;
  return value === '' || value === '-' ? undefined : value;
}

function fromJson(line: string): AccessRecord | undefined {
  const json = parseJsonObject(line);
  if (json === undefined) return undefined;
  // Istio's proxy and agent also log JSON (`"level"`, `"msg"`); an access record has these two.
  if (!('response_code' in json) || !('downstream_remote_address' in json || 'upstream_cluster' in json)) return undefined;
  return {
    start_time: present(json['start_time']),
    method: present(json['method']),
    path: present(json['path']),
    response_code: present(json['response_code']),
    response_flags: present(json['response_flags']),
    response_code_details: present(json['response_code_details']),
    connection_termination_details: present(json['connection_termination_details']),
    authority: present(json['authority']),
    upstream_host: present(json['upstream_host']),
    upstream_cluster: present(json['upstream_cluster']),
    downstream_local_address: present(json['downstream_local_address']),
    downstream_remote_address: present(json['downstream_remote_address']),
    requested_server_name: present(json['requested_server_name']),
  };
}

function fromText(line: string): AccessRecord | undefined {
  const tokens = line.match(/\[[^\]]*\]|"(?:[^"\\]|\\.)*"|\S+/g);
  if (tokens === null || tokens.length < TEXT_FIELDS.length + 1) return undefined;
  const [stamp, ...rest] = tokens;
  if (stamp === undefined || !stamp.startsWith('[')) return undefined;
  const values = new Map<string, string | undefined>();
  TEXT_FIELDS.forEach((name, index) => {
    const token = rest[index] ?? '';
    values.set(name, present(token.startsWith('"') ? token.slice(1, -1) : token));
  });
  if (!/^\d+$/.test(values.get('response_code') ?? '')) return undefined;
  const [method, path] = (values.get('request') ?? '').split(' ');
  return {
    start_time: stamp.slice(1, -1),
    method: present(method),
    path: present(path),
    response_code: values.get('response_code'),
    response_flags: values.get('response_flags'),
    response_code_details: values.get('response_code_details'),
    connection_termination_details: values.get('connection_termination_details'),
    authority: values.get('authority'),
    upstream_host: values.get('upstream_host'),
    upstream_cluster: values.get('upstream_cluster'),
    downstream_local_address: values.get('downstream_local_address'),
    downstream_remote_address: values.get('downstream_remote_address'),
    requested_server_name: values.get('requested_server_name'),
  };
}

const RBAC_DENIED = /rbac_access_denied_matched_policy\[(.*)\]$/;

function judge(record: AccessRecord): Judgement {
  const code = record.response_code ?? '0';
  for (const details of [record.response_code_details, record.connection_termination_details]) {
    const rbac = details === undefined ? null : RBAC_DENIED.exec(details);
    if (rbac !== null) {
      const rule = rbac[1] ?? 'none';
      const which = rule === 'none' ? 'no ALLOW policy matched' : `matched ${rule}`;
      return { verdict: 'denied', detail: `AuthorizationPolicy denied (${which}), response ${code}`, rule };
    }
  }
  const flags = (record.response_flags ?? '').split(',');
  if (flags.includes('NR') && record.response_code_details === 'filter_chain_not_found') {
    return { verdict: 'denied', detail: 'NR filter_chain_not_found: no filter chain for this connection (plaintext into STRICT mTLS)' };
  }
  if (record.upstream_cluster === 'BlackHoleCluster') {
    return { verdict: 'denied', detail: `BlackHoleCluster: outboundTrafficPolicy REGISTRY_ONLY, response ${code}` };
  }
  if (record.upstream_cluster === 'PassthroughCluster') {
    return { verdict: 'allowed', detail: `PassthroughCluster: forwarded to the original destination ${record.upstream_host ?? '?'}` };
  }
  if (record.response_code_details === 'via_upstream' || (code === '0' && record.upstream_host !== undefined)) {
    return { verdict: 'allowed', detail: `forwarded to ${record.upstream_cluster ?? '?'}, response ${code}` };
  }
  const why = [record.response_flags, record.response_code_details].filter((part) => part !== undefined).join(' ');
  return { verdict: 'observed', detail: `response ${code}${why === '' ? '' : ` ${why}`}` };
}

function isLoopback(ip: string | undefined): boolean {
  return ip !== undefined && (ip.startsWith('127.') || ip === '::1');
}

/**
 * The record seen from the flow's side, once per address the destination may appear as: outbound, the
 * original destination is the upstream host (a pod ip) or the listener's local address (the ClusterIP);
 * inbound, the upstream is the app on loopback and the listener's local address is the pod.
 */
function flowRecords(record: AccessRecord, window: TimeWindow): FlowRecord[] {
  const source = splitAddress(record.downstream_remote_address);
  const names = [record.authority, record.requested_server_name].filter((name): name is string => name !== undefined);
  const texts = [record.path, record.authority].filter((text): text is string => text !== undefined);
  const base: FlowRecord = {
    at: record.start_time === undefined ? undefined : parseTimestamp(record.start_time, window.to),
    protocol: 'tcp',
    sourceIp: source?.ip,
    destinationNames: names,
    texts,
  };
  const destinations = [splitAddress(record.upstream_host), splitAddress(record.downstream_local_address)].filter(
    (address): address is { ip: string; port?: number } => address !== undefined && !isLoopback(address.ip),
  );
  if (destinations.length === 0) return [base];
  return destinations.map((destination) => ({ ...base, destinationIp: destination.ip, destinationPort: destination.port }));
}

/**
 * Istio access log lines (default JSON or default TEXT format) from a sidecar or a waypoint → evidence.
 * Denials: `rbac_access_denied_matched_policy[...]` (the rule goes to `rule`), `NR filter_chain_not_found`,
 * `BlackHoleCluster`. `PassthroughCluster` and forwarded requests are `allowed`; the proxy's other log
 * lines are skipped.
 */
export function parseEnvoyAccessLog(lines: string | readonly string[], options: EnvoyLogOptions): EvidenceItem[] {
  const all = typeof lines === 'string' ? splitLines(lines) : lines.flatMap((line) => splitLines(line));
  const items: EvidenceItem[] = [];
  for (const line of all) {
    const trimmed = line.trim();
    const record = fromJson(trimmed) ?? fromText(trimmed);
    if (record === undefined) continue;
    const matchable = flowRecords(record, options.window)
      .map((candidate) => ({ candidate, matched: matchFlow(candidate, options.flow, options.window) }))
      .find((entry) => entry.matched !== undefined);
    if (matchable?.matched === undefined) continue;
    const judgement = judge(record);
    items.push(judgedItem(options.layer, 'envoy-access-log', line, judgement, matchable.candidate.at, matchable.matched));
  }
  return items;
}

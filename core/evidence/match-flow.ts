import type { FlowDescriptor, TimeWindow } from '../domain/evidence.ts';

/**
 * How far a layer's clock may sit from the runner's before a record stops counting as "in the window".
 * Not a timeout: node clocks (kind containers share the host clock; Hubble and ztunnel stamp at the
 * node) drift by far less, and the window itself already spans control + attempt.
 */
export const CLOCK_SKEW_MS = 2_000;

export type RecordProtocol = 'tcp' | 'udp' | 'icmp';

/** What a parser understood of one record, in the terms a flow is matched on. */
export interface FlowRecord {
  readonly at?: Date;
  readonly protocol?: RecordProtocol;
  readonly sourceIp?: string;
  readonly sourcePod?: string;
  readonly sourceNamespace?: string;
  readonly destinationIp?: string;
  readonly destinationPort?: number;
  /** Names the record gives the destination: HTTP authority, DNS query, service FQDN. */
  readonly destinationNames?: readonly string[];
  /** Free text where an attempt's canary can show up: path, authority, DNS query name. */
  readonly texts?: readonly string[];
}

/** Lines of a raw dump, without blank lines and carriage returns. */
export function splitLines(raw: string): string[] {
  return raw
    .split('\n')
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => line.trim() !== '');
}

const SYSLOG_MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Parses the timestamps layers print: RFC 3339 with any number of fraction digits (Hubble prints
 * nanoseconds, ztunnel microseconds, Envoy milliseconds) and the classic syslog `Dec  6 13:25:08`, which
 * has no year: the year that puts it nearest to `reference` is used, and the time is read as UTC (kind
 * nodes run in UTC).
 */
export function parseTimestamp(text: string, reference?: Date): Date | undefined {
  const iso = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}:?\d{2})?$/.exec(text.trim());
  if (iso !== null) {
    const [, day, time, fraction, zone] = iso;
    const millis = (fraction ?? '').padEnd(3, '0').slice(0, 3);
    let offset = zone ?? 'Z';
    if (/^[+-]\d{4}$/.test(offset)) offset = `${offset.slice(0, 3)}:${offset.slice(3)}`;
    const parsed = new Date(`${day}T${time}.${millis}${offset}`);
    return Number.isNaN(parsed.getTime()) ? undefined : parsed;
  }
  const syslog = /^([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d{2}):(\d{2}):(\d{2})$/.exec(text.trim());
  if (syslog !== null) {
    const [, monthName, day, hours, minutes, seconds] = syslog;
    const month = SYSLOG_MONTHS.indexOf(monthName ?? '');
    if (month < 0) return undefined;
    const around = reference ?? new Date();
    const candidates = [-1, 0, 1].map(
      (delta) =>
        new Date(
          Date.UTC(around.getUTCFullYear() + delta, month, Number(day), Number(hours), Number(minutes), Number(seconds)),
        ),
    );
    return candidates.reduce((best, candidate) =>
      Math.abs(candidate.getTime() - around.getTime()) < Math.abs(best.getTime() - around.getTime()) ? candidate : best,
    );
  }
  return undefined;
}

/** `10.244.1.6:42020`, `[fd00::1]:80`, `10.0.0.1` → ip and port; `-` and empty → undefined. */
export function splitAddress(address: string | undefined): { ip: string; port?: number } | undefined {
  if (address === undefined) return undefined;
  const text = address.trim();
  if (text === '' || text === '-') return undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed !== null) {
    const [, ip, port] = bracketed;
    return port === undefined ? { ip: ip ?? '' } : { ip: ip ?? '', port: Number(port) };
  }
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3})(?::(\d+))?$/.exec(text);
  if (v4 !== null) {
    const [, ip, port] = v4;
    return port === undefined ? { ip: ip ?? '' } : { ip: ip ?? '', port: Number(port) };
  }
  if (text.includes(':') && /^[0-9a-fA-F:]+$/.test(text)) return { ip: text };
  return undefined;
}

export function withinWindow(at: Date, window: TimeWindow, skewMs: number = CLOCK_SKEW_MS): boolean {
  const time = at.getTime();
  return time >= window.from.getTime() - skewMs && time <= window.to.getTime() + skewMs;
}

function protocolFits(flow: FlowDescriptor['protocol'], record: RecordProtocol): boolean {
  switch (flow) {
    case 'tcp':
    case 'http':
      return record === 'tcp';
    case 'udp':
      return record === 'udp';
    case 'dns':
      return record === 'udp' || record === 'tcp';
    case 'icmp':
      return record === 'icmp';
    default:
      return false;
  }
}

function hostOf(name: string): string {
  let host = name.trim().toLowerCase();
  const bracketed = /^\[([^\]]+)\]/.exec(host);
  if (bracketed !== null) return bracketed[1] ?? host;
  if (/:\d+$/.test(host) && host.split(':').length === 2) host = host.replace(/:\d+$/, '');
  return host.replace(/\.$/, '');
}

/** `api` matches `api.bm-app.svc.cluster.local:8080` and the reverse; `api` does not match `apis.example`. */
export function namesMatch(a: string, b: string): boolean {
  const left = hostOf(a);
  const right = hostOf(b);
  if (left === '' || right === '' || left === '-' || right === '-') return false;
  return left === right || left.startsWith(`${right}.`) || right.startsWith(`${left}.`);
}

/** The fields on which a record agreed with an attempt's flow, as `EvidenceItem.matched` lists them. */
export type MatchedField =
  | 'canary'
  | 'source-ip'
  | 'source-pod'
  | 'source-namespace'
  /** A counter of the attempt's own endpoint (Calico's from-workload chain of its interface). */
  | 'source-interface'
  | 'destination-ip'
  | 'destination-name'
  | 'destination-port'
  | 'protocol'
  | 'window';

/**
 * Whether a layer's record belongs to this attempt's flow, and on which fields. A record matches when it is inside
 * the window (with `CLOCK_SKEW_MS`; records without a timestamp are taken as already cut to the window by the
 * collector), contradicts nothing the flow states (protocol, source ip/pod/namespace, destination, port; an L7
 * record whose texts lack the flow's canary is another request), and carries something only this attempt has: its
 * canary, or its source (ip or pod). The destination alone never suffices — concurrent attempts share
 * destinations, and a drop of another attempt's packet on that destination must not confirm this one. Fill
 * `flow.sourceIp` once the attacker pod runs. Returns the matched fields, or undefined when the record is not this
 * attempt's.
 */
export function matchFlow(record: FlowRecord, flow: FlowDescriptor, window: TimeWindow): readonly MatchedField[] | undefined {
  const matched: MatchedField[] = [];
  if (record.at !== undefined) {
    if (!withinWindow(record.at, window)) return undefined;
    matched.push('window');
  }
  if (record.protocol !== undefined) {
    if (!protocolFits(flow.protocol, record.protocol)) return undefined;
    matched.push('protocol');
  }

  const canaryHit =
    flow.canary !== undefined &&
    flow.canary !== '' &&
    (record.texts ?? []).some((text) => text.toLowerCase().includes(flow.canary?.toLowerCase() ?? '\u0000'));

  // An L7 record (path, host, query) without this attempt's canary is another request, even from the same pod.
  if (flow.canary !== undefined && flow.canary !== '' && (record.texts ?? []).length > 0 && !canaryHit) return undefined;
  if (flow.sourceIp !== undefined && record.sourceIp !== undefined && flow.sourceIp !== record.sourceIp) return undefined;
  if (flow.sourcePod !== undefined && record.sourcePod !== undefined && flow.sourcePod !== record.sourcePod) return undefined;
  if (flow.sourceNamespace !== undefined && record.sourceNamespace !== undefined && flow.sourceNamespace !== record.sourceNamespace) {
    return undefined;
  }
  if (flow.destinationPort !== undefined && record.destinationPort !== undefined && flow.destinationPort !== record.destinationPort) {
    return undefined;
  }

  const destinationName = flow.destinationName;
  const nameHit =
    destinationName !== undefined && (record.destinationNames ?? []).some((name) => namesMatch(name, destinationName));
  const ipHit =
    flow.destinationIp !== undefined && record.destinationIp !== undefined && flow.destinationIp === record.destinationIp;
  // A service name resolves to a ClusterIP the record may show as a pod IP: a name hit outweighs an ip miss.
  if (flow.destinationIp !== undefined && record.destinationIp !== undefined && !ipHit && !nameHit && !canaryHit) {
    return undefined;
  }

  const sourceIpHit = flow.sourceIp !== undefined && flow.sourceIp === record.sourceIp;
  const sourcePodHit = flow.sourcePod !== undefined && flow.sourcePod === record.sourcePod;
  if (!canaryHit && !sourceIpHit && !sourcePodHit) return undefined;
  if (canaryHit) matched.push('canary');
  if (sourceIpHit) matched.push('source-ip');
  if (sourcePodHit) matched.push('source-pod');
  if (flow.sourceNamespace !== undefined && flow.sourceNamespace === record.sourceNamespace) matched.push('source-namespace');
  if (ipHit) matched.push('destination-ip');
  if (nameHit) matched.push('destination-name');
  if (flow.destinationPort !== undefined && flow.destinationPort === record.destinationPort) matched.push('destination-port');
  return matched;
}

/** `matchFlow` as a yes/no. */
export function matchesFlow(record: FlowRecord, flow: FlowDescriptor, window: TimeWindow): boolean {
  return matchFlow(record, flow, window) !== undefined;
}

/** ISO string of a record's time, for `EvidenceItem.at`. */
export function isoAt(at: Date | undefined): string | undefined {
  return at === undefined ? undefined : at.toISOString();
}

import type { EvidenceItem, FlowDescriptor, TimeWindow } from '../domain/evidence.ts';
import { judgedItem, type Judgement } from './judged-item.ts';
import { parseJsonObject } from './json-line.ts';
import { matchFlow, parseTimestamp, splitAddress, splitLines, type FlowRecord } from './match-flow.ts';

/** The access-log fields ztunnel prints, by their names in both its JSON and text formats. */
type Fields = ReadonlyMap<string, string>;

function fromJson(line: string): Fields | undefined {
  const json = parseJsonObject(line);
  if (json === undefined) return undefined;
  const fields = new Map<string, string>();
  for (const [key, value] of Object.entries(json)) {
    if (typeof value === 'string' || typeof value === 'number') fields.set(key, String(value));
  }
  return fields;
}

/** `2024-10-30T11:49:40.421833Z error access connection complete src.addr=… error="…"` */
function fromText(line: string): Fields | undefined {
  const head = /^(\S+)\s+(\w+)\s+(\S+)\s+(.*)$/.exec(line);
  if (head === null) return undefined;
  const [, time, level, scope, rest = ''] = head;
  const firstKey = rest.search(/\s[\w.]+=/);
  const fields = new Map<string, string>([
    ['time', time ?? ''],
    ['level', level ?? ''],
    ['scope', scope ?? ''],
    ['message', (firstKey < 0 ? rest : rest.slice(0, firstKey)).trim()],
  ]);
  for (const pair of rest.matchAll(/([\w.]+)=("(?:[^"\\]|\\.)*"|\S+)/g)) {
    const [, key, value = ''] = pair;
    if (key !== undefined) fields.set(key, value.startsWith('"') ? value.slice(1, -1).replace(/\\"/g, '"') : value);
  }
  return fields;
}

function judge(fields: Fields): Judgement {
  const error = fields.get('error');
  const identity = fields.get('src.identity');
  // No identity on a rejected connection: the source spoke plaintext, i.e. it escaped (or had no) capture.
  const who =
    identity === undefined || identity === ''
      ? 'source without identity (plaintext: escaped capture or out of mesh)'
      : `source ${identity}`;
  if (error !== undefined && /policy (rejection|change)/.test(error)) {
    const explicit = /explicitly denied by: (\S+)/.exec(error);
    if (explicit !== null) {
      return { verdict: 'denied', detail: `DENY policy ${explicit[1] ?? '?'} rejected ${who}`, rule: explicit[1] };
    }
    const reason = error.includes('allow policies exist, but none allowed')
      ? 'allow policies exist, but none allowed'
      : error;
    return { verdict: 'denied', detail: `policy rejection (${reason}) of ${who}` };
  }
  if (error !== undefined) return { verdict: 'observed', detail: `connection error: ${error}; ${who}` };
  return { verdict: 'allowed', detail: `connection complete, ${who}` };
}

function flowRecord(fields: Fields, window: TimeWindow): FlowRecord {
  const source = splitAddress(fields.get('src.addr'));
  // Over HBONE the connection goes to :15008; the app port is in dst.hbone_addr.
  const destination = splitAddress(fields.get('dst.hbone_addr')) ?? splitAddress(fields.get('dst.addr'));
  const time = fields.get('time');
  const service = fields.get('dst.service');
  return {
    at: time === undefined ? undefined : parseTimestamp(time, window.to),
    protocol: 'tcp',
    sourceIp: source?.ip,
    sourcePod: fields.get('src.workload'),
    sourceNamespace: fields.get('src.namespace'),
    destinationIp: destination?.ip,
    destinationPort: destination?.port,
    destinationNames: service === undefined ? [] : [service],
  };
}

/**
 * ztunnel access logs (JSON or its default text format) → evidence for layer `mesh-ztunnel`. Only
 * `connection complete` access records are read: a policy rejection (`explicitly denied by: ns/name` →
 * `rule`, or `allow policies exist, but none allowed`) is a denial, a clean close is allowed, other errors
 * are observations. An empty `src.identity` is kept in `detail`.
 */
export function parseZtunnelLog(raw: string, flow: FlowDescriptor, window: TimeWindow): EvidenceItem[] {
  const items: EvidenceItem[] = [];
  for (const line of splitLines(raw)) {
    const trimmed = line.trim();
    const fields = fromJson(trimmed) ?? fromText(trimmed);
    if (fields === undefined) continue;
    if (fields.get('scope') !== 'access' || !(fields.get('message') ?? '').startsWith('connection complete')) continue;
    const record = flowRecord(fields, window);
    const matched = matchFlow(record, flow, window);
    if (matched === undefined) continue;
    const judgement = judge(fields);
    items.push(judgedItem('mesh-ztunnel', 'ztunnel-log', line, judgement, record.at, matched));
  }
  return items;
}

import type { EvidenceItem, FlowDescriptor, TimeWindow } from '../domain/evidence.ts';
import { isoAt, matchFlow, parseTimestamp, splitLines, type FlowRecord, type RecordProtocol } from './match-flow.ts';

/**
 * What a `calico-packet:` line proves. A Calico `Log` rule logs every packet that reaches it, whatever
 * comes next (projectcalico/calico#6418), so the line proves a denial only when the policy puts the Log
 * rule right before a Deny or at the end of a default-deny tier: the caller, who wrote the policy, says
 * so. `calico-drop:` (DropActionOverride LogAndDrop) is always a drop.
 */
export type CalicoLogRuleMeaning = 'precedes-deny' | 'log-only';

const PREFIXES = ['calico-packet:', 'calico-drop:'] as const;

function timeBefore(prefixAt: string, reference: Date): Date | undefined {
  // `2025-01-02T10:00:00.123456+00:00 node kernel: …` (journalctl -o short-iso-precise) or `Dec  6 13:25:08 node kernel: …`.
  const iso = /^(\d{4}-\d{2}-\d{2}T\S+)\s/.exec(prefixAt);
  if (iso !== null) return parseTimestamp(iso[1] ?? '', reference);
  const syslog = /^([A-Z][a-z]{2}\s+\d{1,2}\s+\d{2}:\d{2}:\d{2})\s/.exec(prefixAt);
  if (syslog !== null) return parseTimestamp(syslog[1] ?? '', reference);
  return undefined;
}

function protocolOf(value: string | undefined): RecordProtocol | undefined {
  if (value === 'TCP') return 'tcp';
  if (value === 'UDP') return 'udp';
  if (value === 'ICMP') return 'icmp';
  return undefined;
}

/**
 * Kernel log lines written by Calico's Log action (`calico-packet: IN=… OUT=… SRC=… DST=… PROTO=TCP
 * SPT=… DPT=…`) → evidence for layer `cni`. Lines stamped by syslog or journald are checked against the
 * window; bare dmesg lines (uptime stamps) are taken as already cut to it.
 */
export function parseCalicoLog(
  raw: string,
  flow: FlowDescriptor,
  window: TimeWindow,
  meaning: CalicoLogRuleMeaning = 'log-only',
): EvidenceItem[] {
  const items: EvidenceItem[] = [];
  for (const line of splitLines(raw)) {
    const prefix = PREFIXES.find((candidate) => line.includes(candidate));
    if (prefix === undefined) continue;
    const start = line.indexOf(prefix);
    const fields = new Map<string, string>();
    for (const pair of line.slice(start + prefix.length).matchAll(/([A-Z]+)=(\S*)/g)) {
      const [, key, value = ''] = pair;
      if (key !== undefined && !fields.has(key)) fields.set(key, value);
    }
    const port = fields.get('DPT');
    const record: FlowRecord = {
      at: timeBefore(line.slice(0, start), window.to),
      protocol: protocolOf(fields.get('PROTO')),
      sourceIp: fields.get('SRC'),
      destinationIp: fields.get('DST'),
      destinationPort: port === undefined || port === '' ? undefined : Number(port),
    };
    const matched = matchFlow(record, flow, window);
    if (matched === undefined) continue;
    const drop = prefix === 'calico-drop:' || meaning === 'precedes-deny';
    const path = `${fields.get('SRC') ?? '?'} → ${fields.get('DST') ?? '?'}${port === undefined ? '' : `:${port}`} (${fields.get('PROTO') ?? '?'}, in ${fields.get('IN') || '-'}, out ${fields.get('OUT') || '-'})`;
    items.push({
      layer: 'cni',
      source: 'calico-log',
      verdict: drop ? 'denied' : 'observed',
      raw: line,
      detail: drop ? `Calico logged and dropped ${path}` : `Calico Log rule saw ${path}; the rule does not say what followed`,
      ...(record.at === undefined ? {} : { at: isoAt(record.at) }),
      matched,
    });
  }
  return items;
}

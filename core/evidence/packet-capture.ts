import type { EvidenceItem } from '../domain/evidence.ts';
import type { BlockingLayer } from '../domain/layer.ts';

/** Istio's HBONE port: ztunnel-to-ztunnel (and waypoint) mTLS tunnels land here. */
export const HBONE_PORT = 15008;

/** What a sniffer's capture script reported (attack-pods/scripts/packet-capture.sh result fields). */
export interface CaptureReport {
  readonly packets: number;
  readonly canarySeen: boolean;
  /** `peer>host.port` per flow seen, the captured host's side with its port. */
  readonly flows: readonly string[];
  /** Packets the kernel dropped before tcpdump read them (tcpdump's own count); 0 when the script did not say. */
  readonly dropped: number;
}

/** The script's fields as a report; undefined when a field is missing or malformed (the cell is then an error). */
export function parseCaptureReport(fields: Readonly<Record<string, string | number>>): CaptureReport | undefined {
  const { packets, canary_seen: seen, flows, dropped } = fields;
  if (typeof packets !== 'number' || (seen !== 0 && seen !== 1)) return undefined;
  if (flows !== undefined && typeof flows !== 'string') return undefined;
  if (dropped !== undefined && typeof dropped !== 'number') return undefined;
  return { packets, canarySeen: seen === 1, flows: (flows ?? '').split(' ').filter((flow) => flow.length > 0), dropped: dropped ?? 0 };
}

/** The captured host's ports on flows with `peerIp` (the victim's address). */
export function victimPorts(report: CaptureReport, peerIp: string, hostIp: string): number[] {
  const ports = new Set<number>();
  for (const flow of report.flows) {
    const [peer, host] = flow.split('>');
    if (peer !== peerIp || host === undefined || !host.startsWith(`${hostIp}.`)) continue;
    const port = Number(host.slice(hostIp.length + 1));
    if (Number.isInteger(port)) ports.add(port);
  }
  return [...ports].sort((a, b) => a - b);
}

/**
 * The capture as evidence for one attempt. Matched on the canary (unique to this attempt) when it was seen; else on
 * the victim's source address and the destination. Which layer encrypted is read from the destination port the
 * packets used: HBONE (15008) is ztunnel's tunnel; the application port without the canary is a sidecar's mTLS —
 * credited only when the stack has that layer.
 */
export function captureEvidence(report: CaptureReport, raw: string, victimIp: string, hostIp: string, appPort: number, stackLayers: ReadonlySet<BlockingLayer>): EvidenceItem {
  const ports = victimPorts(report, victimIp, hostIp);
  const where = `${victimIp} → ${hostIp} port(s) ${ports.join(',') || 'none'}`;
  if (report.canarySeen) {
    return { layer: 'none', source: 'packet-capture', verdict: 'observed', raw, detail: `the canary was captured in plaintext (${report.packets} packets; ${where})`, matched: ['canary'] };
  }
  const matched = ['source-ip', 'destination-ip', ...(ports.length > 0 ? ['destination-port'] : [])];
  let layer: BlockingLayer | 'none' = 'none';
  // A capture that lost packets cannot say the canary was absent: it may have been in one of them.
  if (report.dropped > 0) layer = 'none';
  else if (ports.includes(HBONE_PORT) && stackLayers.has('mesh-ztunnel')) layer = 'mesh-ztunnel';
  else if (ports.includes(appPort) && stackLayers.has('mesh-sidecar')) layer = 'mesh-sidecar';
  const reading =
    report.dropped > 0
      ? `the kernel dropped ${report.dropped} packets before tcpdump read them, so the canary may have been among them`
      : layer === 'none'
        ? 'no layer of this stack explains the missing canary'
        : `only ciphertext: ${layer === 'mesh-ztunnel' ? 'HBONE (mTLS on 15008)' : 'sidecar mTLS on the application port'}`;
  return { layer, source: 'packet-capture', verdict: 'observed', raw, detail: `${report.packets} packets captured, ${ports.length > 0 ? 'the victim flow among them' : 'none of the victim flow'}, canary absent; ${reading} (${where})`, matched };
}

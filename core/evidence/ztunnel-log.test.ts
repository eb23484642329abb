import { describe, expect, it } from 'vitest';
import type { FlowDescriptor, TimeWindow } from '../domain/evidence.ts';
import { parseZtunnelLog } from './ztunnel-log.ts';

// Text lines as ztunnel prints them (istio/ztunnel#1273, istio/istio#53696, istio/istio#55533).
const REJECT_WITH_IDENTITY =
  '2024-08-22T10:00:01.120000Z\terror\taccess\tconnection complete\tsrc.addr=10.244.1.6:42020 src.workload="reviews-v1-6584ddcf65-k78wz" src.namespace="default" src.identity="spiffe://cluster.local/ns/default/sa/bookinfo-reviews" dst.addr=10.244.1.9:15008 dst.hbone_addr=10.244.1.9:9080 dst.service="productpage.default.svc.cluster.local" dst.workload="productpage-v1-d5789fdfb-c5w2c" dst.namespace="default" dst.identity="spiffe://cluster.local/ns/default/sa/bookinfo-productpage" direction="inbound" bytes_sent=0 bytes_recv=0 duration="0ms" error="connection closed due to policy rejection: allow policies exist, but none allowed"';
const REJECT_EXPLICIT =
  '2024-08-22T10:00:01.300000Z\terror\taccess\tconnection complete\tsrc.addr=10.244.1.6:45208 src.workload="reviews-v1-6584ddcf65-k78wz" src.namespace="default" src.identity="spiffe://cluster.local/ns/default/sa/bookinfo-reviews" dst.addr=10.244.1.9:15008 dst.hbone_addr=10.244.1.9:9080 dst.service="productpage.default.svc.cluster.local" dst.workload="productpage-v1-d5789fdfb-c5w2c" dst.namespace="default" direction="inbound" bytes_sent=0 bytes_recv=0 duration="0ms" error="connection closed due to policy rejection: explicitly denied by: default/deny-reviews"';
const REJECT_NO_IDENTITY =
  '2024-10-30T11:49:40.421833Z error access connection complete src.addr=192.168.240.64:55909 dst.addr=192.168.14.30:5050 dst.service="private-operator-ingress.api.svc.cluster.local" dst.workload="operator-68cc96bd7b-vfkgk" dst.namespace="api" direction="inbound" bytes_sent=0 bytes_recv=0 duration="0ms" error="connection closed due to policy rejection: allow policies exist, but none allowed"';
// JSON lines (istio/ztunnel#2055; addresses filled in where the reporter redacted them).
const COMPLETE_JSON =
  '{"level":"info","time":"2026-08-18T07:07:52.014411Z","scope":"access","message":"connection complete","src.addr":"10.244.0.2:35214","src.workload":"http-client-6b4b85489f-l2tqt","src.namespace":"default","src.identity":"spiffe://cluster.local/ns/default/sa/http-client-sa","dst.addr":"10.244.0.9:15008","dst.hbone_addr":"10.244.0.9:18080","dst.service":"http-server.default.svc.cluster.local","direction":"inbound","bytes_sent":120,"bytes_recv":80,"duration":"3ms"}';
const STATE_JSON =
  '{"level":"info","time":"2026-08-18T07:07:52.010000Z","scope":"ztunnel::state","message":"no allow policies matched","proxy":{"wl":"default/http-server-6cbcc86f5d-rfbvw"},"inbound":{"id":"2a56e1c2dfcaa8375c2f5c78d03db243","peer":"10.244.0.2:40422"}}';

function around(iso: string): TimeWindow {
  const at = new Date(iso).getTime();
  return { from: new Date(at - 1_000), to: new Date(at + 1_000) };
}

describe('parseZtunnelLog', () => {
  const reviewsToProductpage: FlowDescriptor = {
    protocol: 'http',
    sourceIp: '10.244.1.6',
    destinationIp: '10.244.1.9',
    destinationPort: 9080,
  };

  it('reads "allow policies exist, but none allowed" as a ztunnel denial, port from dst.hbone_addr', () => {
    const [item, ...rest] = parseZtunnelLog(REJECT_WITH_IDENTITY, reviewsToProductpage, around('2024-08-22T10:00:01.120Z'));
    expect(rest).toHaveLength(0);
    expect(item).toEqual({
      layer: 'mesh-ztunnel',
      source: 'ztunnel-log',
      verdict: 'denied',
      raw: REJECT_WITH_IDENTITY,
      detail:
        'policy rejection (allow policies exist, but none allowed) of source spiffe://cluster.local/ns/default/sa/bookinfo-reviews',
      at: '2024-08-22T10:00:01.120Z',
      matched: ['window', 'protocol', 'source-ip', 'destination-ip', 'destination-port'],
    });
  });

  it('names the DENY policy of an explicit denial as the rule', () => {
    const [item] = parseZtunnelLog(REJECT_EXPLICIT, reviewsToProductpage, around('2024-08-22T10:00:01.300Z'));
    expect(item?.rule).toBe('default/deny-reviews');
    expect(item?.detail).toBe('DENY policy default/deny-reviews rejected source spiffe://cluster.local/ns/default/sa/bookinfo-reviews');
  });

  it('keeps an empty source identity in the detail (plaintext that escaped capture)', () => {
    const flow: FlowDescriptor = { protocol: 'tcp', sourceIp: '192.168.240.64', destinationIp: '192.168.14.30', destinationPort: 5050 };
    const [item] = parseZtunnelLog(REJECT_NO_IDENTITY, flow, around('2024-10-30T11:49:40.421Z'));
    expect(item?.verdict).toBe('denied');
    expect(item?.detail).toContain('source without identity (plaintext: escaped capture or out of mesh)');
  });

  it('reads a clean JSON connection complete as allowed and skips non-access scopes', () => {
    const flow: FlowDescriptor = { protocol: 'http', sourceIp: '10.244.0.2', destinationName: 'http-server', destinationPort: 18080 };
    const items = parseZtunnelLog([STATE_JSON, COMPLETE_JSON].join('\n'), flow, around('2026-08-18T07:07:52.014Z'));
    expect(items.map((item) => [item.verdict, item.detail])).toEqual([
      ['allowed', 'connection complete, source spiffe://cluster.local/ns/default/sa/http-client-sa'],
    ]);
  });

  it('does not match another source, another port, or a time outside the window', () => {
    const all = [REJECT_WITH_IDENTITY, REJECT_EXPLICIT].join('\n');
    expect(parseZtunnelLog(all, { ...reviewsToProductpage, sourceIp: '10.244.1.7' }, around('2024-08-22T10:00:01.120Z'))).toEqual([]);
    expect(parseZtunnelLog(all, { ...reviewsToProductpage, destinationPort: 15008 }, around('2024-08-22T10:00:01.120Z'))).toEqual([]);
    expect(parseZtunnelLog(all, reviewsToProductpage, around('2024-08-22T10:05:00.000Z'))).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import type { FlowDescriptor, TimeWindow } from '../domain/evidence.ts';
import { parseHubbleFlows } from './hubble-flows.ts';

// Shaped on the flow cilium-cli's connectivity test printed in cilium/cilium#40519 (labels trimmed).
const DROP_WRAPPED =
  '{"flow":{"time":"2025-07-15T01:32:14.234858520Z","uuid":"54a59c8d-9c82-4741-ac0a-25b9c54aead6","verdict":"DROPPED","drop_reason":133,"ethernet":{"source":"92:34:10:65:b5:ee","destination":"c2:3c:0f:7f:7d:73"},"IP":{"source":"10.244.3.30","destination":"1.1.1.1","ipVersion":"IPv4"},"l4":{"TCP":{"source_port":55462,"destination_port":80,"flags":{"SYN":true}}},"source":{"ID":1238,"identity":24009,"cluster_name":"default","namespace":"bm-app","labels":["k8s:app=intruder"],"pod_name":"intruder"},"destination":{"identity":16777259,"labels":["reserved:world-ipv4"]},"Type":"L3_L4","node_name":"kind-worker2","event_type":{"type":1,"sub_type":133},"traffic_direction":"EGRESS","drop_reason_desc":"POLICY_DENIED","Summary":"TCP Flags: SYN"},"node_name":"kind-worker2","time":"2025-07-15T01:32:14.234858520Z"}';
const DROP_BARE_DENY_RULE =
  '{"time":"2025-07-15T01:32:15.100000000Z","verdict":"DROPPED","drop_reason":181,"IP":{"source":"10.244.3.30","destination":"1.1.1.1","ipVersion":"IPv4"},"l4":{"TCP":{"source_port":55470,"destination_port":80,"flags":{"SYN":true}}},"source":{"namespace":"bm-app","pod_name":"intruder"},"destination":{"labels":["reserved:world-ipv4"]},"Type":"L3_L4","traffic_direction":"EGRESS","drop_reason_desc":"POLICY_DENY","egress_denied_by":[{"name":"deny-world","namespace":"bm-app","kind":"CiliumNetworkPolicy"}]}';
const FORWARDED_SAME_PAIR =
  '{"flow":{"time":"2025-07-15T01:32:14.500000000Z","verdict":"FORWARDED","IP":{"source":"10.244.3.30","destination":"1.1.1.1","ipVersion":"IPv4"},"l4":{"TCP":{"source_port":55480,"destination_port":80,"flags":{"SYN":true}}},"source":{"namespace":"bm-app","pod_name":"intruder"},"Type":"L3_L4","traffic_direction":"EGRESS","is_reply":false}}';
const OTHER_POD_DROP =
  '{"flow":{"time":"2025-07-15T01:32:14.300000000Z","verdict":"DROPPED","drop_reason":133,"IP":{"source":"10.244.1.7","destination":"1.1.1.1","ipVersion":"IPv4"},"l4":{"TCP":{"source_port":41000,"destination_port":80}},"source":{"namespace":"bm-rogue","pod_name":"rogue"},"Type":"L3_L4","traffic_direction":"EGRESS","drop_reason_desc":"POLICY_DENIED"}}';
const OUTSIDE_WINDOW_DROP =
  '{"flow":{"time":"2025-07-15T01:40:00.000000000Z","verdict":"DROPPED","drop_reason":133,"IP":{"source":"10.244.3.30","destination":"1.1.1.1","ipVersion":"IPv4"},"l4":{"TCP":{"source_port":55999,"destination_port":80}},"source":{"namespace":"bm-app","pod_name":"intruder"},"traffic_direction":"EGRESS","drop_reason_desc":"POLICY_DENIED"}}';
const NON_POLICY_DROP =
  '{"flow":{"time":"2025-07-15T01:32:14.700000000Z","verdict":"DROPPED","drop_reason":132,"IP":{"source":"10.244.3.30","destination":"1.1.1.1","ipVersion":"IPv4"},"l4":{"TCP":{"source_port":55481,"destination_port":80}},"source":{"namespace":"bm-app","pod_name":"intruder"},"traffic_direction":"EGRESS","drop_reason_desc":"STALE_OR_UNROUTABLE_IP"}}';
const AUDIT =
  '{"flow":{"time":"2025-07-15T01:32:14.800000000Z","verdict":"AUDIT","IP":{"source":"10.244.3.30","destination":"1.1.1.1","ipVersion":"IPv4"},"l4":{"TCP":{"source_port":55482,"destination_port":80}},"source":{"namespace":"bm-app","pod_name":"intruder"},"traffic_direction":"EGRESS"}}';
const HUBBLE_NOTICE = 'Warning: lost 12 events';

const window: TimeWindow = {
  from: new Date('2025-07-15T01:32:13.000Z'),
  to: new Date('2025-07-15T01:32:16.000Z'),
};
const toWorld: FlowDescriptor = {
  protocol: 'http',
  sourceIp: '10.244.3.30',
  sourcePod: 'intruder',
  sourceNamespace: 'bm-app',
  destinationIp: '1.1.1.1',
  destinationPort: 80,
};

describe('parseHubbleFlows', () => {
  it('reads a wrapped POLICY_DENIED drop as a cni denial with its time', () => {
    const [item, ...rest] = parseHubbleFlows(DROP_WRAPPED, toWorld, window);
    expect(rest).toHaveLength(0);
    expect(item).toMatchObject({
      layer: 'cni',
      source: 'hubble',
      verdict: 'denied',
      raw: DROP_WRAPPED,
      detail: 'DROPPED POLICY_DENIED at egress',
      at: '2025-07-15T01:32:14.234Z',
    });
  });

  it('reads a bare POLICY_DENY drop and names the deny policy as the rule', () => {
    const [item] = parseHubbleFlows(DROP_BARE_DENY_RULE, toWorld, window);
    expect(item?.verdict).toBe('denied');
    expect(item?.detail).toBe('DROPPED POLICY_DENY at egress');
    expect(item?.rule).toBe('CiliumNetworkPolicy bm-app/deny-world');
  });

  it('keeps FORWARDED as allowed, AUDIT and non-policy drops as observations', () => {
    const items = parseHubbleFlows([FORWARDED_SAME_PAIR, AUDIT, NON_POLICY_DROP].join('\n'), toWorld, window);
    expect(items.map((item) => item.verdict)).toEqual(['allowed', 'observed', 'observed']);
    expect(items[2]?.detail).toBe('DROPPED for STALE_OR_UNROUTABLE_IP, not policy');
  });

  it('ignores other pods, lines outside the window and non-flow lines', () => {
    const raw = [HUBBLE_NOTICE, OTHER_POD_DROP, OUTSIDE_WINDOW_DROP, DROP_WRAPPED].join('\n');
    const items = parseHubbleFlows(raw, toWorld, window);
    expect(items.map((item) => item.raw)).toEqual([DROP_WRAPPED]);
  });

  it('reads a Cilium L7 HTTP 403 as a denial', () => {
    const line =
      '{"flow":{"time":"2025-07-15T01:32:14.900Z","verdict":"DROPPED","IP":{"source":"10.244.3.30","destination":"10.244.2.11"},"l4":{"TCP":{"source_port":50000,"destination_port":8080}},"source":{"namespace":"bm-app","pod_name":"intruder"},"Type":"L7","traffic_direction":"INGRESS","l7":{"type":"REQUEST","http":{"code":403,"method":"GET","url":"http://api:8080/admin?c=bm-c4n4ry","protocol":"HTTP/1.1"}},"drop_reason_desc":"POLICY_DENIED"}}';
    const items = parseHubbleFlows(line, { protocol: 'http', canary: 'bm-c4n4ry', destinationPort: 8080 }, window);
    expect(items).toHaveLength(1);
    expect(items[0]?.verdict).toBe('denied');
    expect(items[0]?.detail).toBe('Cilium L7 proxy denied the HTTP request (403), ingress');
  });

  it('reads a DNS proxy REFUSED for the canary name as a denial and skips other names from the same pod', () => {
    const refused =
      '{"flow":{"time":"2025-07-15T01:32:14.950Z","verdict":"FORWARDED","IP":{"source":"10.244.3.30","destination":"10.96.0.10"},"l4":{"UDP":{"source_port":40001,"destination_port":53}},"source":{"namespace":"bm-app","pod_name":"intruder"},"Type":"L7","traffic_direction":"EGRESS","l7":{"type":"RESPONSE","dns":{"query":"bm-c4n4ry.exfil.test.","rcode":5,"qtypes":["TXT"]}}}}';
    const answered =
      '{"flow":{"time":"2025-07-15T01:32:14.960Z","verdict":"FORWARDED","IP":{"source":"10.244.3.30","destination":"10.96.0.10"},"l4":{"UDP":{"source_port":40002,"destination_port":53}},"source":{"namespace":"bm-app","pod_name":"intruder"},"Type":"L7","traffic_direction":"EGRESS","l7":{"type":"RESPONSE","dns":{"query":"other.exfil.test.","rcode":0,"qtypes":["TXT"]}}}}';
    const dnsFlow: FlowDescriptor = { protocol: 'dns', sourcePod: 'intruder', canary: 'bm-c4n4ry' };
    const items = parseHubbleFlows([refused, answered].join('\n'), dnsFlow, window);
    expect(items.map((item) => [item.verdict, item.detail])).toEqual([
      ['denied', 'Cilium DNS proxy refused bm-c4n4ry.exfil.test. (rcode REFUSED)'],
    ]);
    const answeredForCanary = answered.replace('other.exfil.test.', 'bm-c4n4ry.exfil.test.');
    expect(parseHubbleFlows(answeredForCanary, dnsFlow, window).map((item) => item.verdict)).toEqual(['allowed']);
  });

  it('does not take a TCP drop for a UDP attempt to the same address', () => {
    expect(parseHubbleFlows(DROP_WRAPPED, { ...toWorld, protocol: 'udp', destinationPort: undefined }, window)).toEqual([]);
  });
});

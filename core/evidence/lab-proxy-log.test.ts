import { describe, expect, it } from 'vitest';
import type { FlowDescriptor } from '../domain/evidence.ts';
import { judgeLabProxyLine, parseLabProxyLine, parseLabProxyLog } from './lab-proxy-log.ts';

// Real lines written by the lab sidecar (clusters/lab/sidecar/sidecar.integration.test.ts run): rogue .14,
// frontend .11, api .12, a second pod with the api identity .13, the sink .15.
const FCNF = String.raw`{"start_time_ms":1795395580005,"pod":"bm-app/api","direction":"inbound","protocol":"tcp","src":"10.206.42.14:46530","dst":"10.206.42.12:8080","peer_principal":"-","method":"-","path":"-","status":0,"bytes_received":86,"bytes_sent":0,"termination_state":"SC","upstream_cluster":"-","response_code_details":"-","connection_termination_details":"filter_chain_not_found"}`;
const OK = String.raw`{"start_time_ms":1795395580175,"pod":"bm-app/api","direction":"inbound","protocol":"http","src":"10.206.42.11:43204","dst":"10.206.42.12:8080","peer_principal":"cluster.local\/ns\/bm-app\/sa\/frontend","method":"GET","path":"\/api\/x","status":200,"bytes_received":89,"bytes_sent":128,"termination_state":"--","upstream_cluster":"inbound","response_code_details":"via_upstream","connection_termination_details":"-"}`;
const DENY = String.raw`{"start_time_ms":1795395580536,"pod":"bm-app/api","direction":"inbound","protocol":"http","src":"10.206.42.11:43208","dst":"10.206.42.12:8080","peer_principal":"cluster.local\/ns\/bm-app\/sa\/frontend","method":"GET","path":"\/admin","status":403,"bytes_received":89,"bytes_sent":98,"termination_state":"LR","upstream_cluster":"inbound","response_code_details":"rbac_access_denied_matched_policy[ns[bm-app]-policy[deny-admin]-rule[0]]","connection_termination_details":"-"}`;
const NONE = String.raw`{"start_time_ms":1795395582837,"pod":"bm-app/api","direction":"inbound","protocol":"http","src":"10.206.42.13:37820","dst":"10.206.42.12:8080","peer_principal":"cluster.local\/ns\/bm-app\/sa\/api","method":"GET","path":"\/api\/x","status":403,"bytes_received":89,"bytes_sent":98,"termination_state":"LR","upstream_cluster":"inbound","response_code_details":"rbac_access_denied_matched_policy[none]","connection_termination_details":"-"}`;
const PASSTHROUGH = String.raw`{"start_time_ms":1795395583000,"pod":"bm-app/frontend","direction":"outbound","protocol":"tcp","src":"10.206.42.11:39338","dst":"10.206.42.15:8080","peer_principal":"-","method":"-","path":"-","status":0,"bytes_received":96,"bytes_sent":135,"termination_state":"--","upstream_cluster":"PassthroughCluster","response_code_details":"-","connection_termination_details":"PassthroughCluster"}`;
const BH_HTTP = String.raw`{"start_time_ms":1795395583267,"pod":"bm-app/frontend","direction":"outbound","protocol":"http","src":"10.206.42.11:39366","dst":"10.206.42.15:8080","peer_principal":"-","method":"GET","path":"\/canary-0f0b84-c","status":502,"bytes_received":99,"bytes_sent":115,"termination_state":"LR","upstream_cluster":"BlackHoleCluster","response_code_details":"BlackHoleCluster","connection_termination_details":"-"}`;
const BH_TCP = String.raw`{"start_time_ms":1795395583273,"pod":"bm-app/frontend","direction":"outbound","protocol":"tcp","src":"10.206.42.11:34208","dst":"10.206.42.15:9000","peer_principal":"-","method":"-","path":"-","status":0,"bytes_received":0,"bytes_sent":0,"termination_state":"SC","upstream_cluster":"BlackHoleCluster","response_code_details":"-","connection_termination_details":"BlackHoleCluster"}`;
const LIFECYCLE = 'Proxy outbound stopped (cumulated conns: FE: 7, BE: 0).';
const LOG = [LIFECYCLE, FCNF, OK, DENY, NONE, PASSTHROUGH, BH_HTTP, BH_TCP, ''].join('\n');

const window = { from: new Date(1795395579000), to: new Date(1795395584000) };
const api = { destinationIp: '10.206.42.12', destinationPort: 8080 };

function parse(flow: FlowDescriptor, at = window) {
  return parseLabProxyLog(LOG, { flow, window: at });
}

describe('lab proxy log lines', () => {
  it('parses fields and turns HAProxy dashes into absence', () => {
    expect(parseLabProxyLine(FCNF)).toEqual({
      startTime: new Date(1795395580005),
      pod: 'bm-app/api',
      direction: 'inbound',
      protocol: 'tcp',
      source: { ip: '10.206.42.14', port: 46530 },
      destination: { ip: '10.206.42.12', port: 8080 },
      details: 'filter_chain_not_found',
    });
    expect(parseLabProxyLine(OK)?.peerPrincipal).toBe('cluster.local/ns/bm-app/sa/frontend');
    expect(parseLabProxyLine(LIFECYCLE)).toBeUndefined();
    expect(parseLabProxyLine('{"start_time_ms":"soon"}')).toBeUndefined();
  });

  it('judges each kind of line in Envoy vocabulary', () => {
    const judge = (line: string) => {
      const parsed = parseLabProxyLine(line);
      if (parsed === undefined) throw new Error('unparsed');
      return judgeLabProxyLine(parsed);
    };
    expect(judge(FCNF)).toMatchObject({ verdict: 'denied' });
    expect(judge(FCNF).rule).toBeUndefined();
    expect(judge(DENY)).toMatchObject({ verdict: 'denied', rule: 'ns[bm-app]-policy[deny-admin]-rule[0]' });
    expect(judge(DENY).detail).toContain('HTTP 403 RBAC: access denied');
    expect(judge(NONE)).toMatchObject({ verdict: 'denied', rule: 'none' });
    expect(judge(BH_HTTP)).toMatchObject({ verdict: 'denied' });
    expect(judge(BH_TCP).detail).toContain('REGISTRY_ONLY');
    expect(judge(PASSTHROUGH)).toMatchObject({ verdict: 'allowed' });
    expect(judge(OK)).toMatchObject({ verdict: 'allowed' });
  });
});

describe('parseLabProxyLog: matching lines to one attempt', () => {
  it("reads the ambient waypoint's log (same format, clusters/lab/ambient/waypoint-haproxy-config.ts) as mesh-waypoint evidence", () => {
    const items = parseLabProxyLog(LOG, { flow: { protocol: 'http', sourceIp: '10.206.42.13', ...api }, window }, 'mesh-waypoint');
    expect(items.map((item) => [item.layer, item.verdict, item.rule])).toEqual([['mesh-waypoint', 'denied', 'none']]);
  });


  it('SC8: the rogue plaintext attempt gets exactly its filter_chain_not_found line', () => {
    const items = parse({ protocol: 'http', sourceIp: '10.206.42.14', ...api });
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      layer: 'mesh-sidecar',
      source: 'lab-proxy-log',
      verdict: 'denied',
      raw: FCNF,
      at: new Date(1795395580005).toISOString(),
    });
  });

  it('the api-identity client gets its [none] denial, not frontend lines to the same destination', () => {
    const items = parse({ protocol: 'http', sourceIp: '10.206.42.13', ...api });
    expect(items.map((item) => [item.verdict, item.rule])).toEqual([['denied', 'none']]);
  });

  it('a canary in the path anchors the outbound BlackHole line; the UDP flow matches nothing', () => {
    const items = parse({ protocol: 'http', canary: 'canary-0f0b84-c' });
    expect(items.map((item) => item.raw)).toEqual([BH_HTTP]);
    expect(parse({ protocol: 'udp', sourceIp: '10.206.42.11', destinationIp: '10.206.42.15' })).toEqual([]);
  });

  it('lines outside the window (beyond clock skew) or to another port do not match', () => {
    const later = { from: new Date(1795395590000), to: new Date(1795395591000) };
    expect(parse({ protocol: 'tcp', sourceIp: '10.206.42.14', ...api }, later)).toEqual([]);
    expect(parse({ protocol: 'tcp', sourceIp: '10.206.42.14', destinationIp: '10.206.42.12', destinationPort: 5432 })).toEqual([]);
  });

  it('the sink flows of frontend: passthrough allowed, then both blackholed attempts denied', () => {
    const items = parse({ protocol: 'tcp', sourceIp: '10.206.42.11', destinationIp: '10.206.42.15' });
    expect(items.map((item) => item.verdict)).toEqual(['allowed', 'denied', 'denied']);
  });
});

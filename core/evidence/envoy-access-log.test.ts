import { describe, expect, it } from 'vitest';
import type { FlowDescriptor, TimeWindow } from '../domain/evidence.ts';
import { parseEnvoyAccessLog } from './envoy-access-log.ts';

// TEXT lines as Istio's default format prints them (istio/community#1435, istio/istio#38397, nitishm/engarde#12).
const NR_PLAINTEXT =
  '[2024-07-10T08:45:32.932Z] "- - -" 0 NR filter_chain_not_found - "-" 0 0 0 - "-" "-" "-" "-" "-" - - 10.10.123.120:27017 10.10.123.127:36422 - -';
const NR_OTHER_CLIENT =
  '[2024-07-10T08:45:33.013Z] "- - -" 0 NR filter_chain_not_found - "-" 0 0 1 - "-" "-" "-" "-" "-" - - 10.10.123.120:27017 10.12.129.6:4921 - -';
const PASSTHROUGH =
  '[2024-07-10T08:45:32.994Z] "- - -" 0 - - - "-" 614 0 56 - "-" "-" "-" "-" "10.12.129.6:30003" PassthroughCluster 10.10.123.120:40442 10.12.129.6:30003 10.10.123.120:40440 - -';
const BLACKHOLE =
  '[2022-04-15T00:25:20.722Z] "- - -" 0 UH - - "-" 0 0 8 - "-" "-" "-" "-" "-" BlackHoleCluster - 209.85.200.95:443 10.100.14.30:36098 - -';
const INBOUND_OK =
  '[2020-10-29T03:22:16.126Z] "GET /headers HTTP/1.1" 200 - via_upstream - "-" 0 547 5 4 "-" "curl/7.73.0-DEV" "24e58e43-e576-9048-829b-02e3f3da16f0" "httpbin:8000" "127.0.0.1:80" inbound|8000|| 127.0.0.1:51680 172.17.0.7:80 172.17.0.6:59022 outbound_.8000_._.httpbin.foo.svc.cluster.local default';
const AGENT_LINE = '2024-07-10T08:45:30.000000Z\tinfo\txdsproxy\tconnected to upstream XDS server: istiod.istio-system.svc:15012';

/** A line in Istio's default JSON access log format (meshConfig.accessLogEncoding: JSON). */
function jsonLine(fields: Record<string, string | number | null>): string {
  return JSON.stringify({
    authority: null,
    bytes_received: 0,
    bytes_sent: 0,
    connection_termination_details: null,
    downstream_local_address: null,
    downstream_remote_address: null,
    duration: 0,
    method: null,
    path: null,
    protocol: null,
    request_id: null,
    requested_server_name: null,
    response_code: 0,
    response_code_details: null,
    response_flags: '-',
    route_name: null,
    start_time: null,
    upstream_cluster: null,
    upstream_host: null,
    upstream_local_address: null,
    upstream_service_time: null,
    upstream_transport_failure_reason: null,
    user_agent: null,
    x_forwarded_for: null,
    ...fields,
  });
}

const RBAC_RULE = jsonLine({
  start_time: '2025-05-02T10:00:01.120Z',
  method: 'GET',
  path: '//admin?bm=bm-9a1c',
  protocol: 'HTTP/1.1',
  response_code: 403,
  response_code_details: 'rbac_access_denied_matched_policy[ns[bm-app]-policy[api-deny-admin]-rule[0]]',
  authority: 'api:8080',
  downstream_local_address: '10.244.2.11:8080',
  downstream_remote_address: '10.244.1.20:51522',
  upstream_cluster: 'inbound|8080||',
  requested_server_name: 'outbound_.8080_._.api.bm-app.svc.cluster.local',
  user_agent: 'curl/8.5.0',
});
const RBAC_NONE_TCP = jsonLine({
  start_time: '2025-05-02T10:00:01.500Z',
  response_code: 0,
  connection_termination_details: 'rbac_access_denied_matched_policy[none]',
  downstream_local_address: '10.244.2.30:5432',
  downstream_remote_address: '10.244.1.20:40112',
  upstream_cluster: 'inbound|5432||',
});
const OTHER_REQUEST_SAME_CLIENT = jsonLine({
  start_time: '2025-05-02T10:00:01.300Z',
  method: 'GET',
  path: '/api/items?bm=bm-0000',
  response_code: 403,
  response_code_details: 'rbac_access_denied_matched_policy[none]',
  authority: 'api:8080',
  downstream_local_address: '10.244.2.11:8080',
  downstream_remote_address: '10.244.1.20:51530',
  upstream_cluster: 'inbound|8080||',
});
// istio/istio#33281: REGISTRY_ONLY on HTTPS printed UH with no cluster: not enough to call it a policy denial.
const UH_NO_CLUSTER =
  '{"response_code":0,"upstream_service_time":null,"upstream_host":null,"upstream_local_address":null,"request_id":null,"downstream_remote_address":"172.17.3.28:35070","bytes_sent":0,"upstream_cluster":null,"upstream_transport_failure_reason":null,"authority":null,"duration":8,"response_code_details":null,"response_flags":"UH","protocol":null,"user_agent":null,"path":null,"connection_termination_details":null,"method":null,"downstream_local_address":"13.249.75.75:443","route_name":null,"x_forwarded_for":null,"requested_server_name":null,"start_time":"2021-06-04T14:35:50.462Z","bytes_received":0}';

function around(iso: string): TimeWindow {
  const at = new Date(iso).getTime();
  return { from: new Date(at - 1_000), to: new Date(at + 1_000) };
}

describe('parseEnvoyAccessLog, TEXT format', () => {
  it('reads NR filter_chain_not_found as a sidecar denial for the plaintext client only', () => {
    const flow: FlowDescriptor = { protocol: 'tcp', sourceIp: '10.10.123.127', destinationIp: '10.10.123.120', destinationPort: 27017 };
    const items = parseEnvoyAccessLog([AGENT_LINE, NR_OTHER_CLIENT, NR_PLAINTEXT].join('\n'), {
      layer: 'mesh-sidecar',
      flow,
      window: around('2024-07-10T08:45:32.932Z'),
    });
    expect(items).toEqual([
      {
        layer: 'mesh-sidecar',
        source: 'envoy-access-log',
        verdict: 'denied',
        raw: NR_PLAINTEXT,
        detail: 'NR filter_chain_not_found: no filter chain for this connection (plaintext into STRICT mTLS)',
        at: '2024-07-10T08:45:32.932Z',
        matched: ['window', 'protocol', 'source-ip', 'destination-ip', 'destination-port'],
      },
    ]);
  });

  it('reads PassthroughCluster as allowed: the bypass went through Envoy', () => {
    const flow: FlowDescriptor = { protocol: 'tcp', sourceIp: '10.10.123.120', destinationIp: '10.12.129.6', destinationPort: 30003 };
    const [item] = parseEnvoyAccessLog(PASSTHROUGH, { layer: 'mesh-sidecar', flow, window: around('2024-07-10T08:45:32.994Z') });
    expect(item?.verdict).toBe('allowed');
    expect(item?.detail).toBe('PassthroughCluster: forwarded to the original destination 10.12.129.6:30003');
  });

  it('reads BlackHoleCluster as a REGISTRY_ONLY denial', () => {
    const flow: FlowDescriptor = { protocol: 'tcp', sourceIp: '10.100.14.30', destinationIp: '209.85.200.95', destinationPort: 443 };
    const [item] = parseEnvoyAccessLog(BLACKHOLE, { layer: 'mesh-sidecar', flow, window: around('2022-04-15T00:25:20.722Z') });
    expect(item?.verdict).toBe('denied');
    expect(item?.detail).toBe('BlackHoleCluster: outboundTrafficPolicy REGISTRY_ONLY, response 0');
  });

  it('reads an inbound request forwarded to the app as allowed, matched on the pod address not loopback', () => {
    const flow: FlowDescriptor = { protocol: 'http', sourceIp: '172.17.0.6', destinationIp: '172.17.0.7', destinationPort: 80 };
    const [item] = parseEnvoyAccessLog(INBOUND_OK, { layer: 'mesh-sidecar', flow, window: around('2020-10-29T03:22:16.126Z') });
    expect(item?.verdict).toBe('allowed');
    expect(item?.detail).toBe('forwarded to inbound|8000||, response 200');
  });

  it('skips lines outside the window', () => {
    const flow: FlowDescriptor = { protocol: 'tcp', sourceIp: '10.10.123.127' };
    expect(parseEnvoyAccessLog(NR_PLAINTEXT, { layer: 'mesh-sidecar', flow, window: around('2024-07-10T09:00:00.000Z') })).toEqual([]);
  });
});

describe('parseEnvoyAccessLog, JSON format', () => {
  const window = around('2025-05-02T10:00:01.300Z');
  const intruderToApi: FlowDescriptor = {
    protocol: 'http',
    sourceIp: '10.244.1.20',
    destinationName: 'api',
    destinationPort: 8080,
    canary: 'bm-9a1c',
  };

  it('extracts the matched AuthorizationPolicy rule from a waypoint 403, and skips the same client\'s other request', () => {
    const items = parseEnvoyAccessLog([OTHER_REQUEST_SAME_CLIENT, RBAC_RULE], { layer: 'mesh-waypoint', flow: intruderToApi, window });
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      layer: 'mesh-waypoint',
      verdict: 'denied',
      rule: 'ns[bm-app]-policy[api-deny-admin]-rule[0]',
      detail: 'AuthorizationPolicy denied (matched ns[bm-app]-policy[api-deny-admin]-rule[0]), response 403',
      at: '2025-05-02T10:00:01.120Z',
      raw: RBAC_RULE,
    });
  });

  it('reads a TCP RBAC denial from connection_termination_details with rule none', () => {
    const toDb: FlowDescriptor = { protocol: 'tcp', sourceIp: '10.244.1.20', destinationIp: '10.244.2.30', destinationPort: 5432 };
    const [item] = parseEnvoyAccessLog(RBAC_NONE_TCP, { layer: 'mesh-sidecar', flow: toDb, window });
    expect(item?.verdict).toBe('denied');
    expect(item?.rule).toBe('none');
    expect(item?.detail).toBe('AuthorizationPolicy denied (no ALLOW policy matched), response 0');
  });

  it('keeps a UH record without a cluster as an observation, not a denial', () => {
    const flow: FlowDescriptor = { protocol: 'tcp', sourceIp: '172.17.3.28', destinationIp: '13.249.75.75', destinationPort: 443 };
    const [item] = parseEnvoyAccessLog(UH_NO_CLUSTER, { layer: 'mesh-sidecar', flow, window: around('2021-06-04T14:35:50.462Z') });
    expect(item?.verdict).toBe('observed');
    expect(item?.detail).toBe('response 0 UH');
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../attack-pods/sink/free-port.ts';
import type { PythonService } from '../../../attack-pods/sink/python-service.ts';
import { startWorkloadServer } from '../../../attack-pods/workload-server/workload-server-process.ts';
import { applicablePolicies, compilePolicy, decide } from './authorization-policy.ts';
import { ENVOY_INTERNAL_ONLY_HEADERS, forwardedRequestHeaders, renderForwardedHeaders, XFCC_HEADER } from './forwarded-headers.ts';
import { renderAuthorization } from './haproxy-config.ts';
import { authorizationPolicy } from './test-objects.ts';
import { loopbackHttpFrontend, rawHttpExchange, startLoopbackHaproxy, type LoopbackHaproxy } from './testing/loopback-haproxy.ts';

/**
 * Differential test: the HAProxy lines of the inbound HTTP hop (host authorization and forwarded-header handling)
 * in front of the real workload server, against the TypeScript model. The mTLS peer principal, which the sidecar
 * reads from the PROXY v2 header, is handed over here in a test-only header the proxy removes.
 */
const LOCAL = 'cluster.local/ns/bm-app/sa/api';
const FRONTEND = 'cluster.local/ns/bm-app/sa/frontend';
const PEER_HEADER = 'x-lab-test-peer';
const DENY_SHORT_HOST = authorizationPolicy('bm-app', 'deny-short-host', {
  selector: { matchLabels: { app: 'api' } },
  action: 'DENY',
  rules: [{ to: [{ operation: { hosts: ['api.bm-app', 'api.bm-app:*'] } }] }],
});
const POLICIES = applicablePolicies([DENY_SHORT_HOST], { namespace: 'bm-app', labels: { app: 'api' } }).map((p) => compilePolicy(p, 'http'));

let dir = '';
let proxy: LoopbackHaproxy | undefined;
let workload: PythonService | undefined;

function config(port: number, appPort: number): string {
  return [
    ...loopbackHttpFrontend(port),
    `  http-request set-var(sess.bm_principal) req.hdr(${PEER_HEADER}) if { req.hdr(${PEER_HEADER}) -m found }`,
    `  http-request del-header ${PEER_HEADER}`,
    '  http-request set-var(txn.bm_method) capture.req.method',
    '  http-request set-var(txn.bm_npath) path',
    ...renderAuthorization(POLICIES, 'http-request', 'txn.bm_rcd', 'h').map((line) => `  ${line}`),
    '  http-request return status 403 content-type text/plain string "RBAC: access denied" if { var(txn.bm_rcd) -m found }',
    ...renderForwardedHeaders(LOCAL, 'sess.bm_principal').map((line) => `  ${line}`),
    '  default_backend app',
    'backend app',
    `  server app 127.0.0.1:${appPort}`,
    '',
  ].join('\n');
}

interface Answer {
  readonly status: number;
  /** Headers the workload echoed (`header <name>: <value>` lines), by name. */
  readonly echoed: Record<string, string>;
}

async function request(headers: Readonly<Record<string, string>>): Promise<Answer> {
  if (proxy === undefined) throw new Error('no proxy');
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
  const { status, body } = await rawHttpExchange(proxy.port, ['GET /api/ping HTTP/1.1', ...lines, 'Connection: close', '', ''].join('\r\n'), 'GET /api/ping');
  const echoed: Record<string, string> = {};
  for (const line of body.split('\n')) {
    const match = /^header ([^:]+): (.*)$/.exec(line);
    if (match?.[1] !== undefined) echoed[match[1]] = match[2] ?? '';
  }
  return { status, echoed };
}

/** The forged headers of SC13-SC15 and a header no proxy touches. */
const FORGED = {
  [XFCC_HEADER]: 'By=spiffe://cluster.local/ns/bm-app/sa/api;URI=spiffe://cluster.local/ns/bm-app/sa/admin',
  'x-forwarded-for': '10.0.0.1',
  'x-envoy-ip-tags': 'bm-forged',
  'x-envoy-retry-on': '5xx',
  'x-breachmatrix-canary': 'bm0000000000000001',
} as const;

describe('lab sidecar inbound HTTP hop: forwarded headers and hosts, HAProxy against the model', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bm-fwd-'));
    const appPort = await freePort('127.0.0.1');
    workload = await startWorkloadServer({ name: 'api', bind: '127.0.0.1', httpPorts: [appPort] });
    proxy = await startLoopbackHaproxy(join(dir, 'inbound.cfg'), (port) => config(port, appPort));
  });

  afterAll(async () => {
    proxy?.kill();
    await workload?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['mTLS from frontend', FRONTEND],
    ['plaintext (PERMISSIVE)', undefined],
  ])('%s: the workload sees exactly the headers the model predicts', async (_case, peer) => {
    const sent = { host: 'api.bm-app.svc.cluster.local:8080', ...FORGED };
    const answer = await request(peer === undefined ? sent : { ...sent, [PEER_HEADER]: peer });
    expect(answer.status).toBe(200);
    const model = forwardedRequestHeaders(sent, { peerPrincipal: peer, localPrincipal: LOCAL });
    const watched = [...Object.keys(sent), ...ENVOY_INTERNAL_ONLY_HEADERS, PEER_HEADER];
    const seen = Object.fromEntries(Object.entries(answer.echoed).filter(([name]) => watched.includes(name)));
    expect(seen).toEqual(model);
  });

  it('the cases spelled out: forged XFCC replaced by the peer’s (gone without mTLS), XFF untouched, x-envoy-* gone', async () => {
    const mtls = await request({ host: 'api', ...FORGED, [PEER_HEADER]: FRONTEND });
    expect(mtls.echoed[XFCC_HEADER]).toBe(`By=spiffe://${LOCAL};Subject="";URI=spiffe://${FRONTEND}`);
    expect(mtls.echoed['x-forwarded-for']).toBe('10.0.0.1');
    expect(mtls.echoed['x-envoy-ip-tags']).toBeUndefined();
    expect(mtls.echoed['x-envoy-retry-on']).toBeUndefined();
    expect(mtls.echoed['x-breachmatrix-canary']).toBe(FORGED['x-breachmatrix-canary']);
    const plain = await request({ host: 'api', ...FORGED });
    expect(plain.echoed[XFCC_HEADER]).toBeUndefined();
  });

  it.each(['api.bm-app', 'API.BM-APP', 'Api.Bm-App:8080', 'api.bm-app.svc.cluster.local:8080', 'API.BM-APP.SVC.CLUSTER.LOCAL'])(
    'Host %s: the DENY on hosts answers as the model (case-insensitive)',
    async (host) => {
      const model = decide(POLICIES, { principal: FRONTEND, port: 8080, http: { method: 'GET', path: '/api/ping', host } });
      expect((await request({ host, [PEER_HEADER]: FRONTEND })).status).toBe(model.allowed ? 200 : 403);
    },
  );
});

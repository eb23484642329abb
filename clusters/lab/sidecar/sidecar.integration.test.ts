import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../core/domain/cluster.ts';
import { parseLabProxyLog } from '../../../core/evidence/lab-proxy-log.ts';
import { installSidecarCapture, type LabMesh, type LabSidecar, type LabSidecarCapture, type LabSidecarPod } from './index.ts';
import { API_ALLOW_FRONTEND, API_DENY_ADMIN, MESH_STRICT, REGISTRY_ONLY } from './test-objects.ts';

/**
 * Real network namespaces, a bridge, real HAProxy sidecars: the scene's mesh layer without the lab core.
 * frontend, api and api-client (identity `api`) have sidecars; rogue (bm-rogue) and sink have none.
 */
const tag = randomBytes(3).toString('hex');
const subnet = `10.${200 + (randomBytes(1)[0] ?? 0) % 50}.${randomBytes(1)[0] ?? 1}`;
const nodeNs = `bmsc-${tag}-node`;

interface TestPod {
  readonly name: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly ip: string;
  readonly netns: string;
  readonly sidecar: boolean;
}

const pods: Record<'frontend' | 'api' | 'apiClient' | 'rogue' | 'sink', TestPod> = {
  frontend: { name: 'frontend', namespace: 'bm-app', serviceAccount: 'frontend', ip: `${subnet}.11`, netns: `bmsc-${tag}-fe`, sidecar: true },
  api: { name: 'api', namespace: 'bm-app', serviceAccount: 'api', ip: `${subnet}.12`, netns: `bmsc-${tag}-api`, sidecar: true },
  apiClient: { name: 'api-client', namespace: 'bm-app', serviceAccount: 'api', ip: `${subnet}.13`, netns: `bmsc-${tag}-apic`, sidecar: true },
  rogue: { name: 'rogue', namespace: 'bm-rogue', serviceAccount: 'rogue', ip: `${subnet}.14`, netns: `bmsc-${tag}-rogue`, sidecar: false },
  sink: { name: 'sink', namespace: 'internet', serviceAccount: 'sink', ip: `${subnet}.15`, netns: `bmsc-${tag}-sink`, sidecar: false },
};

const APP_SERVER = `
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ('hello ' + self.path + '\\n').encode()
        self.send_response(200)
        self.send_header('content-length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(('0.0.0.0', int(sys.argv[1])), H).serve_forever()
`;

const objects: KubeObject[] = [MESH_STRICT, API_ALLOW_FRONTEND, API_DENY_ADMIN];
let workDir = '';
const apps: ChildProcess[] = [];
const captures = new Map<string, LabSidecarCapture>();
const sidecars = new Map<string, LabSidecar>();

const mesh: LabMesh = {
  istioObjects: () => objects,
  identityOf: (ip) => {
    const pod = Object.values(pods).find((p) => p.ip === ip);
    return pod === undefined
      ? undefined
      : { namespace: pod.namespace, serviceAccount: pod.serviceAccount, meshMember: pod.sidecar, podName: pod.name };
  },
  meshAddresses: Object.values(pods)
    .filter((pod) => pod.sidecar)
    .map((pod) => pod.ip),
  get caDir() {
    return join(workDir, 'ca');
  },
  get socketRoot() {
    return join(workDir, 'sockets');
  },
  pathNormalization: 'DECODE_AND_MERGE_SLASHES',
};

async function ip(...args: string[]): Promise<void> {
  await execa('ip', args);
}

function inPod(pod: TestPod, command: readonly string[], asProxyUser = false) {
  const prefix = asProxyUser ? ['setpriv', '--reuid', '1337', '--regid', '1337', '--clear-groups'] : [];
  return execa('ip', ['netns', 'exec', pod.netns, ...prefix, ...command], { reject: false, timeout: 15_000 });
}

/** curl from inside a pod: `[exit code, http status, body]`. */
async function curl(pod: TestPod, url: string, asProxyUser = false, method = 'GET'): Promise<[number, string, string]> {
  const result = await inPod(
    pod,
    ['curl', '-sS', '--path-as-is', '-X', method, '--connect-timeout', '2', '--max-time', '4', '-o', '-', '-w', '\n%{http_code}', url],
    asProxyUser,
  );
  const lines = result.stdout.split('\n');
  const status = lines.pop() ?? '';
  return [result.exitCode ?? -1, status, lines.join('\n').replace(/\n$/, '')];
}

async function logLines(pod: TestPod): Promise<Record<string, unknown>[]> {
  const sidecar = sidecars.get(pod.name);
  if (sidecar === undefined) throw new Error(`no sidecar for ${pod.name}`);
  // HAProxy writes TCP lines when the connection closes: give it a moment.
  await new Promise((resolve) => setTimeout(resolve, 150));
  const text = await readFile(sidecar.accessLogPath, 'utf8');
  return text
    .split('\n')
    // HAProxy also prints its lifecycle ("Proxy outbound stopped") there on reloads: only records count.
    .filter((line) => line.startsWith('{'))
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch (error) {
        throw new Error(`not JSON in ${sidecar.accessLogPath}: ${line}\n---\n${text}`, { cause: error });
      }
    });
}

describe('lab sidecar on real namespaces', () => {
  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'bm-sidecar-'));
    // The proxy (UID 1337) walks down to its run folder: this test's own folder is opened to it, nothing above.
    await chmod(workDir, 0o755);
    for (const pod of Object.values(pods)) await mkdir(join(workDir, pod.name), { mode: 0o755 });
    await ip('netns', 'add', nodeNs);
    await ip('-n', nodeNs, 'link', 'add', 'br0', 'type', 'bridge');
    await ip('-n', nodeNs, 'link', 'set', 'br0', 'up');
    let index = 0;
    for (const pod of Object.values(pods)) {
      index += 1;
      await ip('netns', 'add', pod.netns);
      await ip('-n', pod.netns, 'link', 'set', 'lo', 'up');
      await ip('link', 'add', `bmsc${tag}${index}`, 'netns', nodeNs, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod.netns);
      await ip('-n', nodeNs, 'link', 'set', `bmsc${tag}${index}`, 'master', 'br0', 'up');
      await ip('-n', pod.netns, 'addr', 'add', `${pod.ip}/24`, 'dev', 'eth0');
      await ip('-n', pod.netns, 'link', 'set', 'eth0', 'up');
    }
    for (const pod of [pods.api, pods.sink]) {
      const app = spawn('ip', ['netns', 'exec', pod.netns, 'python3', '-c', APP_SERVER, '8080'], { stdio: 'ignore', detached: true });
      apps.push(app);
    }
    for (const pod of Object.values(pods).filter((p) => p.sidecar)) {
      const labPod: LabSidecarPod = {
        netns: pod.netns,
        podIp: pod.ip,
        namespace: pod.namespace,
        name: pod.name,
        serviceAccount: pod.serviceAccount,
        labels: { app: pod.name },
        annotations: {},
        containerPorts: pod.name === 'api' ? [8080] : [],
        workDir: join(workDir, pod.name),
        namePrefix: `bmsc-${tag}`,
      };
      captures.set(pod.name, await installSidecarCapture(labPod, mesh));
    }
    for (const [name, capture] of captures) sidecars.set(name, await capture.startProxy());
    // The app servers are up once they answer from their own namespace.
    for (const pod of [pods.api, pods.sink]) {
      for (let attempt = 0; attempt < 50; attempt += 1) {
        const [code] = await curl(pod, `http://127.0.0.1:8080/`);
        if (code === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  });

  afterAll(async () => {
    for (const capture of captures.values()) await capture.remove();
    for (const app of apps) {
      if (app.pid !== undefined) {
        try {
          process.kill(-app.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    for (const pod of Object.values(pods)) await execa('ip', ['netns', 'del', pod.netns], { reject: false });
    await execa('ip', ['netns', 'del', nodeNs], { reject: false });
    await rm(workDir, { recursive: true, force: true });
  });

  it('STRICT: rogue plaintext to api:8080 is reset and logged as filter_chain_not_found', async () => {
    const [code, status] = await curl(pods.rogue, `http://${pods.api.ip}:8080/api/x`);
    expect([52, 56]).toContain(code);
    expect(status).toBe('000');
    const lines = await logLines(pods.api);
    const line = lines.find((l) => String(l['src']).startsWith(`${pods.rogue.ip}:`));
    expect(line).toMatchObject({
      direction: 'inbound',
      dst: `${pods.api.ip}:8080`,
      peer_principal: '-',
      connection_termination_details: 'filter_chain_not_found',
    });
  });

  it('mTLS from frontend: GET /api/x → 200 through both sidecars, principal logged', async () => {
    const [code, status, body] = await curl(pods.frontend, `http://${pods.api.ip}:8080/api/x`);
    expect(code).toBe(0);
    expect(status).toBe('200');
    expect(body).toBe('hello /api/x');
    const inbound = (await logLines(pods.api)).filter((l) => l['path'] === '/api/x' && l['status'] === 200);
    expect(inbound[0]).toMatchObject({
      direction: 'inbound',
      protocol: 'http',
      method: 'GET',
      peer_principal: 'cluster.local/ns/bm-app/sa/frontend',
      response_code_details: 'via_upstream',
    });
    const outbound = (await logLines(pods.frontend)).filter((l) => l['dst'] === `${pods.api.ip}:8080`);
    expect(outbound[0]).toMatchObject({ direction: 'outbound', upstream_cluster: 'outbound', connection_termination_details: 'via_upstream' });
  });

  it('frontend GET /admin and path tricks → 403 RBAC: access denied naming the DENY rule; /ADMIN → [none]', async () => {
    for (const path of ['/admin', '//admin', '/%2Fadmin']) {
      const [code, status, body] = await curl(pods.frontend, `http://${pods.api.ip}:8080${path}`);
      expect([code, status, body]).toEqual([0, '403', 'RBAC: access denied']);
    }
    const [, upper] = await curl(pods.frontend, `http://${pods.api.ip}:8080/ADMIN`);
    expect(upper).toBe('403');
    const denied = (await logLines(pods.api)).filter((l) => l['status'] === 403);
    expect(denied.map((l) => [l['path'], l['response_code_details']])).toEqual([
      ['/admin', 'rbac_access_denied_matched_policy[ns[bm-app]-policy[deny-admin]-rule[0]]'],
      ['//admin', 'rbac_access_denied_matched_policy[ns[bm-app]-policy[deny-admin]-rule[0]]'],
      ['/%2Fadmin', 'rbac_access_denied_matched_policy[ns[bm-app]-policy[deny-admin]-rule[0]]'],
      ['/ADMIN', 'rbac_access_denied_matched_policy[none]'],
    ]);
  });

  it('a fragment in the request target is stripped before matching (raw request)', async () => {
    const request = `GET /admin#x HTTP/1.1\r\nHost: api\r\nConnection: close\r\n\r\n`;
    const result = await execa('ip', ['netns', 'exec', pods.frontend.netns, 'nc', '-q', '2', '-w', '3', pods.api.ip, '8080'], {
      input: request,
      reject: false,
      timeout: 10_000,
    });
    expect(result.stdout.split('\r\n')[0]).toBe('HTTP/1.1 403 Forbidden');
    expect(result.stdout).toContain('RBAC: access denied');
  });

  it("Envoy's 400s come before any policy; backslash and %5C reach the DENY (DECODE_AND_MERGE_SLASHES)", async () => {
    const raw = async (requestLine: string): Promise<string> => {
      const result = await execa('ip', ['netns', 'exec', pods.frontend.netns, 'nc', '-q', '2', '-w', '3', pods.api.ip, '8080'], {
        input: `${requestLine}\r\nHost: api\r\nConnection: close\r\n\r\n`,
        reject: false,
        timeout: 10_000,
      });
      return result.stdout.split('\r\n')[0] ?? '';
    };
    expect(await raw('get /api/x HTTP/1.1')).toBe('HTTP/1.1 400 Bad Request');
    expect(await raw('GET /api/x%00 HTTP/1.1')).toBe('HTTP/1.1 400 Bad Request');
    expect(await raw('GET /admin\\secret HTTP/1.1')).toBe('HTTP/1.1 403 Forbidden');
    expect(await raw('GET /admin%5Csecret HTTP/1.1')).toBe('HTTP/1.1 403 Forbidden');
    // Decoded once: %2%46 becomes %2F, never a slash, and stays inside /api/*; the test app answers in HTTP/1.0.
    expect(await raw('GET /api/x%2%46y HTTP/1.1')).toMatch(/^HTTP\/1\.[01] 200 OK$/);
    const lines = await logLines(pods.api);
    expect(lines.find((l) => l['method'] === 'get')).toMatchObject({ status: 400, response_code_details: 'http1.codec_error' });
    expect(lines.find((l) => l['path'] === '/api/x%00')).toMatchObject({ status: 400, response_code_details: 'path_normalization_failed' });
  });

  it('the api identity is not frontend: 403 by [none]', async () => {
    const [code, status, body] = await curl(pods.apiClient, `http://${pods.api.ip}:8080/api/x`);
    expect([code, status, body]).toEqual([0, '403', 'RBAC: access denied']);
    const line = (await logLines(pods.api)).find((l) => l['peer_principal'] === 'cluster.local/ns/bm-app/sa/api');
    expect(line).toMatchObject({ status: 403, response_code_details: 'rbac_access_denied_matched_policy[none]' });
  });

  it('ALLOW_ANY: frontend → sink is passed through and logged; UID 1337 bypasses capture with no log line', async () => {
    const [code, status] = await curl(pods.frontend, `http://${pods.sink.ip}:8080/canary-${tag}-a`);
    expect([code, status]).toEqual([0, '200']);
    const [bypassCode, bypassStatus] = await curl(pods.frontend, `http://${pods.sink.ip}:8080/canary-${tag}-b`, true);
    expect([bypassCode, bypassStatus]).toEqual([0, '200']);
    const toSink = (await logLines(pods.frontend)).filter((l) => String(l['dst']).startsWith(`${pods.sink.ip}:`));
    expect(toSink).toHaveLength(1);
    expect(toSink[0]).toMatchObject({ upstream_cluster: 'PassthroughCluster', connection_termination_details: 'PassthroughCluster' });
  });

  it('REGISTRY_ONLY: frontend → sink gets 502 from BlackHoleCluster; back to ALLOW_ANY after removal', async () => {
    objects.push(REGISTRY_ONLY);
    await sidecars.get('frontend')?.reload();
    const [code, status] = await curl(pods.frontend, `http://${pods.sink.ip}:8080/canary-${tag}-c`);
    expect([code, status]).toEqual([0, '502']);
    const tcp = await inPod(pods.frontend, ['nc', '-w', '2', pods.sink.ip, '9000'], false);
    expect(tcp.stdout).toBe('');
    const blackholed = (await logLines(pods.frontend)).filter((l) => l['upstream_cluster'] === 'BlackHoleCluster');
    expect(blackholed.map((l) => [l['dst'], l['status']])).toEqual([
      [`${pods.sink.ip}:8080`, 502],
      [`${pods.sink.ip}:9000`, 0],
    ]);
    // In-mesh traffic is unaffected by REGISTRY_ONLY.
    expect((await curl(pods.frontend, `http://${pods.api.ip}:8080/api/y`))[1]).toBe('200');
    objects.pop();
    await sidecars.get('frontend')?.reload();
    expect((await curl(pods.frontend, `http://${pods.sink.ip}:8080/canary-${tag}-d`))[1]).toBe('200');
  });

  it('admin 15000 answers from inside the pod; stats 15090 answer other pods without capture', async () => {
    const [code, status, body] = await curl(pods.frontend, 'http://127.0.0.1:15000/config_dump');
    expect([code, status]).toEqual([0, '200']);
    expect(JSON.parse(body)).toMatchObject({ pod: 'bm-app/frontend' });
    const [statsCode, statsStatus, stats] = await curl(pods.rogue, `http://${pods.api.ip}:15090/stats/prometheus`);
    expect([statsCode, statsStatus]).toEqual([0, '200']);
    expect(stats).toContain('# TYPE haproxy_process');
    const [, healthStatus] = await curl(pods.rogue, `http://${pods.api.ip}:15021/healthz/ready`);
    expect(healthStatus).toBe('200');
  });

  it('the access log parses into mesh-sidecar evidence for the STRICT refusal', async () => {
    const raw = await readFile(sidecars.get('api')?.accessLogPath ?? '', 'utf8');
    const evidence = parseLabProxyLog(raw, {
      flow: { protocol: 'http', sourceIp: pods.rogue.ip, destinationIp: pods.api.ip, destinationPort: 8080 },
      window: { from: new Date(Date.now() - 60_000), to: new Date() },
    });
    expect(evidence).toHaveLength(1);
    expect(evidence[0]).toMatchObject({ layer: 'mesh-sidecar', source: 'lab-proxy-log', verdict: 'denied' });
    expect(evidence[0]?.detail).toContain('filter_chain_not_found');
  });

  it('POST /quitquitquit from the app stops the proxy', async () => {
    const [code, status, body] = await curl(pods.apiClient, 'http://127.0.0.1:15000/quitquitquit', false, 'POST');
    expect([code, status, body]).toEqual([0, '200', 'OK']);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const listening = await inPod(pods.apiClient, ['ss', '-Htln']);
    expect(listening.stdout).not.toMatch(/:15001\s/);
  });

  it('NET_ADMIN in the pod: `iptables -t nat -F` removes capture; traffic then leaves no log line', async () => {
    const flush = await inPod(pods.frontend, ['iptables', '-t', 'nat', '-F']);
    expect(flush.exitCode).toBe(0);
    const before = (await logLines(pods.frontend)).length;
    const [code, status] = await curl(pods.frontend, `http://${pods.sink.ip}:8080/canary-${tag}-e`);
    expect([code, status]).toEqual([0, '200']);
    expect((await logLines(pods.frontend)).length).toBe(before);
  });

  it('each access log holds whole records of its own pod only, across reloads', async () => {
    for (const pod of [pods.frontend, pods.api]) {
      const lines = await logLines(pod);
      expect(lines.length).toBeGreaterThan(3);
      expect(lines.every((line) => line['pod'] === `${pod.namespace}/${pod.name}`)).toBe(true);
    }
  });
});

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { release } from 'node:os';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../sink/free-port.ts';
import type { PythonService } from '../sink/python-service.ts';
import { startWorkloadServer } from '../workload-server/workload-server-process.ts';
import { composeScript } from '../script-loader.ts';
import { CAPTURE_OPEN_LINE, parseScriptResult, type ScriptResult } from '../script-result.ts';
import { CAPTURE_STOP_PORT, stopCommand } from '../script-stop.ts';
import {
  closedPort,
  startDnsServer,
  startHttpServer,
  startLineServer,
  startResettingServer,
  startUdpServer,
} from './test-servers.ts';

/**
 * The REAL scripts, run with `sh` against servers on 127.0.0.1 or inside network namespaces this file creates
 * and deletes. Timeouts come from nftables drops inside those namespaces — nothing leaves the machine.
 */
const run = promisify(execFile);
const CANARY = 'bm0123456789abcdef';
const NS_PREFIX = `bmcat${process.pid}`;
const namespaces: string[] = [];
const children: ChildProcess[] = [];

async function ip(...args: string[]): Promise<void> {
  await run('ip', args);
}

async function newNetns(suffix: string): Promise<string> {
  const name = `${NS_PREFIX}${suffix}`;
  await ip('netns', 'add', name);
  namespaces.push(name);
  await ip('netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up');
  return name;
}

async function nft(ns: string, ruleset: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { stdio: ['pipe', 'inherit', 'inherit'] });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`nft exited ${String(code)}`))));
    child.stdin.end(ruleset);
  });
}

interface RunOptions {
  readonly netns?: string;
  /** Run as nobody with no capabilities (setpriv), like an unprivileged container. */
  readonly unprivileged?: boolean;
  /** Run as root holding only these capabilities (setpriv bounding set), e.g. `net_raw`. */
  readonly onlyCapabilities?: readonly string[];
}

async function runScript(name: string, env: Record<string, string>, options: RunOptions = {}): Promise<ScriptResult> {
  const command: string[] = [];
  if (options.netns !== undefined) command.push('ip', 'netns', 'exec', options.netns);
  if (options.unprivileged === true) {
    command.push('setpriv', '--reuid', '65534', '--regid', '65534', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all');
  }
  if (options.onlyCapabilities !== undefined) {
    const keep = options.onlyCapabilities.map((capability) => `,+${capability}`).join('');
    command.push('setpriv', '--inh-caps=-all', `--bounding-set=-all${keep}`);
  }
  command.push('sh', '-c', composeScript(name));
  const [file, ...args] = command;
  const fullEnv = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', CONNECT_TIMEOUT: '1', REQUEST_TIMEOUT: '2', DNS_TIMEOUT: '1', ...env };
  try {
    const { stdout, stderr } = await run(file ?? 'sh', args, { env: fullEnv, timeout: 20_000 });
    return parseScriptResult(stdout, stderr, 0);
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; code?: number };
    return parseScriptResult(failed.stdout ?? '', failed.stderr ?? '', typeof failed.code === 'number' ? failed.code : 1);
  }
}

let shims: Promise<{ readonly dir: string; readonly slow: string; readonly stuck: string }> | undefined;

/**
 * `tcpdump` shims to put first on PATH: `slow` opens its capture 2 s late (a loaded machine), `stuck` never does.
 * Made once, removed with the rest after the file.
 */
function tcpdumpShims(): Promise<{ readonly dir: string; readonly slow: string; readonly stuck: string }> {
  shims ??= (async () => {
    const dir = await mkdtemp('/tmp/bm-tcpdump-');
    const real = (await run('sh', ['-c', 'command -v tcpdump'])).stdout.trim();
    await run('mkdir', ['-m', '755', `${dir}/slow-bin`, `${dir}/stuck-bin`]);
    await writeFile(`${dir}/slow-bin/tcpdump`, `#!/bin/sh\nsleep 2\nexec ${real} "$@"\n`, { mode: 0o755 });
    await writeFile(`${dir}/stuck-bin/tcpdump`, '#!/bin/sh\nexec sleep 60\n', { mode: 0o755 });
    return { dir, slow: `${dir}/slow-bin`, stuck: `${dir}/stuck-bin` };
  })();
  return shims;
}

afterAll(async () => {
  if (shims !== undefined) await rm((await shims).dir, { recursive: true, force: true });
  for (const child of children) child.kill('SIGKILL');
  for (const ns of namespaces) await ip('netns', 'del', ns).catch(() => undefined);
});

describe('http-probe.sh', () => {
  let http: Awaited<ReturnType<typeof startHttpServer>>;
  beforeAll(async () => {
    http = await startHttpServer();
  });
  afterAll(() => http.close());

  const probe = (path: string, extra: Record<string, string> = {}): Promise<ScriptResult> =>
    runScript('http-probe.sh', { TARGET_URL: `http://127.0.0.1:${http.port}${path}`, CANARY, ...extra });

  it('reports http-ok for a 200 and sends the canary header', async () => {
    const result = await probe(`/${CANARY}`);
    expect(result.signal).toBe('http-ok');
    expect(result.fields.http_code).toBe(200);
    expect(http.targets).toContain(`GET /${CANARY} canary=${CANARY}`);
  });

  it("maps Envoy's 403 body to http-403 and Cilium's to http-403-cilium", async () => {
    expect((await probe('/rbac')).signal).toBe('http-403');
    expect((await probe('/cilium')).signal).toBe('http-403-cilium');
  });

  it('maps 502 to http-502 and Envoy upstream 503 to reset', async () => {
    expect((await probe('/blackhole')).signal).toBe('http-502');
    const upstream = await probe('/upstream');
    expect(upstream.signal).toBe('reset');
    expect(upstream.detail).toContain('upstream connect error');
  });

  it('treats any other answer of the target as http-ok (a 404 still proves reach)', async () => {
    const result = await probe('/missing');
    expect(result.signal).toBe('http-ok');
    expect(result.fields.http_code).toBe(404);
  });

  it('honours --resolve and the Host header', async () => {
    const result = await probe('', {
      TARGET_URL: `http://allowed.test:${http.port}/resolve-${CANARY}`,
      RESOLVE: `allowed.test:${http.port}:127.0.0.1`,
      HOST_HEADER: 'other.test',
    });
    expect(result.signal).toBe('http-ok');
  });

  it('reports refused for a closed port', async () => {
    const port = await closedPort();
    const result = await runScript('http-probe.sh', { TARGET_URL: `http://127.0.0.1:${port}/`, CANARY });
    expect(result.signal).toBe('refused');
    expect(result.exit).toBe(7);
  });

  it('reports reset when the server resets the connection', async () => {
    const resetting = await startResettingServer();
    try {
      const result = await runScript('http-probe.sh', { TARGET_URL: `http://127.0.0.1:${resetting.port}/`, CANARY });
      expect(result.signal).toBe('reset');
      expect([52, 56]).toContain(result.exit);
    } finally {
      await resetting.close();
    }
  });

  it('reports nxdomain for a name that does not resolve', async () => {
    const result = await runScript('http-probe.sh', { TARGET_URL: 'http://bm-no-such-name.invalid/', CANARY });
    expect(result.signal).toBe('nxdomain');
  });

  it('reports a missing parameter as error', async () => {
    const result = await runScript('http-probe.sh', { CANARY });
    expect(result.signal).toBe('error');
    expect(result.detail).toContain('TARGET_URL');
  });
});

describe('timeouts from a silent drop (nftables in a private namespace)', () => {
  let ns: string;
  beforeAll(async () => {
    ns = await newNetns('d');
    await nft(
      ns,
      `table inet bmdrop {
  chain input { type filter hook input priority 0; policy accept;
    tcp dport 9 drop
    udp dport 53 drop
    tcp dport 53 drop
    icmp type echo-request drop
  }
}
`,
    );
  });

  it('http-probe: curl 28 → timeout', async () => {
    const result = await runScript('http-probe.sh', { TARGET_URL: 'http://127.0.0.1:9/', CANARY }, { netns: ns });
    expect(result.signal).toBe('timeout');
    expect(result.exit).toBe(28);
  });

  it('tcp-probe: nc connect timeout → timeout', async () => {
    const result = await runScript('tcp-probe.sh', { TARGET_HOST: '127.0.0.1', TARGET_PORT: '9', CANARY }, { netns: ns });
    expect(result.signal).toBe('timeout');
  });

  it('icmp-probe: echo dropped → timeout', async () => {
    const result = await runScript('icmp-probe.sh', { TARGET_HOST: '127.0.0.1', CANARY }, { netns: ns });
    expect(result.signal).toBe('timeout');
  });

  it('direct-dns: both transports silent → timeout', async () => {
    const result = await runScript('direct-dns.sh', { SINK_IP: '127.0.0.1', CANARY, DNS_ZONE: 'exfil.test' }, { netns: ns });
    expect(result.signal).toBe('timeout');
    expect(result.fields.udp).toBe('timeout');
    expect(result.fields.tcp).toBe('timeout');
  });
});

describe('tcp-probe.sh, port-scan.sh, udp-send.sh', () => {
  it('connected when the far end answers, and the canary arrives', async () => {
    const server = await startLineServer();
    try {
      const result = await runScript('tcp-probe.sh', { TARGET_HOST: '127.0.0.1', TARGET_PORT: String(server.port), CANARY });
      expect(result.signal).toBe('connected');
      expect(result.detail).toBe('ok');
      expect(server.received).toContain(CANARY);
    } finally {
      await server.close();
    }
  });

  it('reset when the connection is accepted and then reset without a reply', async () => {
    const server = await startResettingServer();
    try {
      const result = await runScript('tcp-probe.sh', { TARGET_HOST: '127.0.0.1', TARGET_PORT: String(server.port), CANARY });
      expect(result.signal).toBe('reset');
    } finally {
      await server.close();
    }
  });

  it('refused on a closed port', async () => {
    const port = await closedPort();
    const result = await runScript('tcp-probe.sh', { TARGET_HOST: '127.0.0.1', TARGET_PORT: String(port), CANARY });
    expect(result.signal).toBe('refused');
  });

  it('port-scan reports each port and connects if any is open', async () => {
    const server = await startLineServer();
    const closed = await closedPort();
    try {
      const result = await runScript('port-scan.sh', { TARGET_HOST: '127.0.0.1', TARGET_PORTS: `${closed} ${server.port}` });
      expect(result.signal).toBe('connected');
      expect(result.fields.open).toBe(server.port);
      expect(result.fields.closed).toBe(`${closed}:refused`);
      const none = await runScript('port-scan.sh', { TARGET_HOST: '127.0.0.1', TARGET_PORTS: String(closed) });
      expect(none.signal).toBe('refused');
    } finally {
      await server.close();
    }
  });

  it('udp-send delivers the canary in a datagram', async () => {
    const udp = await startUdpServer();
    try {
      const result = await runScript('udp-send.sh', { TARGET_HOST: '127.0.0.1', TARGET_PORT: String(udp.port), CANARY });
      expect(result.signal).toBe('delivered');
      expect(udp.received).toContain(CANARY);
    } finally {
      await udp.close();
    }
  });
});

describe('icmp-probe.sh', () => {
  it('answers delivered with the canary hex as the ping pattern', async () => {
    const ns = await newNetns('i');
    const result = await runScript('icmp-probe.sh', { TARGET_HOST: '127.0.0.1', CANARY }, { netns: ns });
    expect(result.signal).toBe('delivered');
    expect(result.fields.pattern).toBe('0123456789abcdef');
  });

  it('falls back to the ASCII hex of a free-form canary', async () => {
    const ns = await newNetns('j');
    const result = await runScript('icmp-probe.sh', { TARGET_HOST: '127.0.0.1', CANARY: 'hello' }, { netns: ns });
    expect(result.signal).toBe('delivered');
    expect(result.fields.pattern).toBe('68656c6c6f');
  });
});

describe('DNS scripts', () => {
  let dns: Awaited<ReturnType<typeof startDnsServer>>;
  beforeAll(async () => {
    dns = await startDnsServer();
  });
  afterAll(() => dns.close());

  it('dns-tunnel carries the canary as the first label', async () => {
    const result = await runScript('dns-tunnel.sh', {
      CANARY,
      DNS_ZONE: 'exfil.test',
      DNS_SERVER: '127.0.0.1',
      DNS_SERVER_PORT: String(dns.port),
    });
    expect(result.signal).toBe('delivered');
    expect(result.fields.answers).toBe(1);
    expect(dns.queries).toContain(`${CANARY}.exfil.test`);
  });

  it('maps NXDOMAIN and REFUSED', async () => {
    const base = { DNS_ZONE: 'exfil.test', DNS_SERVER: '127.0.0.1', DNS_SERVER_PORT: String(dns.port) };
    expect((await runScript('dns-tunnel.sh', { ...base, CANARY: 'nxname' })).signal).toBe('nxdomain');
    expect((await runScript('dns-tunnel.sh', { ...base, CANARY: 'refusedname' })).signal).toBe('dns-refused');
  });

  it('dns-lookup needs an answer: NOERROR without data is not a passing control', async () => {
    const base = { DNS_SERVER: '127.0.0.1', DNS_SERVER_PORT: String(dns.port), QUERY_TYPE: 'TXT' };
    expect((await runScript('dns-lookup.sh', { ...base, QUERY_NAME: 'api.bm-app.svc.cluster.local' })).signal).toBe('delivered');
    const nodata = await runScript('dns-lookup.sh', { ...base, QUERY_NAME: 'nodata.bm-app.svc.cluster.local' });
    expect(nodata.signal).toBe('nxdomain');
    expect(nodata.detail).toContain('no data');
  });

  it('direct-dns reports UDP and TCP separately', async () => {
    const result = await runScript('direct-dns.sh', { SINK_IP: '127.0.0.1', DNS_PORT: String(dns.port), CANARY, DNS_ZONE: 'exfil.test' });
    expect(result.signal).toBe('delivered');
    expect(result.fields.udp).toBe('delivered');
    expect(result.fields.tcp).toBe('delivered');
    expect(dns.queries.filter((name) => name === `${CANARY}.exfil.test`).length).toBeGreaterThanOrEqual(2);
  });
});

describe('path-tricks.sh', () => {
  let http: Awaited<ReturnType<typeof startHttpServer>>;
  beforeAll(async () => {
    http = await startHttpServer();
  });
  afterAll(() => http.close());

  it('sends every variant raw, with the canary in its query (before a fragment), and reports each', async () => {
    const result = await runScript('path-tricks.sh', {
      TARGET_BASE: `http://127.0.0.1:${http.port}`,
      PATHS: '/admin //admin /%2Fadmin /admin#x',
      CANARY,
    });
    expect(result.signal).toBe('http-ok');
    expect(result.detail).toBe('reached via //admin');
    expect(result.fields.received).toBe(`workload=test path=//admin?bm=${CANARY}`);
    // The test server routes on the path without query and fragment, as path-based authorization does.
    expect(result.fields.variants).toBe('/admin=403|http-403 //admin=200|http-ok /%2Fadmin=200|http-ok /admin#x=403|http-403');
    expect(http.targets).toContain(`GET /admin?bm=${CANARY} canary=${CANARY}`);
    expect(http.targets).toContain(`GET //admin?bm=${CANARY} canary=${CANARY}`);
    expect(http.targets).toContain(`GET /%2Fadmin?bm=${CANARY} canary=${CANARY}`);
    expect(http.targets).toContain(`GET /admin?bm=${CANARY}#x canary=${CANARY}`);
  });

  it('is http-403 when every variant is denied', async () => {
    const result = await runScript('path-tricks.sh', { TARGET_BASE: `http://127.0.0.1:${http.port}`, PATHS: '/admin /rbac', CANARY });
    expect(result.signal).toBe('http-403');
  });

  it('is error when no variant reached and none was recognisably blocked', async () => {
    const result = await runScript('path-tricks.sh', { TARGET_BASE: `http://127.0.0.1:${http.port}`, PATHS: '/missing', CANARY });
    expect(result.signal).toBe('error');
    expect(result.fields.variants).toBe('/missing=404|http-ok');
  });
});

describe('envoy-admin.sh and token-api.sh', () => {
  let http: Awaited<ReturnType<typeof startHttpServer>>;
  beforeAll(async () => {
    http = await startHttpServer();
  });
  afterAll(() => http.close());

  it('reads config_dump and posts quitquitquit', async () => {
    const result = await runScript('envoy-admin.sh', { ADMIN_URL: `http://127.0.0.1:${http.port}` });
    expect(result.signal).toBe('http-ok');
    expect(result.fields).toEqual({ config_dump: 200, quitquitquit: 200 });
    expect(http.targets).toContain('POST /quitquitquit canary=');
  });

  it('is refused without an admin listener', async () => {
    const port = await closedPort();
    const result = await runScript('envoy-admin.sh', { ADMIN_URL: `http://127.0.0.1:${port}`, QUIT: '0' });
    expect(result.signal).toBe('refused');
    expect(result.fields.quitquitquit).toBe('skipped');
  });

  it("token-api: the API server's 403 is http-403, a readable path http-ok, no token permission-denied", async () => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const dir = await mkdtemp('/tmp/bm-token-');
    try {
      const tokenFile = `${dir}/token`;
      await writeFile(tokenFile, 'not-a-real-token');
      const base = { API_URL: `http://127.0.0.1:${http.port}`, TOKEN_FILE: tokenFile };
      const denied = await runScript('token-api.sh', { ...base, API_PATH: '/k8s/api/v1/namespaces/bm-app/secrets' });
      expect(denied.signal).toBe('http-403');
      expect(denied.detail).toContain('Forbidden');
      expect((await runScript('token-api.sh', { ...base, API_PATH: '/api/v1/namespaces/bm-app/secrets' })).signal).toBe('http-ok');
      const none = await runScript('token-api.sh', { ...base, TOKEN_FILE: `${dir}/absent`, API_PATH: '/x' });
      expect(none.signal).toBe('permission-denied');
      expect(none.detail).not.toContain('not-a-real-token');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('iptables-flush-probe.sh', () => {
  let ns: string;
  beforeAll(async () => {
    ns = await newNetns('f');
    // A capture like istio-init's: everything TCP leaving the pod goes to 15001, where nothing listens.
    for (const args of [
      ['-t', 'nat', '-N', 'ISTIO_OUTPUT'],
      ['-t', 'nat', '-A', 'OUTPUT', '-p', 'tcp', '-j', 'ISTIO_OUTPUT'],
      ['-t', 'nat', '-A', 'ISTIO_OUTPUT', '-p', 'tcp', '-j', 'REDIRECT', '--to-ports', '15001'],
    ]) {
      await run('ip', ['netns', 'exec', ns, 'iptables-nft', ...args]);
    }
    const server = spawn('ip', ['netns', 'exec', ns, 'sh', '-c', `printf 'HTTP/1.0 200 OK\\r\\n\\r\\nok' | nc -l -N 127.0.0.1 18080`], {
      stdio: 'ignore',
    });
    children.push(server);
    await new Promise((resolve) => setTimeout(resolve, 300));
  });

  it('without NET_ADMIN: permission-denied, capture intact', async () => {
    const result = await runScript('iptables-flush-probe.sh', { TARGET_URL: 'http://127.0.0.1:18080/', CANARY }, { netns: ns, unprivileged: true });
    expect(result.signal).toBe('permission-denied');
    const { stdout } = await run('ip', ['netns', 'exec', ns, 'iptables-nft', '-t', 'nat', '-S']);
    expect(stdout).toContain('REDIRECT');
  });

  it('with NET_ADMIN: flushes nat on both backends and reaches the target directly', async () => {
    const before = await runScript('http-probe.sh', { TARGET_URL: 'http://127.0.0.1:18080/', CANARY }, { netns: ns });
    expect(before.signal).toBe('refused');
    const result = await runScript('iptables-flush-probe.sh', { TARGET_URL: 'http://127.0.0.1:18080/', CANARY }, { netns: ns });
    expect(result.signal).toBe('http-ok');
    expect(result.fields.flushed).toBe('iptables-nft/nat iptables-legacy/nat');
    const { stdout } = await run('ip', ['netns', 'exec', ns, 'iptables-nft', '-t', 'nat', '-S']);
    expect(stdout).not.toContain('REDIRECT');
  });
});

describe('nsenter-escape.sh', () => {
  it("enters another process's network namespace and reaches what only it can see", async () => {
    const target = await newNetns('t');
    const attacker = await newNetns('a');
    const server = spawn('ip', ['netns', 'exec', target, 'sh', '-c', `printf 'HTTP/1.0 200 OK\\r\\n\\r\\nhost' | exec nc -l -N 127.0.0.1 18081`], {
      stdio: 'ignore',
    });
    children.push(server);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // `ip netns exec … sh -c 'exec nc'`: the spawned pid ends up running nc inside the target namespace.
    const pid = String(server.pid);
    const escaped = await runScript('nsenter-escape.sh', { TARGET_URL: 'http://127.0.0.1:18081/', CANARY, NSENTER_TARGET: pid }, { netns: attacker });
    expect(escaped.signal).toBe('http-ok');
    expect(escaped.detail).toContain(`pid ${pid}`);
  });

  it('is permission-denied when the target shares our network namespace (no hostPID)', async () => {
    const ns = await newNetns('s');
    const result = await runScript('nsenter-escape.sh', { TARGET_URL: 'http://127.0.0.1:1/', CANARY, NSENTER_TARGET: 'self' }, { netns: ns });
    expect(result.signal).toBe('permission-denied');
    expect(result.detail).toContain('shares');
  });
});

describe('http-ports.sh', () => {
  let http: Awaited<ReturnType<typeof startHttpServer>>;
  beforeAll(async () => {
    http = await startHttpServer();
  });
  afterAll(() => http.close());

  it('reports every port; one answer makes the cell http-ok (the most permissive signal)', async () => {
    const closed = await closedPort();
    const result = await runScript('http-ports.sh', {
      TARGET_URLS: `http://127.0.0.1:${closed}/stats/prometheus http://127.0.0.1:${http.port}/healthz/ready`,
      CANARY,
    });
    expect(result.signal).toBe('http-ok');
    expect(result.fields.ports).toBe(`${closed}=000|refused ${http.port}=200|http-ok`);
    expect(result.fields.reached).toBe(http.port);
    expect(result.detail).toBe(`answered: ${http.port} (${closed}=000|refused ${http.port}=200|http-ok)`);
    expect(http.targets).toContain(`GET /healthz/ready canary=${CANARY}`);
  });

  it("an API server's 401 or RBAC 403 proves reach", async () => {
    const result = await runScript('http-ports.sh', {
      TARGET_URLS: `http://127.0.0.1:${http.port}/unauthorized http://127.0.0.1:${http.port}/k8s/version`,
      CANARY,
    });
    expect(result.signal).toBe('http-ok');
    expect(result.fields.ports).toBe(`${http.port}=401|http-ok ${http.port}=403|http-ok`);
  });

  it('without any answer: the first block signal, every port still reported', async () => {
    const closed = await closedPort();
    const result = await runScript('http-ports.sh', {
      TARGET_URLS: `http://127.0.0.1:${http.port}/rbac http://127.0.0.1:${closed}/`,
      CANARY,
    });
    expect(result.signal).toBe('http-403');
    expect(result.fields.ports).toBe(`${http.port}=403|http-403 ${closed}=000|refused`);
    expect(result.detail).toContain(`${http.port}: HTTP 403`);
  });

  it('a silent drop is timeout (nftables in a private namespace)', async () => {
    const ns = await newNetns('p');
    await nft(ns, 'table inet bmdrop {\n  chain input { type filter hook input priority 0; policy accept;\n    tcp dport 15021 drop\n  }\n}\n');
    const result = await runScript('http-ports.sh', { TARGET_URLS: 'http://127.0.0.1:15021/healthz/ready', CANARY }, { netns: ns });
    expect(result.signal).toBe('timeout');
    expect(result.fields.ports).toBe('15021=000|timeout');
  });
});

/**
 * Servers for marked-tcp.sh inside a namespace the test owns (stdlib Python): `line` answers `ok` to a line,
 * `http403` answers like Envoy's RBAC filter, `reset` resets after reading, `silent` never answers.
 * What arrived is printed, one line per connection, and collected in `received`.
 */
async function startNetnsServer(ns: string, port: number, mode: 'line' | 'http403' | 'reset' | 'silent'): Promise<{ received: string[] }> {
  const code = `
import socket, struct, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", ${port})); s.listen(8)
print("listening", flush=True)
held = []
while True:
    c, _ = s.accept()
    if "${mode}" == "silent":
        held.append(c); continue
    data = c.recv(4096)
    print(repr(data), flush=True)
    if "${mode}" == "line": c.sendall(b"ok\\n")
    if "${mode}" == "http403": c.sendall(b"HTTP/1.1 403 Forbidden\\r\\ncontent-length: 19\\r\\n\\r\\nRBAC: access denied")
    if "${mode}" == "reset": c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
`;
  const child = spawn('ip', ['netns', 'exec', ns, 'python3', '-c', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const received: string[] = [];
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (exitCode) => reject(new Error(`server exited ${String(exitCode)}`)));
    child.stdout.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line === 'listening') resolve();
        else if (line !== '') received.push(line);
      }
    });
  });
  return { received };
}

describe('marked-tcp.sh (SO_MARK before connect)', () => {
  let ns: string;
  let line: { received: string[] };
  beforeAll(async () => {
    ns = await newNetns('m');
    // Ambient's in-pod capture in miniature: TCP without mark 0x3 is redirected to 15001, where nothing listens.
    await run('ip', ['netns', 'exec', ns, 'iptables-nft', '-t', 'nat', '-A', 'OUTPUT', '-p', 'tcp', '-m', 'mark', '!', '--mark', '0x3/0xfff', '-j', 'REDIRECT', '--to-ports', '15001']);
    line = await startNetnsServer(ns, 19000, 'line');
    await startNetnsServer(ns, 19001, 'http403');
    await startNetnsServer(ns, 19002, 'reset');
    await startNetnsServer(ns, 19003, 'silent');
  });

  const env = (port: number, mark: string, extra: Record<string, string> = {}): Record<string, string> => ({
    TARGET_HOST: '127.0.0.1',
    TARGET_PORT: String(port),
    CANARY,
    SOCKET_MARK: mark,
    ...extra,
  });

  it('mark 0x3 skips the capture and the canary arrives; without the mark the capture takes the connection', async () => {
    const marked = await runScript('marked-tcp.sh', env(19000, '3'), { netns: ns });
    expect(marked.signal).toBe('connected');
    expect(marked.detail).toBe('ok');
    expect(marked.fields.mark).toBe(3);
    expect(line.received.some((text) => text.includes(CANARY))).toBe(true);
    const unmarked = await runScript('marked-tcp.sh', env(19000, '0'), { netns: ns });
    expect(unmarked.signal).toBe('refused');
  });

  it('needs only CAP_NET_RAW since Linux 5.17; with no capability it is permission-denied', async () => {
    const [major = 0, minor = 0] = release().split('.').map(Number);
    const rawOnly = await runScript('marked-tcp.sh', env(19000, '3'), { netns: ns, onlyCapabilities: ['net_raw'] });
    if (major > 5 || (major === 5 && minor >= 17)) expect(rawOnly.signal).toBe('connected');
    else expect(rawOnly.signal).toBe('permission-denied');
    const none = await runScript('marked-tcp.sh', env(19000, '3'), { netns: ns, unprivileged: true });
    expect(none.signal).toBe('permission-denied');
    expect(none.detail).toContain('Operation not permitted');
  });

  it('HTTP mode reads the answer like curl: an Envoy RBAC 403 is http-403', async () => {
    const result = await runScript('marked-tcp.sh', env(19001, '3', { HTTP_PATH: `/api/ping?bm=${CANARY}`, HTTP_HOST: 'api' }), { netns: ns });
    expect(result.signal).toBe('http-403');
    expect(result.fields.http_code).toBe(403);
    expect(result.detail).toBe('HTTP 403: RBAC: access denied');
  });

  it('reset after connect is reset; no answer within the budget is timeout', async () => {
    expect((await runScript('marked-tcp.sh', env(19002, '3'), { netns: ns })).signal).toBe('reset');
    const silent = await runScript('marked-tcp.sh', env(19003, '3'), { netns: ns });
    expect(silent.signal).toBe('timeout');
  });

  it('a missing mark is the harness\'s error', async () => {
    const result = await runScript('marked-tcp.sh', { TARGET_HOST: '127.0.0.1', TARGET_PORT: '19000', CANARY });
    expect(result.signal).toBe('error');
    expect(result.detail).toContain('SOCKET_MARK');
  });
});

describe('packet-capture.sh (tcpdump in a private namespace)', () => {
  const HOST = '127.0.0.2';
  const PORT = 18090;
  const TOKEN = '0123456789abcdef';
  const capture = (extra: Record<string, string> = {}): Record<string, string> => ({
    CAPTURE_HOST: HOST,
    CAPTURE_MAX_SECONDS: '8',
    CAPTURE_DRAIN_SECONDS: '1',
    CAPTURE_STOP_PORT: String(CAPTURE_STOP_PORT),
    CAPTURE_STOP_TOKEN: TOKEN,
    CANARY,
    ...extra,
  });
  const selfSend = { SELF_SEND: '1', SELF_PORT: String(PORT) };

  async function captureNamespace(suffix: string): Promise<string> {
    const ns = await newNetns(suffix);
    const server = spawn('ip', ['netns', 'exec', ns, 'nc', '-l', '-k', HOST, String(PORT)], { stdio: ['ignore', 'ignore', 'ignore'] });
    children.push(server);
    return ns;
  }

  /** A client in `ns` sends `payload` from `source` to the server `delayMs` from now; resolves once it returned. */
  function send(ns: string, payload: string, delayMs = 0, source = '127.0.0.1'): Promise<void> {
    return new Promise((resolve) => {
      setTimeout(() => {
        const client = spawn('ip', ['netns', 'exec', ns, 'sh', '-c', `printf '%s\\n' "$0" | nc -N -w 1 -s ${source} ${HOST} ${PORT}`, payload], { stdio: 'ignore' });
        children.push(client);
        client.on('close', () => resolve());
      }, delayMs);
    });
  }

  interface VictimRun {
    readonly result: ScriptResult;
    readonly openAfterMs?: number;
    /** From the script's start until it ended. */
    readonly tookMs: number;
    /** The stop exec's exit code, when one was sent. */
    readonly stopExit?: number;
  }

  /** The tcpdump process among `pid`'s descendants (this test's own child), found through /proc. */
  async function tcpdumpUnder(pid: number): Promise<number | undefined> {
    const { readFile, readdir } = await import('node:fs/promises');
    const queue = [pid];
    while (queue.length > 0) {
      const current = queue.shift() ?? 0;
      const tasks = await readdir(`/proc/${current}/task`).catch(() => [] as string[]);
      for (const task of tasks) {
        const children = await readFile(`/proc/${current}/task/${task}/children`, 'utf8').catch(() => '');
        for (const child of children.split(' ').filter((word) => word.length > 0).map(Number)) {
          if ((await readFile(`/proc/${child}/comm`, 'utf8').catch(() => '')).trim() === 'tcpdump') return child;
          queue.push(child);
        }
      }
    }
    return undefined;
  }

  /**
   * Runs packet-capture.sh in `ns` the way the runner does: it watches stdout while the script runs; the victim
   * (`payload` from a client, `victimDelayMs` after the open line) sends only once the script printed
   * CAPTURE_OPEN_LINE; once the victim returned and the drain passed, a second exec in the same namespace sends the
   * stop marker with `stopToken` (stopCommand), unless `stop` is false. `pauseTcpdumpMs` freezes tcpdump (SIGSTOP)
   * from the open line until that long after the stop: a loaded machine where tcpdump lags behind its ring.
   */
  async function captureWithVictim(
    ns: string,
    payload: string,
    env: Record<string, string>,
    options: { bin?: string; victimDelayMs?: number; stop?: boolean; stopToken?: string; otherClients?: readonly string[]; pauseTcpdumpMs?: number; noVictim?: boolean } = {},
  ): Promise<VictimRun> {
    const started = performance.now();
    const path = `${options.bin === undefined ? '' : `${options.bin}:`}${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`;
    const child = spawn('ip', ['netns', 'exec', ns, 'sh', '-c', composeScript('packet-capture.sh')], { env: { PATH: path, CONNECT_TIMEOUT: '1', ...env } });
    children.push(child);
    let stdout = '';
    let stderr = '';
    let openAfterMs: number | undefined;
    let victim: Promise<number | undefined> = Promise.resolve(undefined);
    const stopAfterVictim = async (): Promise<number | undefined> => {
      const frozen = options.pauseTcpdumpMs === undefined ? undefined : await tcpdumpUnder(child.pid ?? 0);
      if (options.pauseTcpdumpMs !== undefined && frozen === undefined) throw new Error('no tcpdump under the script');
      if (frozen !== undefined) process.kill(frozen, 'SIGSTOP');
      // Other clients of the same destination (other attempts), first: the victim's flow comes last.
      await Promise.all((options.otherClients ?? []).map((source) => send(ns, 'another client', 0, source)));
      if (options.noVictim !== true) await send(ns, payload, options.victimDelayMs ?? 0);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      let exit: number | undefined;
      if (options.stop !== false && child.exitCode === null) {
        const [file, ...args] = ['ip', 'netns', 'exec', ns, ...stopCommand(options.stopToken ?? TOKEN)];
        exit = await run(file ?? 'ip', args).then(
          () => 0,
          (error: { code?: number }) => error.code ?? 1,
        );
      }
      if (frozen !== undefined) {
        await new Promise((resolve) => setTimeout(resolve, options.pauseTcpdumpMs));
        process.kill(frozen, 'SIGCONT');
      }
      return exit;
    };
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (openAfterMs === undefined && stdout.split('\n').includes(CAPTURE_OPEN_LINE)) {
        openAfterMs = performance.now() - started;
        victim = stopAfterVictim();
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const code = await new Promise<number>((resolve) => child.on('close', (exit) => resolve(exit ?? 1)));
    const tookMs = performance.now() - started;
    const stopExit = await victim;
    return { result: parseScriptResult(stdout, stderr, code), tookMs, ...(openAfterMs === undefined ? {} : { openAfterMs }), ...(stopExit === undefined ? {} : { stopExit }) };
  }

  it('reports the canary seen in plaintext and the flow with the captured host’s port', async () => {
    const ns = await captureNamespace('pc1');
    const { result, openAfterMs } = await captureWithVictim(ns, `GET /api/ping X-Canary: ${CANARY}`, capture());
    expect(openAfterMs).toBeDefined();
    expect(result.signal).toBe('delivered');
    expect(result.fields.canary_seen).toBe(1);
    expect(result.fields.packets).toBeGreaterThan(0);
    expect(String(result.fields.flows).split(' ')).toContain(`127.0.0.1>${HOST}.${PORT}`);
  });

  it('packets of the flow without the canary: captured, canary_seen 0', async () => {
    const ns = await captureNamespace('pc2');
    const { result } = await captureWithVictim(ns, 'opaque bytes that carry no canary', capture());
    expect(result.signal).toBe('delivered');
    expect(result.fields.canary_seen).toBe(0);
    expect(result.fields.packets).toBeGreaterThan(0);
    expect(String(result.fields.flows).split(' ')).toContain(`127.0.0.1>${HOST}.${PORT}`);
  });

  it('with CAPTURE_PEER only the victim’s flows are listed, however many other clients the destination has', async () => {
    const ns = await captureNamespace('pc12');
    const others = Array.from({ length: 20 }, (_, index) => `127.0.0.${10 + index}`);
    const { result } = await captureWithVictim(ns, `GET /api/ping X-Canary: ${CANARY}`, capture({ CAPTURE_PEER: '127.0.0.1' }), { otherClients: others });
    expect(result.signal).toBe('delivered');
    expect(result.fields.canary_seen).toBe(1);
    expect(result.fields.flows).toBe(`127.0.0.1>${HOST}.${PORT}`);
    expect(Number(result.fields.packets)).toBeGreaterThan(Number(result.fields.peer_packets));
    expect(result.fields.peer_packets).toBeGreaterThan(0);
    expect(result.detail).toMatch(/captured, [1-9][0-9]* of them with 127\.0\.0\.1$/);
  });

  it('the stop marker ends the capture at once, statistics and the victim’s packets included; markers are not counted', async () => {
    const ns = await captureNamespace('pc9');
    const { result, tookMs, stopExit } = await captureWithVictim(ns, `GET /api/ping X-Canary: ${CANARY}`, capture({ CAPTURE_MAX_SECONDS: '15' }));
    expect(stopExit).toBe(0);
    expect(result.signal).toBe('delivered');
    expect(result.fields.canary_seen).toBe(1);
    expect(result.detail).toMatch(/^[1-9][0-9]* packets to or from 127\.0\.0\.2 captured$/);
    expect(String(result.fields.flows).split(' ')).toEqual([`127.0.0.1>${HOST}.${PORT}`]);
    // Victim, drain and stop: far below the 15 s bound.
    expect(tookMs).toBeLessThan(8_000);
  });

  it('a capture that saw only its own marker ("1 packet captured", tcpdump’s singular) reads 0 packets, not an error', async () => {
    const ns = await captureNamespace('pc15');
    const { result, stopExit } = await captureWithVictim(ns, '', capture({ CAPTURE_MAX_SECONDS: '15' }), { noVictim: true });
    expect(stopExit).toBe(0);
    expect([result.signal, result.fields.packets, result.fields.canary_seen]).toEqual(['delivered', 0, 0]);
  });

  it('a tcpdump lagging behind its ring still prints the victim’s packets queued before the stop, then ends', async () => {
    const ns = await captureNamespace('pc13');
    const { result, tookMs, stopExit } = await captureWithVictim(ns, `GET /api/ping X-Canary: ${CANARY}`, capture({ CAPTURE_MAX_SECONDS: '15' }), { pauseTcpdumpMs: 2_000 });
    expect(stopExit).toBe(0);
    expect(result.fields.dropped).toBe(0);
    expect(result.signal).toBe('delivered');
    expect(result.fields.canary_seen).toBe(1);
    expect(tookMs).toBeLessThan(10_000);
  });

  it('a marker with another token (another sniffer in the same network namespace) is ignored: the bound ends it', async () => {
    const ns = await captureNamespace('pc14');
    const { result, tookMs } = await captureWithVictim(ns, `GET /api/ping X-Canary: ${CANARY}`, capture({ CAPTURE_MAX_SECONDS: '4' }), { stopToken: 'fedcba9876543210' });
    expect(result.signal).toBe('delivered');
    expect(result.fields.canary_seen).toBe(1);
    expect(tookMs).toBeGreaterThanOrEqual(3_900);
  });

  it('a victim that sends late (a loaded machine) is inside the capture: it lasts until stopped, not a fixed window after open', async () => {
    const ns = await captureNamespace('pc10');
    const { result, openAfterMs, tookMs } = await captureWithVictim(ns, `GET /api/ping X-Canary: ${CANARY}`, capture({ CAPTURE_MAX_SECONDS: '15' }), { victimDelayMs: 7_500 });
    expect(result.signal).toBe('delivered');
    expect(result.fields.canary_seen).toBe(1);
    expect(tookMs - (openAfterMs ?? 0)).toBeGreaterThan(7_500);
    expect(tookMs).toBeLessThan(14_000);
  }, 25_000);

  it('without a stop the capture ends on its bound from tcpdump’s start, with its result', async () => {
    const ns = await captureNamespace('pc11');
    const { result, tookMs } = await captureWithVictim(ns, `GET /api/ping X-Canary: ${CANARY}`, capture({ CAPTURE_MAX_SECONDS: '3' }), { stop: false });
    expect(result.signal).toBe('delivered');
    expect(result.fields.canary_seen).toBe(1);
    expect(tookMs).toBeGreaterThanOrEqual(2_900);
    expect(tookMs).toBeLessThan(6_000);
  });

  it('a capture that opens late (tcpdump slow to start) still sees the canary sent after its open line', async () => {
    const ns = await captureNamespace('pc6');
    const { result, openAfterMs } = await captureWithVictim(ns, `GET /api/ping X-Canary: ${CANARY}`, capture(), { bin: `${(await tcpdumpShims()).slow}` });
    // The open line waited for tcpdump itself, not for a fixed lead.
    expect(openAfterMs).toBeGreaterThanOrEqual(2_000);
    expect(result.signal).toBe('delivered');
    expect(result.fields.canary_seen).toBe(1);
  });

  it('the control passes only on its own captured canary and ends its capture after the send; without a listener it fails', async () => {
    const ns = await captureNamespace('pc3');
    const started = performance.now();
    const passed = await runScript('packet-capture.sh', capture({ ...selfSend, CAPTURE_MAX_SECONDS: '15' }), { netns: ns });
    expect(passed.signal).toBe('delivered');
    expect(passed.fields.canary_seen).toBe(1);
    // Its send, the drain, the stop: not the 15 s bound.
    expect(performance.now() - started).toBeLessThan(8_000);
    const silent = await newNetns('pc4');
    const failed = await runScript('packet-capture.sh', capture(selfSend), { netns: silent });
    expect(failed.signal).toBe('timeout');
    expect(failed.fields.canary_seen).toBe(0);
  });

  it('the control sends its canary once the capture is open, however late that is', async () => {
    const ns = await captureNamespace('pc7');
    const { result } = await captureWithVictim(ns, 'the victim carries no canary here', capture(selfSend), { bin: (await tcpdumpShims()).slow, stop: false });
    expect(result.signal).toBe('delivered');
    expect(result.detail).toContain('captured its own plaintext canary');
  });

  it('a capture that never opens prints no open line and ends on its own bound with an error', async () => {
    const ns = await captureNamespace('pc8');
    const started = performance.now();
    const { result, openAfterMs } = await captureWithVictim(ns, CANARY, capture({ CAPTURE_MAX_SECONDS: '2' }), { bin: (await tcpdumpShims()).stuck });
    expect(openAfterMs).toBeUndefined();
    expect(result.signal).toBe('error');
    expect(result.detail).toContain('tcpdump did not run');
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('permission-denied without CAP_NET_RAW', async () => {
    const ns = await newNetns('pc5');
    const result = await runScript('packet-capture.sh', capture({ CAPTURE_MAX_SECONDS: '2' }), { netns: ns, onlyCapabilities: [] });
    expect(result.signal).toBe('permission-denied');
  });
});

describe('spoofed-udp.sh (raw socket with IP_HDRINCL, between two namespaces this test links)', () => {
  let attacker: string;
  let receiver: string;
  beforeAll(async () => {
    attacker = await newNetns('sa');
    receiver = await newNetns('sb');
    await ip('link', 'add', 'bmspA', 'netns', attacker, 'type', 'veth', 'peer', 'name', 'bmspB', 'netns', receiver);
    await ip('-n', attacker, 'addr', 'add', '10.99.0.1/24', 'dev', 'bmspA');
    await ip('-n', receiver, 'addr', 'add', '10.99.0.2/24', 'dev', 'bmspB');
    await ip('-n', attacker, 'link', 'set', 'bmspA', 'up');
    await ip('-n', receiver, 'link', 'set', 'bmspB', 'up');
  });

  /**
   * Binds 10.99.0.2:`port` in the receiver namespace; resolves once it listens, with the promise of the first
   * datagram there as `<source address> <payload>` (`none` after 4 s).
   */
  function listening(port: number): Promise<{ readonly received: Promise<string> }> {
    const code = `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("10.99.0.2", ${port})); s.settimeout(4)
print("listening", flush=True)
try:
    data, (source, _) = s.recvfrom(2048)
    print(source, data.decode().strip(), flush=True)
except socket.timeout:
    print("none", flush=True)
`;
    const child = spawn('ip', ['netns', 'exec', receiver, 'python3', '-c', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    return new Promise((resolveListening, reject) => {
      let resolveReceived: (line: string) => void = () => undefined;
      const received = new Promise<string>((resolve) => {
        resolveReceived = resolve;
      });
      child.once('exit', (exitCode) => reject(new Error(`receiver exited ${String(exitCode)}`)));
      let pending = '';
      child.stdout.on('data', (chunk: Buffer) => {
        // Whole lines only: a chunk may end mid-line.
        const lines = (pending + chunk.toString('utf8')).split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          if (line === 'listening') resolveListening({ received });
          else if (line !== '') resolveReceived(line);
        }
      });
    });
  }

  it('the receiver sees the forged source address and the canary', async () => {
    const receiver77 = await listening(19100);
    const result = await runScript('spoofed-udp.sh', { TARGET_HOST: '10.99.0.2', TARGET_PORT: '19100', CANARY, SPOOF_SOURCE: '10.99.0.77' }, { netns: attacker });
    expect(result.signal).toBe('delivered');
    expect(result.fields.source).toBe('10.99.0.77');
    expect(await receiver77.received).toBe(`10.99.0.77 ${CANARY}`);
  });

  it('CAP_NET_RAW alone is enough; without it the raw socket is refused and nothing is sent', async () => {
    const withRaw = await listening(19101);
    const raw = await runScript('spoofed-udp.sh', { TARGET_HOST: '10.99.0.2', TARGET_PORT: '19101', CANARY, SPOOF_SOURCE: '10.99.0.78' }, { netns: attacker, onlyCapabilities: ['net_raw'] });
    expect(raw.signal).toBe('delivered');
    expect(await withRaw.received).toBe(`10.99.0.78 ${CANARY}`);
    const without = await listening(19102);
    const none = await runScript('spoofed-udp.sh', { TARGET_HOST: '10.99.0.2', TARGET_PORT: '19102', CANARY, SPOOF_SOURCE: '10.99.0.79' }, { netns: attacker, unprivileged: true });
    expect(none.signal).toBe('permission-denied');
    expect(await without.received).toBe('none');
  });

  it('a malformed forged address is the harness\'s error', async () => {
    const result = await runScript('spoofed-udp.sh', { TARGET_HOST: '10.99.0.2', TARGET_PORT: '19103', CANARY, SPOOF_SOURCE: '10.99.0.777' }, { netns: attacker });
    expect(result.signal).toBe('error');
  });
});

describe('token-api.sh writes (LM5: server-side dry-run create)', () => {
  let http: Awaited<ReturnType<typeof startHttpServer>>;
  let dir: string;
  let tokenFile: string;
  beforeAll(async () => {
    http = await startHttpServer();
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    dir = await mkdtemp('/tmp/bm-token-');
    tokenFile = `${dir}/token`;
    await writeFile(tokenFile, 'not-a-real-token');
  });
  afterAll(async () => {
    await http.close();
    const { rm } = await import('node:fs/promises');
    await rm(dir, { recursive: true, force: true });
  });

  const body = JSON.stringify({ apiVersion: 'v1', kind: 'Service', spec: { externalIPs: ['198.51.100.10'] } });
  const env = (path: string): Record<string, string> => ({ API_URL: `http://127.0.0.1:${http.port}`, TOKEN_FILE: tokenFile, API_PATH: path, API_METHOD: 'POST', API_BODY: body });

  it('POSTs the JSON body; 201 (the API server would create it) is http-ok', async () => {
    const result = await runScript('token-api.sh', env('/k8s-create/api/v1/namespaces/bm-app/services?dryRun=All'));
    expect(result.signal).toBe('http-ok');
    expect(result.fields.http_code).toBe(201);
    expect(http.targets).toContain('POST /k8s-create/api/v1/namespaces/bm-app/services?dryRun=All canary=');
    expect(http.bodies).toContain(body);
  });

  it("RBAC's 403 is http-403; an admission policy's refusal is admission-denied", async () => {
    expect((await runScript('token-api.sh', env('/k8s/api/v1/namespaces/bm-app/services?dryRun=All'))).signal).toBe('http-403');
    const refused = await runScript('token-api.sh', env('/k8s-vap/api/v1/namespaces/bm-app/services?dryRun=All'));
    expect(refused.signal).toBe('admission-denied');
    expect(refused.fields.http_code).toBe(422);
    expect(refused.detail).toContain('ValidatingAdmissionPolicy');
  });
});

describe('ipv6-rogue-ra.sh and ipv6-link-peer.sh (a pod-side and a host-side namespace this test links)', () => {
  let pod: string;
  let host: string;
  beforeAll(async () => {
    pod = await newNetns('ra');
    host = await newNetns('rh');
    await ip('link', 'add', 'eth0', 'netns', pod, 'type', 'veth', 'peer', 'name', 'bmrahost', 'netns', host);
    for (const ns of [pod, host]) {
      await run('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=0', 'net.ipv6.conf.default.disable_ipv6=0', 'net.ipv6.conf.all.forwarding=0']);
    }
    // The host side as an affected CNI left it (CVE-2020-10749): RAs accepted, addresses autoconfigured.
    await run('ip', ['netns', 'exec', host, 'sysctl', '-qw', 'net.ipv6.conf.bmrahost.accept_ra=1', 'net.ipv6.conf.bmrahost.autoconf=1']);
    await ip('-n', pod, 'link', 'set', 'eth0', 'up');
    await ip('-n', host, 'link', 'set', 'bmrahost', 'up');
    // Link-local addresses finish DAD before anything is sent.
    await new Promise((resolve) => setTimeout(resolve, 2500));
  });

  async function hostAddresses(): Promise<string> {
    const { stdout } = await run('ip', ['-n', host, '-6', 'addr', 'show', 'dev', 'bmrahost']);
    return stdout;
  }

  it('the link peer answers all-nodes; our own answer does not count', async () => {
    const result = await runScript('ipv6-link-peer.sh', { CANARY }, { netns: pod });
    expect(result.signal).toBe('delivered');
    expect(String(result.fields.peer)).toMatch(/^fe80::/);
    expect(await hostAddresses()).toContain(String(result.fields.peer));
  });

  it('a host that accepts RAs takes the canary prefix: its DAD is seen, and the address is really there', async () => {
    const result = await runScript('ipv6-rogue-ra.sh', { CANARY, CAPTURE_SECONDS: '4' }, { netns: pod });
    expect(result.signal).toBe('delivered');
    expect(result.fields.prefix).toBe('2001:db8:a012:b345::/64');
    expect(await hostAddresses()).toContain(String(result.fields.address));
    // Multicast loop is off: the pod did not configure the rogue prefix on itself.
    const { stdout } = await run('ip', ['-n', pod, '-6', 'addr', 'show', 'dev', 'eth0']);
    expect(stdout).not.toContain('2001:db8:a012:b345');
  });

  it('the RA leaves only once tcpdump reports its capture open: a capture 2 s slow to open still sees the DAD', async () => {
    const path = `${(await tcpdumpShims()).slow}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`;
    const result = await runScript('ipv6-rogue-ra.sh', { CANARY: 'bm0a0b1c2d3e4f5a6b', CAPTURE_SECONDS: '6', PATH: path }, { netns: pod });
    expect(result.signal).toBe('delivered');
    expect(result.fields.prefix).toBe('2001:db8:a0a0:bb1c::/64');
    expect(await hostAddresses()).toContain(String(result.fields.address));
  }, 15_000);

  it('a capture that never opens sends no RA and says so: error', async () => {
    const path = `${(await tcpdumpShims()).stuck}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`;
    const result = await runScript('ipv6-rogue-ra.sh', { CANARY: 'bm0c0d1c2d3e4f5a6b', CAPTURE_SECONDS: '2', PATH: path }, { netns: pod });
    expect([result.signal, result.detail]).toEqual(['error', 'tcpdump did not open its capture within 2s, so no RA was sent: no message']);
    expect(await hostAddresses()).not.toContain('2001:db8:a0c0:bd1c');
  });

  it('a host with accept_ra 0 (the CVE fix) configures nothing: timeout', async () => {
    await run('ip', ['netns', 'exec', host, 'sysctl', '-qw', 'net.ipv6.conf.bmrahost.accept_ra=0']);
    const result = await runScript('ipv6-rogue-ra.sh', { CANARY: 'bmfedcba9876543210', CAPTURE_SECONDS: '3' }, { netns: pod });
    expect([result.signal, result.detail]).toEqual(['timeout', 'RA sent; no host configured 2001:db8:afed:bcba::/64 within 3s (no DAD seen)']);
    expect(await hostAddresses()).not.toContain('2001:db8:afed:bcba');
  });

  it('without CAP_NET_RAW the RA cannot be sent: permission-denied', async () => {
    const result = await runScript('ipv6-rogue-ra.sh', { CANARY, CAPTURE_SECONDS: '2' }, { netns: pod, unprivileged: true });
    expect(result.signal).toBe('permission-denied');
  });

  it('with IPv6 off in the pod: unreachable (no link-local address)', async () => {
    const off = await newNetns('r6');
    await run('ip', ['netns', 'exec', off, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1']);
    await ip('-n', off, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'bmraoff');
    await ip('-n', off, 'link', 'set', 'eth0', 'up');
    expect((await runScript('ipv6-rogue-ra.sh', { CANARY, CAPTURE_SECONDS: '2' }, { netns: off })).signal).toBe('unreachable');
    expect((await runScript('ipv6-link-peer.sh', { CANARY }, { netns: off })).signal).toBe('unreachable');
  });
});

describe('localnet-probe.sh (a pod and its node as two namespaces this test links, CVE-2020-8558)', () => {
  let pod: string;
  let node: string;
  beforeAll(async () => {
    pod = await newNetns('lp');
    node = await newNetns('ln');
    // Routed like kindnet's ptp plugin: a /32 in the pod, a default route via the node's side of the veth.
    await ip('link', 'add', 'eth0', 'netns', pod, 'type', 'veth', 'peer', 'name', 'bmlnnode', 'netns', node);
    await ip('-n', pod, 'addr', 'add', '10.99.1.2/32', 'dev', 'eth0');
    await ip('-n', node, 'addr', 'add', '10.99.1.1/32', 'dev', 'bmlnnode');
    await ip('-n', pod, 'link', 'set', 'eth0', 'up');
    await ip('-n', node, 'link', 'set', 'bmlnnode', 'up');
    await ip('-n', pod, 'route', 'add', '10.99.1.1', 'dev', 'eth0', 'scope', 'link');
    await ip('-n', pod, 'route', 'add', 'default', 'via', '10.99.1.1', 'dev', 'eth0');
    await ip('-n', node, 'route', 'add', '10.99.1.2/32', 'dev', 'bmlnnode');
    // A service bound to the node's loopback only.
    children.push(spawn('ip', ['netns', 'exec', node, 'nc', '-l', '-k', '127.0.0.1', '18248'], { stdio: 'ignore' }));
  });

  // The canary sets the source port: each case its own, so no conntrack entry of an earlier case (established once
  // the node answered) lets a later SYN past the rule.
  const probe = (port: number, canary: string, options: RunOptions = { netns: pod }): Promise<ScriptResult> =>
    runScript('localnet-probe.sh', { CANARY: canary, TARGET_PORT: String(port), CAPTURE_SECONDS: '3' }, options);

  async function routeLocalnet(value: 0 | 1): Promise<void> {
    await run('ip', ['netns', 'exec', node, 'sysctl', '-qw', `net.ipv4.conf.all.route_localnet=${value}`, `net.ipv4.conf.bmlnnode.route_localnet=${value}`]);
  }

  it('with route_localnet=1 the node answers from 127.0.0.1: SYN-ACK from a listener, RST from a closed port', async () => {
    await routeLocalnet(1);
    const open = await probe(18248, 'bm1111000000000000');
    expect([open.signal, open.detail]).toEqual(['connected', "the node's 127.0.0.1:18248 accepted a SYN from 10.99.1.2 (SYN-ACK)"]);
    const closed = await probe(18249, 'bm2222000000000000');
    expect(closed.signal).toBe('connected');
    expect(closed.detail).toContain('RST');
  });

  it("kube-proxy's and kubelet's rule (non-local to 127.0.0.0/8 dropped) or route_localnet=0: timeout", async () => {
    await routeLocalnet(1);
    await nft(
      node,
      `table ip bmkubefw {
  chain input { type filter hook input priority 0; policy accept;
    ip saddr != 127.0.0.0/8 ip daddr 127.0.0.0/8 ct state != { established, related } drop
  }
}
`,
    );
    expect((await probe(18248, 'bm3333000000000000')).signal).toBe('timeout');
    await run('ip', ['netns', 'exec', node, 'nft', 'delete', 'table', 'ip', 'bmkubefw']);
    await routeLocalnet(0);
    expect((await probe(18248, 'bm4444000000000000')).signal).toBe('timeout');
  });

  it('the frame leaves only once tcpdump reports its capture open: a capture 2 s slow to open still sees the RST', async () => {
    await routeLocalnet(1);
    const path = `${(await tcpdumpShims()).slow}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`;
    const closed = await runScript('localnet-probe.sh', { CANARY: 'bm6666000000000000', TARGET_PORT: '18249', CAPTURE_SECONDS: '5', PATH: path }, { netns: pod });
    expect(closed.signal).toBe('connected');
    expect(closed.detail).toContain('RST');
  }, 15_000);

  it('without CAP_NET_RAW no frame can be written: permission-denied', async () => {
    await routeLocalnet(1);
    expect((await probe(18248, 'bm5555000000000000', { netns: pod, unprivileged: true })).signal).toBe('permission-denied');
  });
});

describe('forged-header.sh (against the real workload server, which echoes the headers it received)', () => {
  let workload: PythonService;
  let port = 0;
  let http: Awaited<ReturnType<typeof startHttpServer>>;
  beforeAll(async () => {
    port = await freePort('127.0.0.1');
    workload = await startWorkloadServer({ name: 'api', bind: '127.0.0.1', httpPorts: [port] });
    http = await startHttpServer();
  });
  afterAll(async () => {
    await workload.stop();
    await http.close();
  });
  const forged = `X-Forwarded-Client-Cert: URI=spiffe://cluster.local/ns/bm-app/sa/${CANARY}\nX-Forwarded-For: 203.0.113.7`;

  it('is http-ok when the forged value reached the workload, sending every forged header', async () => {
    const result = await runScript('forged-header.sh', {
      TARGET_URL: `http://127.0.0.1:${port}/api/ping`, CANARY, FORGED_HEADERS: forged, WATCH_HEADER: 'x-forwarded-client-cert', WATCH_VALUE: `sa/${CANARY}`,
    });
    expect(result.signal).toBe('http-ok');
    expect(result.fields.received).toBe(`URI=spiffe://cluster.local/ns/bm-app/sa/${CANARY}`);
    const xff = await runScript('forged-header.sh', {
      TARGET_URL: `http://127.0.0.1:${port}/api/ping`, CANARY, FORGED_HEADERS: forged, WATCH_HEADER: 'x-forwarded-for', WATCH_VALUE: '203.0.113.7',
    });
    expect(xff.signal).toBe('http-ok');
  });

  it('is header-stripped when the workload answered without the forged value, saying what arrived instead', async () => {
    const replaced = await runScript('forged-header.sh', {
      TARGET_URL: `http://127.0.0.1:${port}/api/ping`, CANARY, FORGED_HEADERS: forged, WATCH_HEADER: 'x-forwarded-client-cert', WATCH_VALUE: 'sa/someone-else',
    });
    expect(replaced.signal).toBe('header-stripped');
    expect(replaced.fields.received).toBe(`URI=spiffe://cluster.local/ns/bm-app/sa/${CANARY}`);
    const absent = await runScript('forged-header.sh', {
      TARGET_URL: `http://127.0.0.1:${port}/api/ping`, CANARY, FORGED_HEADERS: forged, WATCH_HEADER: 'x-envoy-ip-tags', WATCH_VALUE: CANARY,
    });
    expect(absent.signal).toBe('header-stripped');
    expect(absent.fields.received).toBe('(none)');
  });

  it("passes a proxy's refusal through, and is error when the answer is not the workload's echo", async () => {
    const denied = await runScript('forged-header.sh', {
      TARGET_URL: `http://127.0.0.1:${http.port}/rbac`, CANARY, FORGED_HEADERS: forged, WATCH_HEADER: 'x-forwarded-for', WATCH_VALUE: '203.0.113.7',
    });
    expect(denied.signal).toBe('http-403');
    const other = await runScript('forged-header.sh', {
      TARGET_URL: `http://127.0.0.1:${http.port}/missing`, CANARY, FORGED_HEADERS: forged, WATCH_HEADER: 'x-forwarded-for', WATCH_VALUE: '203.0.113.7',
    });
    expect(other.signal).toBe('error');
    expect(other.detail).toContain('not the workload');
  });
});

import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadInputError } from '../../core/domain/errors.ts';
import { TIMEOUTS } from '../../core/timeouts.ts';
import type { PythonService } from '../sink/python-service.ts';
import { freePort } from '../sink/free-port.ts';
import { startWorkloadServer, WORKLOAD_SERVER_SCRIPT, workloadServerCommand } from './workload-server-process.ts';

const HOST = '127.0.0.1';

function firstLine(body: string): string {
  return body.split('\n')[0] ?? '';
}

async function run(file: string, args: readonly string[], input?: string) {
  return execa(file, args, { reject: false, timeout: TIMEOUTS.scriptExecMs, ...(input === undefined ? {} : { input }) });
}

describe('workload server (real process on loopback)', () => {
  let server: PythonService;
  let http: number;
  let metrics: number;
  let tcp: number;

  beforeAll(async () => {
    http = await freePort(HOST);
    metrics = await freePort(HOST);
    tcp = await freePort(HOST);
    server = await startWorkloadServer({ name: 'api', bind: HOST, httpPorts: [http, metrics], tcpPorts: [tcp] });
  });

  afterAll(async () => {
    await server.stop();
    expect(() => process.kill(server.pid, 0)).toThrow();
  });

  it('says it is ready with the ports it bound', () => {
    expect(server.ready).toMatchObject({ event: 'ready', workload: 'api', httpPorts: [http, metrics], tcpPorts: [tcp] });
  });

  it('answers any path with its name and the raw path, on every HTTP port', async () => {
    const curl = async (port: number, path: string, ...extra: string[]): Promise<string> =>
      firstLine((await run('curl', ['-sS', '--path-as-is', ...extra, `http://${HOST}:${port}${path}`])).stdout);
    expect(await curl(http, '/api/items?id=1')).toBe('workload=api path=/api/items?id=1');
    expect(await curl(http, '//admin')).toBe('workload=api path=//admin');
    expect(await curl(http, '/%2Fadmin')).toBe('workload=api path=/%2Fadmin');
    expect(await curl(http, '/ADMIN', '-X', 'DELETE')).toBe('workload=api path=/ADMIN');
    expect(await curl(metrics, '/stats/prometheus')).toBe('workload=api path=/stats/prometheus');
    const status = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', `http://${HOST}:${http}/x`]);
    expect(status.stdout).toBe('200');
  });

  it('echoes every request header it received, one `header <name>: <value>` line each, names in lower case', async () => {
    const curl = await run('curl', ['-sS', '-H', 'X-Forwarded-Client-Cert: By=spiffe://forged', '-H', 'X-Forwarded-For: 10.9.9.9', `http://${HOST}:${http}/api/ping`]);
    const lines = curl.stdout.split('\n');
    expect(lines[0]).toBe('workload=api path=/api/ping');
    expect(lines).toContain('header x-forwarded-client-cert: By=spiffe://forged');
    expect(lines).toContain('header x-forwarded-for: 10.9.9.9');
    expect(lines).toContain(`header host: ${HOST}:${http}`);
  });

  it('logs one JSON line per HTTP request with the raw path', async () => {
    await run('curl', ['-sS', '--path-as-is', `http://${HOST}:${http}//admin/log-check`]);
    // The server logs after it answered, so the line may arrive just after curl returns.
    await expect.poll(() => server.events()).toContainEqual(
      expect.objectContaining({ event: 'http', workload: 'api', port: http, method: 'GET', path: '//admin/log-check', from: HOST, status: 200 }),
    );
  });

  it('greets TCP clients with its name and echoes their first line, and logs it', async () => {
    const nc = await run('nc', ['-N', '-w', String(TIMEOUTS.connectSeconds), HOST, String(tcp)], 'SELECT 1;\nsecond line\n');
    expect(nc.exitCode).toBe(0);
    expect(nc.stdout).toBe('workload=api\nSELECT 1;');
    await expect.poll(() => server.events()).toContainEqual(expect.objectContaining({ event: 'tcp', workload: 'api', port: tcp, line: 'SELECT 1;' }));
  });
});

describe('workload server command', () => {
  it('repeats the port flags and refuses a server with no port', () => {
    expect(workloadServerCommand({ name: 'db', tcpPorts: [5432] })).toEqual([
      'python3', WORKLOAD_SERVER_SCRIPT, '--name', 'db', '--bind', '0.0.0.0', '--tcp-port', '5432',
    ]);
    expect(workloadServerCommand({ name: 'api', httpPorts: [8080, 9090] })).toEqual([
      'python3', WORKLOAD_SERVER_SCRIPT, '--name', 'api', '--bind', '0.0.0.0', '--http-port', '8080', '--http-port', '9090',
    ]);
    expect(() => workloadServerCommand({ name: 'x' })).toThrow(BadInputError);
  });

  it('the script itself exits 2 without ports and 3 on a taken port', async () => {
    expect((await run('python3', [WORKLOAD_SERVER_SCRIPT, '--name', 'x'])).exitCode).toBe(2);
    const port = await freePort(HOST);
    const first = await startWorkloadServer({ name: 'first', bind: HOST, httpPorts: [port] });
    try {
      const second = await run('python3', [WORKLOAD_SERVER_SCRIPT, '--name', 'second', '--bind', HOST, '--http-port', String(port)]);
      expect(second.exitCode).toBe(3);
      expect(second.stderr).toContain(`cannot bind HTTP ${HOST}:${port}`);
    } finally {
      await first.stop();
    }
  });
});

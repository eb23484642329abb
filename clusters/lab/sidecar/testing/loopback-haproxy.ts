import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { freePort } from '../../../../attack-pods/sink/free-port.ts';

/**
 * A throw-away HAProxy on loopback for the differential tests (the sidecar's HAProxy lines against the TypeScript
 * model): a config of test lines around one `inbound_http` frontend, raw HTTP/1.1 over a socket (no client
 * normalises anything).
 */
export interface LoopbackHaproxy {
  readonly port: number;
  /** Kill its process group (it runs detached). */
  kill(): void;
}

/** The lines every such config opens with: HTTP mode, short timeouts, the frontend bound to loopback `port`. */
export function loopbackHttpFrontend(port: number): string[] {
  return [
    'global',
    '  expose-experimental-directives',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 5s',
    '  timeout server 5s',
    'frontend inbound_http',
    `  bind 127.0.0.1:${port}`,
  ];
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

async function waitForListener(port: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`haproxy on ${port} did not listen`);
}

/** Write `config(port)` to `configFile` (mode 0600) on a free loopback port, start HAProxy on it, wait until it listens. */
export async function startLoopbackHaproxy(configFile: string, config: (port: number) => string): Promise<LoopbackHaproxy> {
  const port = await freePort('127.0.0.1');
  await writeFile(configFile, config(port), { mode: 0o600 });
  const child = spawn('haproxy', ['-db', '-f', configFile], { stdio: 'ignore', detached: true });
  try {
    await waitForListener(port);
  } catch (error) {
    killGroup(child);
    throw error;
  }
  return { port, kill: () => killGroup(child) };
}

/** Send `request` (raw bytes, latin1) and read until the proxy closes: the status line's code and the body. */
export function rawHttpExchange(port: number, request: string, what: string): Promise<{ readonly status: number; readonly body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let data = '';
    socket.setTimeout(5_000, () => socket.destroy(new Error(`no answer to ${what}`)));
    socket.on('data', (chunk) => (data += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(data)?.[1] ?? 0);
      resolve({ status, body: data.split('\r\n\r\n').slice(1).join('\r\n\r\n') });
    });
    socket.write(request, 'latin1');
  });
}

import { createWriteStream, type WriteStream } from 'node:fs';
import { openAppendNoFollow } from '../../../core/host/owned-files.ts';
import { LAB_PROCESS_CWD } from '../process-cwd.ts';
import { readFile } from 'node:fs/promises';
import { spawnHost, type ProcessExit } from '../../../core/host/spawn-host.ts';
import { InfrastructureError } from '../../../core/domain/errors.ts';
import { SCENE } from '../../../manifests/scene.ts';
import { socketInodes } from '../proc-sockets.ts';
import { listeningTcp } from '../listening-sockets.ts';
import { netnsCommand } from '../netns-command.ts';
import { SIDECAR_TIMEOUTS } from './timeouts.ts';

/**
 * One HAProxy process in a pod's network namespace, running as the proxy UID/GID 1337 without
 * capabilities (setpriv), its stdout (the access log) relayed line-whole into a file. The relay matters:
 * HAProxy makes its log fd non-blocking, which drops O_APPEND from a shared file description, and the old
 * and new process of a reload then overwrite each other's lines. A reload starts a new process
 * with `-sf <old pid>`: the new one binds next to the old one (SO_REUSEPORT), then tells it to finish, so
 * no captured connection is refused during a policy change — Envoy's hot restart, in spirit.
 */
export interface ProxyProcessOptions {
  readonly netns: string;
  readonly configPath: string;
  readonly accessLogPath: string;
  readonly errorLogPath: string;
  readonly component: string;
  /** Ports the process must listen on before it counts as serving; the sidecar's listeners by default. */
  readonly readyPorts?: readonly number[];
}

function delay(msValue: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, msValue));
}

/**
 * Whether process `pid` listens on every port in `netns`: its own sockets (the old process of a reload
 * listens on the same ports, so only sockets this pid holds count).
 */
async function listening(netns: string, ports: readonly number[], pid: number): Promise<boolean> {
  // Each port needs a socket of its own among the process's descriptors: with fewer, no `ss` is worth running yet.
  const owned = await socketInodes(pid);
  if (owned.size < new Set(ports).size) return false;
  const sockets = await listeningTcp(netns);
  const mine = new Set(sockets.filter((socket) => owned.has(socket.inode)).map((socket) => socket.port));
  return ports.every((port) => mine.has(port));
}

/** One generation of the proxy: its PID (and process group) and, once it ended, how. */
interface ProxyChild {
  readonly pid: number;
  exit: ProcessExit | undefined;
}

export class ProxyProcess {
  private child: ProxyChild | undefined;
  private exited: Promise<void> = Promise.resolve();
  private readonly options: ProxyProcessOptions;
  private accessLog: WriteStream | undefined;
  private errorLog: WriteStream | undefined;
  private stopping = false;
  private death: { readonly at: Date; readonly how: string } | undefined;

  constructor(options: ProxyProcessOptions) {
    this.options = options;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exit === undefined;
  }

  /** The last time the serving proxy died without being stopped or replaced by a reload (a crash, a kill -9). */
  get lastDeath(): { readonly at: Date; readonly how: string } | undefined {
    return this.death;
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  /** Checks the configuration with `haproxy -c` so a bad one fails with HAProxy's own words. */
  async check(): Promise<void> {
    const result = await spawnHost().run('haproxy', ['-c', '-f', this.options.configPath], { cwd: LAB_PROCESS_CWD, timeoutMs: SIDECAR_TIMEOUTS.toolMs });
    if (result.exitCode !== 0) {
      throw new InfrastructureError(this.options.component, `haproxy rejected its configuration: ${`${result.stdout}\n${result.stderr}`.trim().slice(0, 2000)}`);
    }
  }

  /** Starts the first process, or hot-restarts when one is running; resolves once the new one serves. */
  async start(): Promise<void> {
    const previous = this.running ? this.child : undefined;
    // A reload is checked first so a bad configuration is named while the old process keeps serving; a first
    // start needs no separate check (a rejected configuration ends the process, and its own words are reported).
    if (previous !== undefined) await this.check();
    // Root writes the logs; a link planted under their names is refused, never followed.
    this.accessLog ??= createWriteStream('', { fd: openAppendNoFollow(this.options.accessLogPath, 0o644) });
    this.errorLog ??= createWriteStream('', { fd: openAppendNoFollow(this.options.errorLogPath, 0o644) });
    const accessLog = this.accessLog;
    const errorLog = this.errorLog;
    const proxyId = String(SCENE.proxyUid);
    const [file, args] = netnsCommand(this.options.netns, 'setpriv', [
      '--reuid', proxyId, '--regid', proxyId, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all',
      'haproxy', '-db', '-f', this.options.configPath,
      ...(previous?.pid === undefined ? [] : ['-sf', String(previous.pid)]),
    ]);
    const hosted = await spawnHost().start(file, args, {
      cwd: LAB_PROCESS_CWD,
      stdout: 'stream',
      stderr: 'stream',
      // A previous generation may still print after stop() ended the streams: those bytes are dropped.
      onOutput: (stream, chunk) => {
        const log = stream === 'stdout' ? accessLog : errorLog;
        if (!log.writableEnded) log.write(chunk);
      },
    });
    const child: ProxyChild = { pid: hosted.pid, exit: undefined };
    this.child = child;
    this.stopping = false;
    this.exited = hosted.exited.then((exit) => {
      child.exit = exit;
      // A reload's old process exits after its successor took over (this.child moved on): not a death.
      if (this.child === child && !this.stopping) this.death = { at: new Date(), how: exit.signal === null ? `exited with ${String(exit.code)}` : `killed by ${exit.signal}` };
    });

    try {
      await this.waitUntilServing(child, errorLog);
    } catch (error) {
      // A proxy that never became ready must not outlive its failed start: no pod holds it, so no teardown
      // would stop it (under load it lingered in a deleted namespace and kept `breachmatrix run` alive).
      await this.stopProcess();
      throw error;
    }
  }

  private async waitUntilServing(child: ProxyChild, errorLog: WriteStream): Promise<void> {
    const deadline = Date.now() + SIDECAR_TIMEOUTS.proxyListenMs;
    const ports = this.options.readyPorts ?? [SCENE.envoy.outbound, SCENE.envoy.inbound, SCENE.envoy.admin, SCENE.envoy.stats];
    for (;;) {
      if (child.exit !== undefined) {
        await new Promise<void>((resolve) => errorLog.write('', () => resolve()));
        const log = await readFile(this.options.errorLogPath, 'utf8').catch(() => '');
        throw new InfrastructureError(this.options.component, `haproxy exited at start: ${log.trim().split('\n').slice(-5).join(' | ')}`);
      }
      if (await listening(this.options.netns, ports, child.pid)) break;
      if (Date.now() > deadline) {
        throw new InfrastructureError(this.options.component, `haproxy not ready within ${SIDECAR_TIMEOUTS.proxyListenMs} ms`);
      }
      await delay(SIDECAR_TIMEOUTS.proxyListenPollMs);
    }
  }

  /** SIGTERM, then SIGKILL past the budget; idempotent. */
  async stop(): Promise<void> {
    await this.stopProcess();
    // Lines already relayed reach the file before stop() resolves.
    for (const stream of [this.accessLog, this.errorLog]) {
      if (stream !== undefined) await new Promise<void>((resolve) => stream.end(() => resolve()));
    }
    this.accessLog = undefined;
    this.errorLog = undefined;
  }

  private async stopProcess(): Promise<void> {
    const child = this.child;
    if (child?.pid === undefined || !this.running) return;
    this.stopping = true;
    const group = -child.pid;
    try {
      process.kill(group, 'SIGTERM');
    } catch {
      return;
    }
    const killed = await Promise.race([this.exited.then(() => true), delay(SIDECAR_TIMEOUTS.proxyStopMs).then(() => false)]);
    if (!killed) {
      try {
        process.kill(group, 'SIGKILL');
      } catch {
        // already gone
      }
      await this.exited;
    }
  }
}

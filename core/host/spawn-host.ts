import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { InfrastructureError } from '../domain/errors.ts';
import { TIMEOUTS } from '../timeouts.ts';
import type { OutputTarget, SpawnReply, SpawnRequest } from './spawn-protocol.ts';

export interface HostRunOptions {
  readonly input?: string;
  readonly timeoutMs: number;
  /** The child's whole environment; this process's own when absent. */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd: string;
  /** Sees stdout as it arrives, before the command ends. */
  readonly onStdout?: (chunk: Uint8Array) => void;
}

export interface HostRunResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly durationMs: number;
}

export interface HostStartOptions {
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly stdout: OutputTarget;
  readonly stderr: OutputTarget | 'stdout';
  /** Output of a 'stream' target, as it arrives. */
  readonly onOutput?: (stream: 'stdout' | 'stderr', chunk: Uint8Array) => void;
}

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: string | null;
}

/** A long-running process the spawner started, in its own process group (kill it with `-pid`). */
export interface HostedProcess {
  readonly pid: number;
  readonly exited: Promise<ProcessExit>;
}

interface PendingRun {
  readonly kind: 'run';
  readonly resolve: (result: HostRunResult) => void;
  readonly reject: (error: Error) => void;
  readonly onStdout?: ((chunk: Uint8Array) => void) | undefined;
}

interface PendingStart {
  readonly kind: 'start';
  readonly started: (pid: number) => void;
  readonly reject: (error: Error) => void;
  readonly exited: (exit: ProcessExit) => void;
  readonly onOutput?: ((stream: 'stdout' | 'stderr', chunk: Uint8Array) => void) | undefined;
  pid?: number;
}

const SPAWNER = fileURLToPath(new URL('./spawner-process.ts', import.meta.url));
const decoder = new TextDecoder();

function stringEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts host commands through a small spawner process (spawner-process.ts says why), so a busy runner's event loop
 * is never blocked by fork() and exec. Same contract as spawning here: own process group, killed with its group at
 * the deadline, output as bytes. The spawner is started on first use and ends with this process.
 */
export class SpawnHost {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, PendingRun | PendingStart>();

  run(file: string, args: readonly string[], options: HostRunOptions): Promise<HostRunResult> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { kind: 'run', resolve, reject, onStdout: options.onStdout });
      this.send({
        type: 'run',
        id,
        file,
        args,
        env: options.env ?? stringEnv(process.env),
        cwd: options.cwd,
        input: options.input ?? '',
        timeoutMs: options.timeoutMs,
        streamStdout: options.onStdout !== undefined,
      });
    });
  }

  start(file: string, args: readonly string[], options: HostStartOptions): Promise<HostedProcess> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      let exited!: (exit: ProcessExit) => void;
      const exit = new Promise<ProcessExit>((settle) => (exited = settle));
      this.pending.set(id, { kind: 'start', started: (pid) => resolve({ pid, exited: exit }), reject, exited, onOutput: options.onOutput });
      this.send({ type: 'start', id, file, args, env: options.env ?? stringEnv(process.env), cwd: options.cwd, stdout: options.stdout, stderr: options.stderr });
    });
  }

  /**
   * Ends the spawner once nothing is in flight and waits for it, so its CPU time (and its children's) is counted in
   * this process's own, and nothing of it outlives the command. Processes it started stay in their groups.
   */
  async close(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // An idle spawner is unreferenced; without this the event loop could empty before its exit is seen, and a
    // top-level `await close()` would never settle (Node then exits 13).
    child.ref();
    if (child.connected) child.disconnect();
    await exited;
  }

  private send(request: SpawnRequest): void {
    const child = this.spawner();
    child.ref();
    child.channel?.ref();
    child.send(request);
  }

  private spawner(): ChildProcess {
    if (this.child !== undefined && this.child.connected) return this.child;
    const child = fork(SPAWNER, [], {
      execArgv: ['--experimental-strip-types', '--disable-warning=ExperimentalWarning'],
      serialization: 'advanced',
      // Its own group: the terminal's Ctrl-C is the runner's to handle, and teardown never kills the spawner's group.
      detached: true,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on('message', (message: SpawnReply) => this.receive(message));
    child.on('exit', () => this.lost(child));
    child.on('error', () => this.lost(child));
    this.child = child;
    return child;
  }

  private receive(message: SpawnReply): void {
    const pending = this.pending.get(message.id);
    if (pending === undefined) return;
    switch (message.type) {
      case 'output':
        if (pending.kind === 'run') pending.onStdout?.(message.chunk);
        else pending.onOutput?.(message.stream, message.chunk);
        return;
      case 'finished':
        if (pending.kind !== 'run') return;
        this.settle(message.id);
        pending.resolve({
          exitCode: message.exitCode,
          stdout: decoder.decode(message.stdout),
          stderr: decoder.decode(message.stderr),
          timedOut: message.timedOut,
          durationMs: message.durationMs,
        });
        return;
      case 'started':
        if (pending.kind !== 'start') return;
        pending.pid = message.pid;
        pending.started(message.pid);
        return;
      case 'exited':
        if (pending.kind !== 'start') return;
        this.settle(message.id);
        pending.exited({ code: message.code, signal: message.signal });
        return;
      case 'failed':
        this.settle(message.id);
        pending.reject(new InfrastructureError('host', message.message));
        return;
    }
  }

  /** Lets this process exit while nothing is asked of the spawner. */
  private settle(id: number): void {
    this.pending.delete(id);
    if (this.pending.size === 0) {
      this.child?.unref();
      this.child?.channel?.unref();
    }
  }

  /** The spawner died: runs in flight fail; started processes are watched by PID until they are gone. */
  private lost(child: ChildProcess): void {
    if (this.child === child) this.child = undefined;
    const pending = [...this.pending.entries()];
    this.pending.clear();
    for (const [, entry] of pending) {
      if (entry.kind === 'start' && entry.pid !== undefined) {
        void watchUntilGone(entry.pid).then(() => entry.exited({ code: null, signal: null }));
      } else {
        entry.reject(new InfrastructureError('host', 'the spawner process ended while a command was in flight'));
      }
    }
  }
}

async function watchUntilGone(pid: number): Promise<void> {
  // Unreferenced: a process nobody stopped must not keep the command from exiting.
  while (isAlive(pid)) await sleep(TIMEOUTS.spawnerOrphanPollMs, undefined, { ref: false });
}

let shared: SpawnHost | undefined;

/** Closes this process's spawn host if one was started (see SpawnHost.close). */
export async function closeSpawnHost(): Promise<void> {
  await shared?.close();
}

/** This process's spawn host. */
export function spawnHost(): SpawnHost {
  shared ??= new SpawnHost();
  return shared;
}

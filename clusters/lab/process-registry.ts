import { spawn } from 'node:child_process';
import { closeSync } from 'node:fs';
import { openAppendNoFollow } from '../../core/host/owned-files.ts';
import { InfrastructureError } from '../../core/domain/errors.ts';
import { killGroup } from './host-command.ts';
import { LAB_PROCESS_CWD } from './process-cwd.ts';

export interface LongRunningOptions {
  readonly logFile: string;
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string;
}

export interface TrackedProcess {
  readonly pid: number;
  readonly label: string;
  /** Resolves with the exit code (or 128+signal) once the process has exited. */
  readonly exited: Promise<number>;
  readonly hasExited: () => boolean;
}

/**
 * Every long-running process a lab starts (pod sandboxes, containers, resolver, sink) is started here, in its own
 * process group, so teardown can kill each group — including what the process forked — and nothing outlives the lab.
 */
export class ProcessRegistry {
  private readonly live = new Map<number, TrackedProcess>();

  start(file: string, args: readonly string[], label: string, options: LongRunningOptions): TrackedProcess {
    const fd = openAppendNoFollow(options.logFile, 0o644);
    let child;
    try {
      child = spawn(file, args, {
        detached: true,
        stdio: ['ignore', fd, fd],
        env: { ...options.env },
        cwd: options.cwd ?? LAB_PROCESS_CWD,
      });
    } finally {
      closeSync(fd);
    }
    const pid = child.pid;
    if (pid === undefined) throw new InfrastructureError('lab', `cannot start ${label} (${file})`);
    let done = false;
    const exited = new Promise<number>((resolve) => {
      child.on('exit', (code, signal) => {
        done = true;
        this.live.delete(pid);
        resolve(code ?? (signal === null ? 1 : 128));
      });
      child.on('error', () => {
        done = true;
        this.live.delete(pid);
        resolve(127);
      });
    });
    const tracked: TrackedProcess = { pid, label, exited, hasExited: () => done };
    this.live.set(pid, tracked);
    return tracked;
  }

  async stop(process: TrackedProcess, graceMs = 200): Promise<void> {
    if (process.hasExited()) return;
    killGroup(process.pid, 'SIGTERM');
    const timer = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), graceMs).unref());
    if ((await Promise.race([process.exited, timer])) === 'late') {
      killGroup(process.pid, 'SIGKILL');
      await process.exited;
    }
  }

  /** Kills every tracked group at once (SIGKILL: teardown must be fast and certain). */
  async killAll(): Promise<void> {
    const all = [...this.live.values()];
    for (const process of all) killGroup(process.pid, 'SIGKILL');
    await Promise.all(all.map((process) => process.exited));
  }

  /** Synchronous last resort for process exit handlers. */
  killAllSync(): void {
    for (const process of this.live.values()) killGroup(process.pid, 'SIGKILL');
  }

  pids(): readonly number[] {
    return [...this.live.keys()];
  }
}

import { spawnHost } from '../../core/host/spawn-host.ts';
import { InfrastructureError } from '../../core/domain/errors.ts';
import { killGroup } from '../../core/host/kill-group.ts';
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

  /** Starts a process through the spawn host (core/host/spawn-host.ts), its output appended to `logFile`. */
  async start(file: string, args: readonly string[], label: string, options: LongRunningOptions): Promise<TrackedProcess> {
    let hosted;
    try {
      // The spawner opens the log the way openAppendNoFollow does: a link planted under its name is refused.
      hosted = await spawnHost().start(file, args, {
        env: { ...options.env },
        cwd: options.cwd ?? LAB_PROCESS_CWD,
        stdout: { appendFile: options.logFile, mode: 0o644 },
        stderr: 'stdout',
      });
    } catch (error) {
      throw new InfrastructureError('lab', `cannot start ${label} (${file}): ${(error as Error).message}`, { cause: error });
    }
    const { pid } = hosted;
    let done = false;
    const exited = hosted.exited.then(({ code, signal }) => {
      done = true;
      this.live.delete(pid);
      return code ?? (signal === null ? 1 : 128);
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

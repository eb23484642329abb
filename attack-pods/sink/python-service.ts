import { createInterface } from 'node:readline';
import { execa } from 'execa';
import { InfrastructureError } from '../../core/domain/errors.ts';
import { SINK_TIMEOUTS } from './timeouts.ts';

/** Lines of stdout kept per process (records and request logs); older lines are dropped. */
const KEPT_LINES = 10_000;

export interface PythonServiceOptions {
  /** Component name for errors, e.g. `sink`. */
  readonly component: string;
  /** The full command: program first (e.g. `['python3', '/…/sink.py', '--bind', …]`). */
  readonly command: readonly string[];
  /** Runs the command under a wrapper, e.g. `['ip', 'netns', 'exec', 'bm-internet']` in the lab. */
  readonly prefix?: readonly string[];
  readonly startTimeoutMs?: number;
}

/** A started Python service (sink or workload server). Disposing it stops the process. */
export interface PythonService extends AsyncDisposable {
  readonly pid: number;
  /** The parsed `{"event":"ready",…}` line the service printed once every port was bound. */
  readonly ready: Readonly<Record<string, unknown>>;
  /** Parsed JSON lines the service printed on stdout so far (ready line excluded). */
  events(): readonly Readonly<Record<string, unknown>>[];
  /** SIGTERM, then SIGKILL after SINK_TIMEOUTS.stopMs. Idempotent. */
  stop(): Promise<void>;
}

function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Spawns the service and resolves once it printed its ready line; on failure nothing is left running. */
export async function startPythonService(options: PythonServiceOptions): Promise<PythonService> {
  const [file, ...args] = [...(options.prefix ?? []), ...options.command];
  if (file === undefined) throw new InfrastructureError(options.component, 'empty command');
  const child = execa(file, args, {
    reject: false,
    buffer: { stdout: false, stderr: true },
    stdin: 'ignore',
    env: { PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' },
    forceKillAfterDelay: SINK_TIMEOUTS.stopMs,
  });
  const events: Record<string, unknown>[] = [];
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      child.kill('SIGTERM');
      await child;
    })();
    return stopped;
  };

  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    const timer = setTimeout(() => {
      reject(new InfrastructureError(options.component, `no ready line within ${options.startTimeoutMs ?? SINK_TIMEOUTS.startMs} ms`));
    }, options.startTimeoutMs ?? SINK_TIMEOUTS.startMs);
    let isReady = false;
    lines.on('line', (line) => {
      const event = parseLine(line);
      if (event === undefined) return;
      if (!isReady && event['event'] === 'ready') {
        isReady = true;
        clearTimeout(timer);
        resolve(event);
        return;
      }
      events.push(event);
      if (events.length > KEPT_LINES) events.shift();
    });
    void child.then((result) => {
      clearTimeout(timer);
      if (!isReady) {
        const why = result.stderr.trim() || result.shortMessage;
        reject(new InfrastructureError(options.component, `exited before ready: ${why}`));
      }
    });
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });

  const pid = child.pid;
  if (pid === undefined) throw new InfrastructureError(options.component, 'no pid');
  return {
    pid,
    ready,
    events: () => [...events],
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

import type { ExecOptions, ExecResult, PodHandle } from './cluster.ts';

/** What waiting for a marker line on a running command's stdout came to. */
export type MarkerWait =
  /** The line arrived `afterMs` after the command was started; the command may still be running. */
  | { readonly status: 'seen'; readonly afterMs: number }
  /** The command ended (or its exec failed) without printing the line. */
  | { readonly status: 'ended' }
  /** Neither within the budget; the command is still running. */
  | { readonly status: 'deadline'; readonly budgetMs: number };

/** A command started in a pod whose stdout is watched while it runs. */
export interface RunningExec {
  /** Settles like PodHandle.exec: the whole stdout and stderr, the exit code, or the exec's failure. */
  readonly result: Promise<ExecResult>;
  /** Waits for a stdout line equal to `marker`, the command's end, or `budgetMs`, whichever comes first. */
  waitForLine(marker: string, budgetMs: number): Promise<MarkerWait>;
}

/** Lines longer than this are never markers; they are not remembered (a capture may print long payload lines). */
const MAX_MARKER_LENGTH = 200;

/**
 * Runs `command` in `pod` and watches its stdout line by line as the provider streams it (ExecOptions.onStdout), so
 * a caller can act on a line the command prints before it ends, e.g. a sniffer saying its capture is open.
 */
export function startExec(pod: PodHandle, command: readonly string[], options: ExecOptions): RunningExec {
  const started = performance.now();
  const decoder = new TextDecoder();
  const seen = new Map<string, number>();
  const waiters = new Set<() => void>();
  let partial = '';
  let ended = false;
  const notify = (): void => {
    for (const wake of [...waiters]) wake();
  };
  const onStdout = (chunk: Uint8Array): void => {
    const lines = (partial + decoder.decode(chunk, { stream: true })).split('\n');
    partial = lines.pop() ?? '';
    // A line that only ever grows past the limit can never be a marker: drop it instead of holding it.
    if (partial.length > MAX_MARKER_LENGTH) partial = partial.slice(-MAX_MARKER_LENGTH - 1);
    const at = performance.now() - started;
    for (const line of lines) if (line.length <= MAX_MARKER_LENGTH && !seen.has(line)) seen.set(line, at);
    if (lines.length > 0) notify();
  };
  const result = pod.exec(command, { ...options, onStdout });
  const end = (): void => {
    ended = true;
    notify();
  };
  result.then(end, end);

  const waitForLine = (marker: string, budgetMs: number): Promise<MarkerWait> =>
    new Promise((resolve) => {
      const check = (): boolean => {
        const afterMs = seen.get(marker);
        if (afterMs !== undefined) resolve({ status: 'seen', afterMs });
        else if (ended) resolve({ status: 'ended' });
        else return false;
        return true;
      };
      if (check()) return;
      const wake = (): void => {
        if (!check()) return;
        waiters.delete(wake);
        clearTimeout(timer);
      };
      const timer = setTimeout(() => {
        waiters.delete(wake);
        resolve({ status: 'deadline', budgetMs });
      }, budgetMs);
      waiters.add(wake);
    });
  return { result, waitForLine };
}

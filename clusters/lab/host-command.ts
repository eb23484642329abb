import { spawn } from 'node:child_process';
import { InfrastructureError } from '../../core/domain/errors.ts';
import { LAB_PROCESS_CWD } from './process-cwd.ts';

export interface CommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly durationMs: number;
}

export interface CommandOptions {
  readonly input?: string;
  readonly timeoutMs: number;
  readonly env?: Readonly<Record<string, string>>;
  /** Sees stdout as it arrives, before the command ends (ExecOptions.onStdout). */
  readonly onStdout?: (chunk: Uint8Array) => void;
}

/**
 * Runs one host tool (ip, nft, curl…) to completion. The child gets its own process group so a deadline
 * kills everything it started, not just the first process.
 */
export function runCommand(file: string, args: readonly string[], options: CommandOptions): Promise<CommandResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      cwd: LAB_PROCESS_CWD,
      env: options.env === undefined ? process.env : { ...options.env },
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid, 'SIGKILL');
    }, options.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout.push(chunk);
      options.onStdout?.(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new InfrastructureError('lab', `cannot run ${file}: ${error.message}`, { cause: error }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        exitCode: code ?? (signal === null ? 1 : 128),
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        timedOut,
        durationMs: Date.now() - started,
      });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** Like runCommand, but a non-zero exit is an infrastructure failure naming the command and its stderr. */
export async function mustRun(
  file: string,
  args: readonly string[],
  options: CommandOptions,
  component = 'lab',
): Promise<CommandResult> {
  const result = await runCommand(file, args, options);
  if (result.exitCode !== 0) {
    const what = [file, ...args].join(' ');
    const why = result.timedOut ? 'timed out' : `exit ${result.exitCode}: ${result.stderr.trim().slice(0, 2000)}`;
    throw new InfrastructureError(component, `${what} failed (${why})`);
  }
  return result;
}

/** Signals a whole process group; a group that is already gone is not an error. */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already exited
    }
  }
}

import { InfrastructureError } from '../../core/domain/errors.ts';
import { LAB_PROCESS_CWD } from './process-cwd.ts';
import { spawnHost } from '../../core/host/spawn-host.ts';

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
 * Runs one host tool (ip, nft, curl…) to completion, through the spawn host (core/host/spawn-host.ts: a busy runner
 * must not fork itself). The child gets its own process group so a deadline kills everything it started, not just
 * the first process.
 */
export async function runCommand(file: string, args: readonly string[], options: CommandOptions): Promise<CommandResult> {
  try {
    return await spawnHost().run(file, args, { ...options, cwd: LAB_PROCESS_CWD });
  } catch (error) {
    throw new InfrastructureError('lab', `cannot run ${file}: ${(error as Error).message}`, { cause: error });
  }
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

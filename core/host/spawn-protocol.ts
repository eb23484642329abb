/**
 * The messages between the runner and its spawner process (spawner-process.ts). Types only: the spawner runs on
 * Node's own type stripping, without the tsx loader, so this file must stay erasable (`import type` from it).
 */

export interface SpawnRequestBase {
  readonly id: number;
  readonly file: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
}

/** Run to completion: output collected (and streamed when `streamStdout`), killed with its group at the deadline. */
export interface RunRequest extends SpawnRequestBase {
  readonly type: 'run';
  readonly input: string;
  readonly timeoutMs: number;
  readonly streamStdout: boolean;
}

/** Where a long-running process's output goes: appended to a file (opened without following links) or streamed back. */
export type OutputTarget = { readonly appendFile: string; readonly mode: number } | 'stream' | 'ignore';

/** A long-running process in its own process group; the runner kills it by group, the spawner reports its exit. */
export interface StartRequest extends SpawnRequestBase {
  readonly type: 'start';
  readonly stdout: OutputTarget;
  readonly stderr: OutputTarget | 'stdout';
}

export type SpawnRequest = RunRequest | StartRequest;

export type SpawnReply =
  | { readonly type: 'started'; readonly id: number; readonly pid: number }
  | { readonly type: 'output'; readonly id: number; readonly stream: 'stdout' | 'stderr'; readonly chunk: Uint8Array }
  | {
      readonly type: 'finished';
      readonly id: number;
      readonly exitCode: number;
      readonly stdout: Uint8Array;
      readonly stderr: Uint8Array;
      readonly timedOut: boolean;
      readonly durationMs: number;
    }
  | { readonly type: 'exited'; readonly id: number; readonly code: number | null; readonly signal: string | null }
  | { readonly type: 'failed'; readonly id: number; readonly message: string };

import { Writable } from 'node:stream';
import { Exec, type KubeConfig, type V1Status } from '@kubernetes/client-node';
import type { ExecOptions, ExecResult } from '../../core/domain/cluster.ts';
import { InfrastructureError } from '../../core/domain/errors.ts';
import { exitFromStatus } from './exec-status.ts';

/** Exit code a shell's `timeout` uses; the result also says `timedOut`. */
const TIMED_OUT_EXIT = 124;

class Collector extends Writable {
  readonly chunks: Buffer[] = [];
  private readonly onChunk: ((chunk: Uint8Array) => void) | undefined;
  /** `onChunk` sees each chunk as the exec stream delivers it (ExecOptions.onStdout). */
  constructor(onChunk?: (chunk: Uint8Array) => void) {
    super();
    this.onChunk = onChunk;
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(chunk);
    this.onChunk?.(chunk);
    callback();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** WebSocket readyState CLOSED (https://websockets.spec.whatwg.org/#dom-websocket-closed). */
const SOCKET_CLOSED = 3;

/** What execInPod needs of the `ws` socket client-node hands back. */
interface ExecSocket {
  readonly readyState: number;
  close(): void;
  once(event: 'close', listener: (code: number, reason: Buffer) => void): unknown;
}

/** `env K=V … command`: exec has no environment of its own. */
export function withEnv(command: readonly string[], env: Readonly<Record<string, string>> | undefined): string[] {
  const entries = Object.entries(env ?? {});
  return entries.length === 0 ? [...command] : ['env', ...entries.map(([key, value]) => `${key}=${value}`), ...command];
}

/** Exec in a pod container: stdout, stderr and the exit code from the status channel, under a deadline. */
export async function execInPod(
  kubeConfig: KubeConfig,
  namespace: string,
  pod: string,
  container: string,
  command: readonly string[],
  options: ExecOptions,
): Promise<ExecResult> {
  const started = Date.now();
  const stdout = new Collector(options.onStdout);
  const stderr = new Collector();
  const where = `exec in pod ${namespace}/${pod} container ${container}`;
  return new Promise<ExecResult>((resolve, reject) => {
    let socket: ExecSocket | undefined;
    let done = false;
    const settle = (): boolean => {
      if (done) return false;
      done = true;
      clearTimeout(timer);
      return true;
    };
    const finish = (exitCode: number, timedOut: boolean, message?: string): void => {
      if (!settle()) return;
      socket?.close();
      const errorText = message === undefined ? stderr.text() : `${stderr.text()}${message}\n`;
      resolve({ exitCode, stdout: stdout.text(), stderr: errorText, timedOut, durationMs: Date.now() - started });
    };
    // The API server sends the exit status on channel 3 before it closes; a close without it (the container or
    // node went away, a proxy cut the stream) says nothing about the command, so it is the infrastructure's failure.
    const closedWithoutStatus = (code: number, reason: string): void => {
      if (!settle()) return;
      const output = `${stdout.text().length} bytes of stdout, ${stderr.text().length} of stderr so far`;
      const why = reason === '' ? `code ${code}` : `code ${code}, ${reason}`;
      reject(new InfrastructureError(where, `the exec stream closed (${why}) after ${Date.now() - started} ms without an exit status (${output})`));
    };
    const timer = setTimeout(() => finish(TIMED_OUT_EXIT, true), options.timeoutMs);
    new Exec(kubeConfig)
      .exec(namespace, pod, container, withEnv(command, options.env), stdout, stderr, null, false, (status: V1Status) => {
        const { exitCode, message } = exitFromStatus(status);
        finish(exitCode, false, message);
      })
      .then((opened: ExecSocket) => {
        socket = opened;
        if (done) {
          opened.close();
          return;
        }
        if (opened.readyState === SOCKET_CLOSED) closedWithoutStatus(1006, 'closed before it could be watched');
        else opened.once('close', (code, reason) => closedWithoutStatus(code, reason.toString('utf8')));
      })
      .catch((error: unknown) => {
        if (!settle()) return;
        const text = error instanceof Error ? error.message : String((error as { message?: unknown } | null)?.message ?? error);
        reject(new InfrastructureError(where, `could not open the exec stream: ${text}`, { cause: error }));
      });
  });
}

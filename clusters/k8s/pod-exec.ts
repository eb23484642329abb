import { Writable } from 'node:stream';
import { Exec, type KubeConfig, type V1Status } from '@kubernetes/client-node';
import type { ExecOptions, ExecResult } from '../../core/domain/cluster.ts';
import { exitFromStatus } from './exec-status.ts';

/** Exit code a shell's `timeout` uses; the result also says `timedOut`. */
const TIMED_OUT_EXIT = 124;

class Collector extends Writable {
  readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(chunk);
    callback();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
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
  const stdout = new Collector();
  const stderr = new Collector();
  return new Promise<ExecResult>((resolve, reject) => {
    let socket: { close(): void } | undefined;
    let done = false;
    const finish = (exitCode: number, timedOut: boolean, message?: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket?.close();
      const errorText = message === undefined ? stderr.text() : `${stderr.text()}${message}\n`;
      resolve({ exitCode, stdout: stdout.text(), stderr: errorText, timedOut, durationMs: Date.now() - started });
    };
    const timer = setTimeout(() => finish(TIMED_OUT_EXIT, true), options.timeoutMs);
    new Exec(kubeConfig)
      .exec(namespace, pod, container, withEnv(command, options.env), stdout, stderr, null, false, (status: V1Status) => {
        const { exitCode, message } = exitFromStatus(status);
        finish(exitCode, false, message);
      })
      .then((opened) => {
        socket = opened;
        if (done) opened.close();
      })
      .catch((error: unknown) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        reject(error);
      });
  });
}

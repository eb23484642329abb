/**
 * The spawner: a small Node process that starts every host command for the runner (spawn-host.ts).
 *
 * Why: Node's spawn() blocks the event loop until the child has exec'd, and fork() copies the parent's page tables.
 * From the runner (~350 MB resident) one spawn took ~15 ms of blocked event loop, from a ~50 MB process ~1 ms
 * (400 spawns of `true`, this repo's 2-core machine). A lab run starts ~8,700 processes.
 *
 * It runs on Node's own type stripping (no tsx loader: less to load, a smaller process to fork from), so it and
 * what it imports must stay erasable TypeScript. It exits when the runner's IPC channel closes; what it started
 * lives in its own process groups, which the runner kills by PID (teardown never depends on this process).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync } from 'node:fs';
import { killGroup } from './kill-group.ts';
import { openAppendNoFollow } from './owned-files.ts';
import type { OutputTarget, RunRequest, SpawnReply, SpawnRequest, StartRequest } from './spawn-protocol.ts';

function reply(message: SpawnReply): void {
  process.send?.(message);
}

function run(request: RunRequest): void {
  const started = Date.now();
  let child: ChildProcess;
  try {
    child = spawn(request.file, [...request.args], { stdio: ['pipe', 'pipe', 'pipe'], detached: true, cwd: request.cwd, env: { ...request.env } });
  } catch (error) {
    reply({ type: 'failed', id: request.id, message: (error as Error).message });
    return;
  }
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  let timedOut = false;
  let failed = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child.pid, 'SIGKILL');
  }, request.timeoutMs);
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout.push(chunk);
    if (request.streamStdout) reply({ type: 'output', id: request.id, stream: 'stdout', chunk });
  });
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  child.on('error', (error) => {
    clearTimeout(timer);
    failed = true;
    reply({ type: 'failed', id: request.id, message: error.message });
  });
  child.on('close', (code, signal) => {
    clearTimeout(timer);
    if (failed) return;
    reply({
      type: 'finished',
      id: request.id,
      exitCode: code ?? (signal === null ? 1 : 128),
      stdout: Buffer.concat(stdout),
      stderr: Buffer.concat(stderr),
      timedOut,
      durationMs: Date.now() - started,
    });
  });
  child.stdin?.on('error', () => undefined);
  child.stdin?.end(request.input);
}

type Stdio = 'ignore' | 'pipe' | number;

function openTarget(target: OutputTarget, opened: number[]): Stdio {
  if (target === 'ignore') return 'ignore';
  if (target === 'stream') return 'pipe';
  const fd = openAppendNoFollow(target.appendFile, target.mode);
  opened.push(fd);
  return fd;
}

function start(request: StartRequest): void {
  const opened: number[] = [];
  let child: ChildProcess;
  try {
    const stdout = openTarget(request.stdout, opened);
    const stderr = request.stderr === 'stdout' ? stdout : openTarget(request.stderr, opened);
    child = spawn(request.file, [...request.args], { stdio: ['ignore', stdout, stderr], detached: true, cwd: request.cwd, env: { ...request.env } });
  } catch (error) {
    reply({ type: 'failed', id: request.id, message: (error as Error).message });
    return;
  } finally {
    for (const fd of opened) closeSync(fd);
  }
  if (child.pid === undefined) {
    // spawn() reports ENOENT and the like through 'error' with no PID.
    child.on('error', (error) => reply({ type: 'failed', id: request.id, message: error.message }));
    return;
  }
  reply({ type: 'started', id: request.id, pid: child.pid });
  child.stdout?.on('data', (chunk: Buffer) => reply({ type: 'output', id: request.id, stream: 'stdout', chunk }));
  child.stderr?.on('data', (chunk: Buffer) => reply({ type: 'output', id: request.id, stream: 'stderr', chunk }));
  child.on('error', () => undefined);
  // 'exit', not 'close': a grandchild holding the output open must not hide the process's own end.
  child.on('exit', (code, signal) => reply({ type: 'exited', id: request.id, code, signal }));
}

process.on('message', (message: SpawnRequest) => {
  if (message.type === 'run') run(message);
  else start(message);
});
// The runner is gone: nothing more will be asked. What was started stays in its groups for the runner's teardown.
process.on('disconnect', () => process.exit(0));
// Ctrl-C reaches the terminal's foreground group; the runner decides what happens, not this process.
process.on('SIGINT', () => undefined);

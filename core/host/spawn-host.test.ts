import { mkdtemp, readFile, rm, symlink, writeFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpawnHost } from './spawn-host.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('SpawnHost', () => {
  const host = new SpawnHost();
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bm-spawn-host-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs a command in the spawner, not in this process: its parent is another PID', async () => {
    const result = await host.run('sh', ['-c', 'echo $PPID'], { timeoutMs: 5_000, cwd: '/' });
    expect(result.exitCode).toBe(0);
    const parent = Number(result.stdout.trim());
    expect(parent).toBeGreaterThan(1);
    expect(parent).not.toBe(process.pid);
  });

  it('feeds input, keeps stdout and stderr apart and reports the exit code', async () => {
    const result = await host.run('sh', ['-c', 'cat; echo oops >&2; exit 3'], { input: 'hello', timeoutMs: 5_000, cwd: '/' });
    expect(result).toMatchObject({ exitCode: 3, stdout: 'hello', stderr: 'oops\n', timedOut: false });
  });

  it('passes exactly the environment it is given', async () => {
    const result = await host.run('/usr/bin/env', [], { env: { ONLY: 'this' }, timeoutMs: 5_000, cwd: '/' });
    expect(result.stdout).toBe('ONLY=this\n');
  });

  it('kills the whole process group at the deadline, what the command forked included', async () => {
    const pidFile = join(dir, 'grandchild.pid');
    const result = await host.run('sh', ['-c', `sleep 30 & echo $! > ${pidFile}; wait`], { timeoutMs: 300, cwd: '/' });
    expect(result.timedOut).toBe(true);
    const grandchild = Number((await readFile(pidFile, 'utf8')).trim());
    await expect.poll(() => alive(grandchild), { timeout: 2_000 }).toBe(false);
  });

  it('streams stdout while the command still runs', async () => {
    const go = join(dir, 'go');
    const seen: string[] = [];
    // The command prints its second line only after the test saw the first one: no timing assumption.
    const finished = host.run('sh', ['-c', `echo first; while [ ! -e ${go} ]; do sleep 0.05; done; echo second`], {
      timeoutMs: 10_000,
      cwd: '/',
      onStdout: (chunk) => seen.push(Buffer.from(chunk).toString()),
    });
    await expect.poll(() => seen.join(''), { timeout: 5_000 }).toBe('first\n');
    await writeFile(go, '');
    const result = await finished;
    expect(result.stdout).toBe('first\nsecond\n');
    expect(seen.join('')).toBe('first\nsecond\n');
  });

  it('rejects a command that cannot be started, naming it', async () => {
    await expect(host.run('/nonexistent/tool', [], { timeoutMs: 1_000, cwd: '/' })).rejects.toThrow(/\/nonexistent\/tool/);
  });

  it('starts a long-running process in its own group, output appended to a file with the given mode', async () => {
    const log = join(dir, 'long.log');
    await writeFile(log, 'before\n');
    const started = await host.start('sh', ['-c', 'echo out; echo err >&2; exec sleep 30'], { cwd: '/', stdout: { appendFile: log, mode: 0o640 }, stderr: 'stdout' });
    await expect.poll(() => readFile(log, 'utf8'), { timeout: 3_000 }).toBe('before\nout\nerr\n');
    expect((await stat(log)).mode & 0o777).toBe(0o640);
    process.kill(-started.pid, 'SIGKILL');
    expect(await started.exited).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('refuses to follow a link planted where a log should be', async () => {
    const target = join(dir, 'elsewhere');
    await writeFile(target, 'untouched');
    const link = join(dir, 'planted.log');
    await symlink(target, link);
    await expect(host.start('true', [], { cwd: '/', stdout: { appendFile: link, mode: 0o644 }, stderr: 'stdout' })).rejects.toThrow(/planted\.log/);
    expect(await readFile(target, 'utf8')).toBe('untouched');
  });

  it('streams a long-running process’s stdout and stderr apart, then reports its exit', async () => {
    const output: string[] = [];
    const started = await host.start('sh', ['-c', 'echo out; echo err >&2; exit 4'], {
      cwd: '/',
      stdout: 'stream',
      stderr: 'stream',
      onOutput: (stream, chunk) => output.push(`${stream}:${Buffer.from(chunk).toString().trim()}`),
    });
    expect(await started.exited).toEqual({ code: 4, signal: null });
    await expect.poll(() => [...output].sort(), { timeout: 2_000 }).toEqual(['stderr:err', 'stdout:out']);
  });

  it('closes its spawner and waits for it; the next command starts a new one', async () => {
    const own = new SpawnHost();
    const first = Number((await own.run('sh', ['-c', 'echo $PPID'], { timeoutMs: 5_000, cwd: '/' })).stdout.trim());
    await own.close();
    expect(alive(first)).toBe(false);
    const second = Number((await own.run('sh', ['-c', 'echo $PPID'], { timeoutMs: 5_000, cwd: '/' })).stdout.trim());
    expect(second).not.toBe(first);
    await own.close();
  });

  it('a spawner that dies fails the commands in flight instead of leaving them hanging', async () => {
    const own = new SpawnHost();
    const spawner = Number((await own.run('sh', ['-c', 'echo $PPID'], { timeoutMs: 5_000, cwd: '/' })).stdout.trim());
    const inFlight = own.run('sleep', ['5'], { timeoutMs: 10_000, cwd: '/' });
    process.kill(spawner, 'SIGKILL');
    await expect(inFlight).rejects.toThrow(/spawner process ended/);
  });

  it('closing an idle spawner at the end of a program settles: the program exits with its own code, not 13', async () => {
    const script = join(dir, 'close-at-exit.mts');
    await writeFile(
      script,
      [
        `import { SpawnHost } from ${JSON.stringify(new URL('./spawn-host.ts', import.meta.url).pathname)};`,
        'const host = new SpawnHost();',
        "await host.run('true', [], { timeoutMs: 5_000, cwd: '/' });",
        'await new Promise((resolve) => setTimeout(resolve, 50));',
        'await host.close();',
        'process.exitCode = 7;',
      ].join('\n'),
    );
    // From the repository root, where `tsx` resolves.
    const result = await execa(process.execPath, ['--import', 'tsx', script], { reject: false, cwd: new URL('../../', import.meta.url).pathname });
    expect(result.stderr).not.toMatch(/unsettled top-level await/);
    expect(result.exitCode).toBe(7);
  });
});


import { execa } from 'execa';
import { access, mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LAB_BASE_DIR } from '../../clusters/lab/lab-base-dir.ts';
import type { ResultLine } from '../../core/domain/results.ts';

const BIN = fileURLToPath(new URL('../../bin/breachmatrix.js', import.meta.url));

async function resultLines(file: string): Promise<ResultLine[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as ResultLine);
}

/**
 * A live process's identity, robust to PID reuse: pid plus its start time (field 22 of /proc/<pid>/stat).
 * Undefined once it is gone — a zombie (state Z) is dead, merely not yet reaped by its new parent.
 */
async function processIdentity(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[0] === 'Z' ? undefined : `${pid}@${fields[19]}`;
}

/** Everything on the host that carries one of `prefixes` (this run's labs only — never another run's). */
async function footprint(prefixes: readonly string[]) {
  const ours = (name: string): boolean => prefixes.some((prefix) => name.startsWith(prefix));
  const namespaces = (await execa('ip', ['netns', 'list'])).stdout
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter(ours);
  const etc = (await readdir('/etc/netns').catch(() => [] as string[])).filter(ours);
  // Each lab's work dir and owner file live in the lab's root-owned base folder.
  const temp = (await readdir(LAB_BASE_DIR).catch(() => [] as string[])).filter(ours);
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter((line) => prefixes.some((prefix) => line.includes(`/${prefix}-`)));
  return { namespaces, etc, temp, mounts };
}

/** The processes inside the labs' namespaces (pods, proxies, sink, resolver), as identities. */
async function labProcesses(namespaces: readonly string[]): Promise<string[]> {
  const pids = (await Promise.all(namespaces.map(async (ns) => (await execa('ip', ['netns', 'pids', ns], { reject: false })).stdout.split('\n')))).flat();
  const identities = await Promise.all(pids.filter((pid) => /^\d+$/.test(pid.trim())).map((pid) => processIdentity(Number(pid))));
  return identities.filter((identity): identity is string => identity !== undefined);
}

/**
 * A second Ctrl-C does not wait for the graceful teardown: the CLI removes every lab synchronously, then exits
 * 130. Checked on the host: no namespace, /run/netns mount, /etc/netns dir, temp dir or process of the run.
 */
describe('Ctrl-C twice during breachmatrix run --provider lab', () => {
  it('still removes every namespace, mount, temp dir and process of the run before exiting 130', async () => {
    const out = await mkdtemp(join(tmpdir(), 'bm-int2-'));
    const results = join(out, 'results.jsonl');
    const child = execa(process.execPath, [BIN, 'run', '--provider', 'lab', '--profile', 'lab:netpol+sidecar,lab:ambient', '--concurrency', '8', '--no-depth', '--out', out], {
      reject: false,
      env: { CI: 'true', NO_COLOR: '1' },
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // --no-depth: exactly one lab per stack, so the footprint below is the run's whole footprint.
    // Wait until attacks are measuring (n/a cells are written at the start and do not count).
    const deadline = Date.now() + 120_000;
    const measured = async (): Promise<number> => (await resultLines(results)).filter((line) => line.type === 'cell' && line.cell.outcome !== 'not-applicable').length;
    while ((await measured()) < 2) {
      if (Date.now() > deadline) throw new Error(`no attack finished within 120 s: ${stderr}`);
      await sleep(200);
    }
    const prefixes = [...new Set([...stderr.matchAll(/lab (bml-[a-z0-9]{6}):/g)].map((match) => match[1] ?? ''))];
    expect(prefixes).toHaveLength(2);
    const before = await footprint(prefixes);
    const processes = await labProcesses(before.namespaces);
    // The labs really exist: namespaces, their mounts, temp dirs, processes.
    expect(before.namespaces.length).toBeGreaterThanOrEqual(12);
    // Pods come and go while the run measures: a namespace listed a moment before its bind mount exists is not a
    // missing mount. What matters is that the labs' namespaces really are mounted (and are all gone afterwards).
    const mounted = before.namespaces.filter((ns) => before.mounts.some((line) => line.includes(`/${ns} `)));
    expect(mounted.length).toBeGreaterThanOrEqual(12);
    // A work dir and an owner file per lab.
    expect(before.temp).toHaveLength(4);
    expect(processes.length).toBeGreaterThan(4);

    child.kill('SIGINT');
    // The second Ctrl-C comes while the first one is still draining in-flight attacks (labs up).
    await sleep(300);
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode, result.stderr).toBe(130);
    expect(result.stderr).toContain('SIGINT again: removing every cluster of this run now');
    for (const prefix of prefixes) expect(result.stderr).toMatch(new RegExp(`lab ${prefix} \\(lab:[a-z+]+\\): removed`));

    expect(await footprint(prefixes)).toEqual({ namespaces: [], etc: [], temp: [], mounts: [] });
    // SIGKILL is delivered asynchronously: on a loaded machine a killed process may take a moment to die.
    const alive = async (): Promise<string[]> =>
      (await Promise.all(processes.map(async (identity) => ((await processIdentity(Number(identity.split('@')[0]))) === identity ? identity : undefined)))).filter(
        (identity): identity is string => identity !== undefined,
      );
    const settle = Date.now() + 3_000;
    while ((await alive()).length > 0 && Date.now() < settle) await sleep(100);
    expect(await alive()).toEqual([]);
    // results.jsonl keeps the finished cells as whole lines (every line parsed above would have thrown otherwise).
    const cells = (await resultLines(results)).filter((line) => line.type === 'cell');
    expect(cells.length).toBeGreaterThanOrEqual(2);
    await access(results);
  }, 240_000);
});

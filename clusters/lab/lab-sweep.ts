import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LAB_NAME_PATTERN } from './lab-names.ts';
import { deleteNetns, listNetns, netnsPids } from './topology.ts';

const OWNER_FILE = 'owner.json';

/** Records which process owns a lab, so a sweep never removes a lab that is still running. */
export async function writeOwnerFile(workDir: string, runId: string): Promise<void> {
  await writeFile(join(workDir, OWNER_FILE), JSON.stringify({ pid: process.pid, runId }));
}

function prefixOf(name: string): string | undefined {
  const match = LAB_NAME_PATTERN.exec(name);
  return match === null ? undefined : match[0].slice(0, -1);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function ownerAlive(prefix: string): Promise<boolean> {
  const text = await readFile(join(tmpdir(), `${prefix}-work`, OWNER_FILE), 'utf8').catch(() => undefined);
  if (text === undefined) return false;
  try {
    const owner: unknown = JSON.parse(text);
    const pid = typeof owner === 'object' && owner !== null && 'pid' in owner ? owner.pid : undefined;
    return typeof pid === 'number' && pid !== process.pid && alive(pid);
  } catch {
    return false;
  }
}

/**
 * Removes what crashed labs left behind (network namespaces, their processes, /etc/netns dirs, temp dirs) and
 * returns what it removed. Labs whose owning process is still alive are left alone.
 */
export async function sweepLabLeftovers(): Promise<string[]> {
  const netns = (await listNetns()).filter((name) => prefixOf(name) !== undefined);
  const etc = (await readdir('/etc/netns').catch(() => [] as string[])).filter((name) => prefixOf(name) !== undefined);
  const work = (await readdir(tmpdir()).catch(() => [] as string[])).filter((name) => prefixOf(name) !== undefined);
  const prefixes = new Set([...netns, ...etc, ...work].map((name) => prefixOf(name) ?? ''));
  const live = new Set<string>();
  for (const prefix of prefixes) if (await ownerAlive(prefix)) live.add(prefix);
  const dead = (name: string): boolean => !live.has(prefixOf(name) ?? '');

  const removed: string[] = [];
  const doomedNetns = netns.filter(dead);
  for (const ns of doomedNetns) {
    for (const pid of await netnsPids(ns)) {
      try {
        process.kill(pid, 'SIGKILL');
        removed.push(`process ${pid} in ${ns}`);
      } catch {
        // gone
      }
    }
  }
  await deleteNetns(doomedNetns);
  removed.push(...doomedNetns.map((ns) => `netns ${ns}`));
  for (const name of etc.filter(dead)) {
    await rm(join('/etc/netns', name), { recursive: true, force: true });
    removed.push(`/etc/netns/${name}`);
  }
  for (const name of work.filter(dead)) {
    await rm(join(tmpdir(), name), { recursive: true, force: true });
    removed.push(join(tmpdir(), name));
  }
  return removed;
}

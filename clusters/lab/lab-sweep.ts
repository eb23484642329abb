import { readFileSync } from 'node:fs';
import { readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileNoFollow } from '../../core/host/owned-files.ts';
import { LAB_BASE_DIR } from './lab-base-dir.ts';
import { LAB_NAME_PATTERN } from './lab-names.ts';
import { deleteNetns, listNetns, netnsPids } from './topology.ts';

/** `<base>/<prefix>-owner.json`: written before anything else of the lab exists, removed after everything else. */
export function ownerFilePath(baseDir: string, prefix: string): string {
  return join(baseDir, `${prefix}-owner.json`);
}

/** Who owns a lab: a PID alone may be reused by the time a sweep runs, PID plus its start time is not. */
export interface LabOwner {
  readonly pid: number;
  /** Field 22 of /proc/PID/stat: clock ticks after boot. */
  readonly startTime: string;
  readonly runId: string;
}

/** The start time of a live process, or undefined when it is gone. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields are counted after its closing ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

/** Records this process as the lab's owner, atomically (temporary name, then rename). */
export async function writeOwnerFile(baseDir: string, prefix: string, runId: string): Promise<void> {
  const owner: LabOwner = { pid: process.pid, startTime: processStartTime(process.pid) ?? '', runId };
  await writeFileNoFollow(ownerFilePath(baseDir, prefix), `${JSON.stringify(owner)}\n`, { mode: 0o644 });
}

export async function removeOwnerFile(baseDir: string, prefix: string): Promise<void> {
  await rm(ownerFilePath(baseDir, prefix), { force: true });
}

function prefixOf(name: string): string | undefined {
  const match = LAB_NAME_PATTERN.exec(name);
  return match === null ? undefined : match[0].slice(0, -1);
}

/** Alive means: that PID runs, and it is the same process (same start time), not a reuse of its number. */
function ownerAlive(owner: LabOwner): boolean {
  if (owner.pid === process.pid) return false;
  const startTime = processStartTime(owner.pid);
  return startTime !== undefined && owner.startTime !== '' && startTime === owner.startTime;
}

/** Before the base folder, a lab kept `{pid, runId}` in `<TMPDIR>/<prefix>-work/owner.json`. */
function legacyOwnerAlive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readOwner(scope: SweepScope, prefix: string): Promise<LabOwner | undefined> {
  const text = await readFile(ownerFilePath(scope.baseDir, prefix), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return undefined;
    const { pid, startTime, runId } = value as Record<string, unknown>;
    if (typeof pid !== 'number' || typeof startTime !== 'string') return undefined;
    return { pid, startTime, runId: typeof runId === 'string' ? runId : '' };
  } catch {
    return undefined;
  }
}

/** Which labs a sweep looks at: the real one looks at all; tests restrict it to labs they made. */
export interface SweepScope {
  readonly baseDir: string;
  /** Where labs of earlier versions kept `<prefix>-work` (TMPDIR). */
  readonly legacyDir: string;
  readonly includes: (prefix: string) => boolean;
}

export const ALL_LABS: SweepScope = { baseDir: LAB_BASE_DIR, legacyDir: tmpdir(), includes: () => true };

/** A lab of an earlier version is left alone while the PID in its owner file runs (it recorded no start time). */
async function legacyLabAlive(scope: SweepScope, prefix: string): Promise<boolean> {
  const text = await readFile(join(scope.legacyDir, `${prefix}-work`, 'owner.json'), 'utf8').catch(() => undefined);
  if (text === undefined) return false;
  try {
    const value: unknown = JSON.parse(text);
    const pid = typeof value === 'object' && value !== null && 'pid' in value ? value.pid : undefined;
    return typeof pid === 'number' && legacyOwnerAlive(pid);
  } catch {
    return false;
  }
}

/**
 * Removes what crashed labs left behind (network namespaces, their processes, /etc/netns dirs, work dirs, then
 * owner files) and returns what it removed. A lab whose owner (PID and start time) is alive is left alone; a lab
 * is only ever created after its owner file, so a starting lab is never mistaken for a crashed one.
 */
export async function sweepLabLeftovers(scope: SweepScope = ALL_LABS): Promise<string[]> {
  const mine = (name: string): boolean => {
    const prefix = prefixOf(name);
    return prefix !== undefined && scope.includes(prefix);
  };
  const netns = (await listNetns()).filter(mine);
  const etc = (await readdir('/etc/netns').catch(() => [] as string[])).filter(mine);
  const base = (await readdir(scope.baseDir).catch(() => [] as string[])).filter(mine);
  const legacy = (await readdir(scope.legacyDir).catch(() => [] as string[])).filter(mine);
  const prefixes = new Set([...netns, ...etc, ...base, ...legacy].map((name) => prefixOf(name) ?? ''));
  const live = new Set<string>();
  for (const prefix of prefixes) {
    const owner = await readOwner(scope, prefix);
    if (owner !== undefined ? ownerAlive(owner) : await legacyLabAlive(scope, prefix)) live.add(prefix);
  }
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
  for (const name of legacy.filter(dead)) {
    await rm(join(scope.legacyDir, name), { recursive: true, force: true });
    removed.push(join(scope.legacyDir, name));
  }
  // The owner file goes last: a sweep interrupted half-way still knows whose leftovers the rest are.
  const ownerFiles = new Set([...prefixes].map((prefix) => `${prefix}-owner.json`));
  const doomedBase = base.filter(dead);
  for (const name of [...doomedBase.filter((name) => !ownerFiles.has(name)), ...doomedBase.filter((name) => ownerFiles.has(name))]) {
    await rm(join(scope.baseDir, name), { recursive: true, force: true });
    removed.push(join(scope.baseDir, name));
  }
  return removed;
}

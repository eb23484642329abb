import { chmod, lstat, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PodHandle } from '../../core/domain/cluster.ts';
import { pod } from '../../manifests/pod-builder.ts';
import { SCENE } from '../../manifests/scene.ts';
import { LAB_ADDRESSES } from './addressing.ts';
import { ensureLabBaseDir, LAB_BASE_DIR } from './lab-base-dir.ts';
import { LabCluster } from './lab-cluster.ts';
import { ownerFilePath } from './lab-sweep.ts';
import { API_ALLOW_FRONTEND } from './sidecar/test-objects.ts';
import { labProfile } from './testing/lab-profile.ts';
import { rootNamespaceSnapshot } from './testing/root-namespace-snapshot.ts';

/**
 * The lab run as root next to a hostile UID 1337, in the conditions a careless host gives it: umask 000, TMPDIR
 * in a 0700 folder, the CLI started from another 0700 folder (root's home). One small lab:sidecar run.
 */
interface Entry {
  readonly path: string;
  readonly uid: number;
  readonly mode: number;
  readonly kind: 'dir' | 'file' | 'link' | 'other';
}

async function walk(root: string): Promise<Entry[]> {
  const info = await lstat(root);
  const kind = info.isSymbolicLink() ? 'link' : info.isDirectory() ? 'dir' : info.isFile() ? 'file' : 'other';
  const entry: Entry = { path: root, uid: info.uid, mode: info.mode & 0o7777, kind };
  if (kind !== 'dir') return [entry];
  const children = await readdir(root);
  return [entry, ...(await Promise.all(children.map((child) => walk(join(root, child))))).flat()];
}

/** Plants `name -> target` in `dir` as UID/GID 1337; true when the link was made. */
async function plantAs1337(dir: string, name: string, target: string): Promise<boolean> {
  const uid = String(SCENE.proxyUid);
  const result = await execa('setpriv', ['--reuid', uid, '--regid', uid, '--clear-groups', 'ln', '-sfn', target, join(dir, name)], { reject: false, cwd: '/' });
  return result.exitCode === 0;
}

const SIDECAR_FILE_NAMES = ['identity.pem', 'root-cert.pem', 'haproxy.cfg', 'proxy.lua', 'config_dump.json', 'access.log', 'haproxy.err'];

describe('host safety of a lab run (root next to UID 1337)', () => {
  let lab: LabCluster;
  let client: PodHandle;
  let privateTmp = '';
  let privateCwd = '';
  let target = '';
  let before: Record<string, string> = {};
  const saved = { cwd: process.cwd(), tmpdir: process.env['TMPDIR'], umask: process.umask() };

  beforeAll(async () => {
    privateTmp = await mkdtemp(join(tmpdir(), 'bm-host-'));
    await chmod(privateTmp, 0o700);
    privateCwd = await mkdtemp(join(tmpdir(), 'bm-host-cwd-'));
    await chmod(privateCwd, 0o700);
    // What a planted link would aim at: a root-only file, standing in for /etc/shadow.
    target = join(privateTmp, 'root-secret');
    await writeFile(target, 'root secret\n', { mode: 0o600 });
    await chmod(target, 0o600);
    before = await rootNamespaceSnapshot();

    process.umask(0o000);
    process.env['TMPDIR'] = privateTmp;
    process.chdir(privateCwd);
    lab = await LabCluster.create(labProfile('lab:sidecar'), { runId: 'it-host-safety', onProgress: () => undefined });
    await lab.apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bm-app', labels: { 'istio-injection': 'enabled' } } }]);
    const created = await lab.createPod(pod('client', 'bm-app').build(), { timeoutMs: 10_000 });
    if (created.status !== 'running') throw new Error(`client did not start: ${JSON.stringify(created)}`);
    client = created.pod;
  });

  afterAll(async () => {
    await lab?.teardown();
    process.umask(saved.umask);
    process.chdir(saved.cwd);
    if (saved.tmpdir === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = saved.tmpdir;
    await rm(privateTmp, { recursive: true, force: true });
    await rm(privateCwd, { recursive: true, force: true });
  });

  it('a sidecar pod starts from a 0700 working directory (HAProxy as 1337 gets an enterable cwd)', async () => {
    const curl = await client.exec(['curl', '-sS', '-m', '3', `http://${LAB_ADDRESSES.sinkIp}:${SCENE.sink.httpPort}/bm4444444444444444`], { timeoutMs: 5_000 });
    expect(curl.exitCode).toBe(0);
    expect((await lab.sinkReceived('bm4444444444444444')).length).toBeGreaterThan(0);
  });

  it('under umask 000 nothing the lab made is writable by group or others; only the proxy socket folders belong to 1337', async () => {
    const base = await lstat(LAB_BASE_DIR);
    const entries: Entry[] = [
      { path: LAB_BASE_DIR, uid: base.uid, mode: base.mode & 0o7777, kind: 'dir' },
      ...(await walk(ownerFilePath(LAB_BASE_DIR, lab.name))),
      ...(await walk(lab.workDir)),
    ];
    const etc = (await readdir('/etc/netns')).filter((name) => name.startsWith(lab.name));
    for (const name of etc) entries.push(...(await walk(join('/etc/netns', name))));
    expect(entries.length).toBeGreaterThan(10);
    const real = entries.filter((entry) => entry.kind !== 'link' && entry.kind !== 'other');
    expect(real.filter((entry) => (entry.mode & 0o022) !== 0).map((entry) => `${entry.path} ${entry.mode.toString(8)}`)).toEqual([]);
    const foreign = real.filter((entry) => entry.uid !== 0);
    expect(foreign.map((entry) => `${entry.kind} ${entry.uid} ${entry.mode.toString(8)}`)).toEqual([`dir ${SCENE.proxyUid} 700`]);
    expect(foreign[0]?.path).toMatch(new RegExp(`^${lab.workDir}/sockets/${lab.name}-pod\\d+$`));
    // The key is readable by the proxy's group only, the CA's key by root only.
    const key = real.find((entry) => entry.path.endsWith('/sidecar/identity.pem'));
    expect(key?.mode).toBe(0o640);
    const ca = real.find((entry) => entry.path.endsWith(`${lab.name}-work/ca`));
    expect(ca?.mode).toBe(0o700);
  });

  it('symlinks planted by UID 1337 under every name the lab writes are never followed, at reload or pod start', async () => {
    const entries = await walk(lab.workDir);
    const names = new Set([...SIDECAR_FILE_NAMES, ...entries.filter((entry) => entry.kind === 'file').map((entry) => basename(entry.path))]);
    const dirs = entries.filter((entry) => entry.kind === 'dir').map((entry) => entry.path);
    const planted: string[] = [];
    for (const dir of dirs) {
      for (const name of names) if (await plantAs1337(dir, name, target)) planted.push(join(dir, name));
    }
    // 1337 can write its sockets folder and nothing else of the lab's.
    expect(planted.length).toBeGreaterThan(0);
    expect(planted.filter((path) => !path.startsWith(`${lab.workDir}/sockets/${lab.name}-pod`))).toEqual([]);

    // Reload every proxy (an Istio object changes) and start a second sidecar pod: root writes all its files again.
    await lab.apply([API_ALLOW_FRONTEND]);
    const second = await lab.createPod(pod('bm-convergence-probe-with-a-long-name-8ac643', 'bm-app').build(), { timeoutMs: 10_000 });
    expect(second.status).toBe('running');

    const after = await stat(target);
    expect(await readFile(target, 'utf8')).toBe('root secret\n');
    expect({ uid: after.uid, gid: after.gid, mode: after.mode & 0o7777 }).toEqual({ uid: 0, gid: 0, mode: 0o600 });
    // The proxy still does its job after the sabotage: its access log records the client's request.
    const from = new Date();
    const curl = await client.exec(['curl', '-sS', '-m', '3', `http://${LAB_ADDRESSES.sinkIp}:${SCENE.sink.httpPort}/bm5555555555555555`], { timeoutMs: 5_000 });
    expect(curl.exitCode).toBe(0);
    const evidence = await vi.waitFor(
      async () => {
        const items = await lab.collectEvidence({
          window: { from, to: new Date() },
          flow: { protocol: 'http', sourcePod: 'client', sourceNamespace: 'bm-app', sourceIp: client.ip, destinationIp: LAB_ADDRESSES.sinkIp },
        });
        if (items.length === 0) throw new Error('no proxy line yet');
        return items;
      },
      { timeout: 3_000, interval: 100 },
    );
    expect(evidence.map((item) => item.source)).toContain('lab-proxy-log');
  });

  it('after teardown: the root network namespace, the 0700 folders and the lab base are as they were', async () => {
    await lab.teardown();
    expect(await rootNamespaceSnapshot()).toEqual(before);
    expect((await stat(privateTmp)).mode & 0o7777).toBe(0o700);
    expect((await stat(privateCwd)).mode & 0o7777).toBe(0o700);
    await expect(lstat(lab.workDir)).rejects.toThrow(/ENOENT/);
    await expect(lstat(ownerFilePath(LAB_BASE_DIR, lab.name))).rejects.toThrow(/ENOENT/);
    expect((await readdir('/etc/netns')).filter((name) => name.startsWith(lab.name))).toEqual([]);
  });
});

describe('lab owner file', () => {
  it('is in place, whole (renamed from a temporary name), before anything else of the lab exists', async () => {
    await ensureLabBaseDir();
    const events: string[] = [];
    const watcher = watch(LAB_BASE_DIR, (_event, name) => events.push(String(name)));
    const lab = await LabCluster.create(labProfile('lab:none'), { runId: 'it-owner-first', onProgress: () => undefined });
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const mine = events.filter((name) => name.includes(lab.name));
      const ownerFile = basename(ownerFilePath(LAB_BASE_DIR, lab.name));
      // inotify reports in order: the temporary name, the owner file (rename), then the work dir.
      expect(mine.indexOf(ownerFile)).toBeGreaterThan(0);
      expect(mine.slice(0, mine.indexOf(ownerFile)).every((name) => name.endsWith('.tmp'))).toBe(true);
      expect(mine.indexOf(`${lab.name}-work`)).toBeGreaterThan(mine.indexOf(ownerFile));
    } finally {
      watcher.close();
      await lab.teardown();
    }
  });
});

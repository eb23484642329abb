import { execa } from 'execa';
import { readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { pod } from '../../manifests/pod-builder.ts';
import { SyncTeardowns } from '../../core/runner/sync-teardowns.ts';
import { LabCluster } from './lab-cluster.ts';
import { labProfile } from './testing/lab-profile.ts';
import { listNetns } from './topology.ts';

async function labFootprint(prefix: string) {
  const namespaces = (await listNetns()).filter((ns) => ns.startsWith(prefix));
  const etc = (await readdir('/etc/netns').catch(() => [] as string[])).filter((name) => name.startsWith(prefix));
  const temp = (await readdir(tmpdir())).filter((name) => name.startsWith(prefix));
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter((line) => line.includes(`/${prefix}-`));
  return { namespaces, etc, temp, mounts };
}

/** Live (not zombie) processes whose command line carries `marker`. */
async function liveWith(marker: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry))) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    if (cmdline.includes(marker) && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z') found.push(pid);
  }
  return found;
}

describe('LabCluster.teardownSync (second Ctrl-C)', () => {
  it('is registered before anything is made, and removes namespaces, mounts, dirs, sidecar proxies and a daemon a pod forked off', async () => {
    const teardowns = new SyncTeardowns();
    const lab = await LabCluster.create(labProfile('lab:sidecar'), { runId: 'teardown-sync-test', onProgress: () => undefined, syncTeardowns: teardowns });
    try {
      expect(teardowns.size()).toBe(1);
      // Injected: the pod gets a sidecar proxy, started outside the lab's process registry.
      await lab.apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bm-app', labels: { 'istio-injection': 'enabled' } } }]);
      // The daemon leaves the pod's process group and session: only its network namespace still ties it to the lab.
      const marker = `bm-daemon-${lab.name}`;
      const created = await lab.createPod(pod('forker', 'bm-app').withCommand('sh', '-c', `setsid sh -c 'exec -a ${marker} sleep 1000' & exec sleep infinity`).build(), { timeoutMs: 10_000 });
      expect(created.status).toBe('running');
      await execa('sleep', ['0.5']);
      const before = await labFootprint(lab.name);
      expect(before.namespaces.length).toBeGreaterThanOrEqual(6);
      expect(before.mounts.length).toBeGreaterThanOrEqual(before.namespaces.length);
      expect(await liveWith(marker)).toHaveLength(1);
      const labProcesses = await liveWith(lab.name);
      expect(labProcesses.length).toBeGreaterThan(2);

      expect(teardowns.runAll()).toEqual([`lab ${lab.name} (lab:sidecar): removed`]);
      // SIGKILL is delivered asynchronously: give killed processes a bounded moment to die.
      const settle = Date.now() + 3_000;
      while ((await liveWith(lab.name)).length + (await liveWith(marker)).length > 0 && Date.now() < settle) await execa('sleep', ['0.1']);
      expect(await labFootprint(lab.name)).toEqual({ namespaces: [], etc: [], temp: [], mounts: [] });
      expect(await liveWith(marker)).toEqual([]);
      expect(await liveWith(lab.name)).toEqual([]);
    } finally {
      await lab.teardown();
    }
  });
});

import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKindProfiles } from '../../core/config/testing/all-profiles.ts';
import type { Cluster } from '../../core/domain/cluster.ts';
import { canSavePlatform, dockerMajorVersion } from './docker-version.ts';
import { DEFAULT_KIND_DEPS, type KindDeps, type KubeOps } from './kind-deps.ts';
import { createKindProvider } from './kind-provider.ts';
import { loadKindPins } from './pins-tools.ts';

describe('docker version', () => {
  it('reads the major version of the engine, including distribution suffixes', () => {
    expect(dockerMajorVersion('27.5.1')).toBe(27);
    expect(dockerMajorVersion('28.0.4-1.fc42')).toBe(28);
    expect(dockerMajorVersion('')).toBeUndefined();
  });

  it('uses `image save --platform` only from Docker 28; unknown is treated as too old', () => {
    expect(canSavePlatform('28.0.0')).toBe(true);
    expect(canSavePlatform('29.1.2')).toBe(true);
    expect(canSavePlatform('27.5.1')).toBe(false);
    expect(canSavePlatform('26.1.5+dfsg1')).toBe(false);
    expect(canSavePlatform('garbage')).toBe(false);
    expect(canSavePlatform(undefined)).toBe(false);
  });
});

/**
 * The provider against stand-in `docker`, `kind` and `helm` executables on PATH that record their arguments: the
 * real command runner (execa) runs them; only the side containers and the Kubernetes API are faked.
 */
describe('kind provider with a stand-in Docker', () => {
  let work: string;
  let bin: string;
  let log: string;
  const savedPath = process.env['PATH'];

  async function standIns(dockerVersion: string): Promise<void> {
    const record = `printf '%s\\n' "$(basename "$0") $*" >> '${log}'`;
    await writeFile(join(bin, 'docker'), `#!/bin/sh\n${record}\nif [ "$1" = version ]; then echo '{"Client":{"Version":"${dockerVersion}"},"Server":{"Version":"${dockerVersion}"}}'; fi\n`, { mode: 0o755 });
    await writeFile(join(bin, 'kind'), `#!/bin/sh\n${record}\nif [ "$1" = version ]; then echo 'kind v0.32.0 go1.25 linux/amd64'; fi\n`, { mode: 0o755 });
    await writeFile(join(bin, 'helm'), `#!/bin/sh\n${record}\nif [ "$1" = version ]; then echo 'v4.2.3'; fi\n`, { mode: 0o755 });
    await writeFile(log, '');
  }

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'bm-docker-version-'));
    bin = join(work, 'bin');
    log = join(work, 'calls.log');
    await mkdir(bin);
    process.env['PATH'] = `${bin}:${savedPath ?? ''}`;
  });

  afterAll(async () => {
    process.env['PATH'] = savedPath;
    await rm(work, { recursive: true, force: true });
  });

  async function createCilium(): Promise<string[]> {
    const profile = (await loadKindProfiles()).find((candidate) => candidate.id === 'cilium');
    if (profile === undefined) throw new Error('no cilium profile');
    const kube: KubeOps = {
      apply: async () => undefined,
      waitFor: async () => undefined,
      deleteManaged: async () => [],
      diagnose: async () => '',
    };
    const deps: KindDeps = {
      run: DEFAULT_KIND_DEPS.run,
      startContainer: async (step) => ({ name: step.name, ip: '172.18.0.9', reuse: step.reuse, stop: async () => undefined }),
      kube: () => kube,
      connect: () => ({}) as Cluster,
    };
    const provider = createKindProvider({
      deps,
      toolCache: { searchPath: bin, cacheDir: join(work, 'cache') },
      workDir: join(work, `plan-${Math.random().toString(16).slice(2)}`),
      nodePlatform: 'linux/amd64',
    });
    await provider.create(profile, { runId: 'r1a2b3', onProgress: () => undefined });
    return (await readFile(log, 'utf8')).split('\n').filter((line) => line.startsWith('docker '));
  }

  it('Docker 27: never passes --platform to `docker image save`; each node pulls the pinned Cilium digest', async () => {
    await standIns('27.5.1');
    const docker = await createCilium();
    const image = (await loadKindPins()).images.cilium ?? '';
    // The doctor's engine probe, run by the provider itself: its Server.Version decides the preload.
    expect(docker[0]).toBe('docker version --format {{json .}}');
    expect(docker.some((line) => line.startsWith('docker image save'))).toBe(false);
    expect(docker.filter((line) => line.includes('cilium/cilium'))).toEqual(
      ['control-plane', 'worker', 'worker2'].map((node) => `docker exec bm-r1a2b3-cilium-${node} crictl pull ${image}`),
    );
  });

  it('Docker 28: saves the node platform of the pinned image and loads the archive', async () => {
    await standIns('28.0.4');
    const docker = await createCilium();
    const image = (await loadKindPins()).images.cilium ?? '';
    expect(docker).toContain(`docker image save --platform linux/amd64 --output cilium-image.tar ${image}`);
    expect(docker.some((line) => line.includes('crictl pull'))).toBe(false);
  });
});

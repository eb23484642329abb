import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadEstimates, type ResourceEstimates } from '../../core/config/estimates.ts';
import { loadProfileCatalog } from '../../core/config/profiles-config.ts';
import { runChecks, type CheckOutcome } from '../../core/doctor/check.ts';
import { fakeProbes, type FakeHost } from '../../core/doctor/testing/fake-probes.ts';
import type { Profile } from '../../core/domain/profile.ts';
import { kindDoctorChecks, type LocatedTool } from './doctor-checks.ts';
import { loadKindPins, type KindPins, type ToolPin } from './pins-tools.ts';
import { findInCache } from './tool-cache.ts';

const GIB = 1024 ** 3;
const DOCKER_VERSION = 'docker version --format {{json .}}';
const CLIENT_ONLY = {
  exitCode: 1,
  // What `docker version --format '{{json .}}'` prints on a machine with only the client (this one).
  stdout: '{"Client":{"Version":"28.2.2","ApiVersion":"1.50","Os":"linux","Arch":"amd64","Context":"default"},"Server":null}\n',
  stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n',
};
const WITH_ENGINE = {
  exitCode: 0,
  stdout: '{"Client":{"Version":"27.5.1"},"Server":{"Version":"27.5.1","ApiVersion":"1.47","Components":[]}}\n',
  stderr: '',
};
const HEALTHY_FILES = {
  '/proc/meminfo': 'MemTotal:       32000000 kB\nMemAvailable:   20971520 kB\n',
  '/proc/sys/fs/inotify/max_user_watches': '524288\n',
  '/proc/sys/fs/inotify/max_user_instances': '512\n',
  '/sys/fs/cgroup/cgroup.controllers': 'cpuset cpu io memory pids\n',
};

let pins: KindPins;
let estimates: ResourceEstimates;
let profiles: readonly Profile[];

beforeAll(async () => {
  pins = await loadKindPins();
  estimates = await loadEstimates();
  profiles = (await loadProfileCatalog()).profiles;
});

interface Setup {
  readonly host?: FakeHost;
  readonly located?: LocatedTool;
  readonly platform?: string;
  readonly profiles?: readonly Profile[];
  readonly reuse?: string;
}

async function check(id: string, setup: Setup = {}): Promise<CheckOutcome & { readonly heads: string[]; readonly execs: string[] }> {
  const probes = fakeProbes({ files: HEALTHY_FILES, commands: { [DOCKER_VERSION]: WITH_ENGINE, 'docker info --format {{.DockerRootDir}}': { exitCode: 0, stdout: '/srv/docker\n', stderr: '' } }, ...setup.host });
  const checks = kindDoctorChecks({
    pins,
    profiles: setup.profiles ?? profiles,
    estimates,
    probes,
    platform: setup.platform ?? 'linux-amd64',
    cacheDir: '/cache/breachmatrix',
    ...(setup.reuse === undefined ? {} : { reuse: setup.reuse }),
    locateTool: async () => setup.located,
  });
  const selected = checks.find((candidate) => candidate.id === id);
  if (selected === undefined) throw new Error(`no check ${id}; have ${checks.map((candidate) => candidate.id).join(', ')}`);
  const [outcome] = await runChecks([selected]);
  if (outcome === undefined) throw new Error('no outcome');
  return { ...outcome, heads: probes.heads, execs: probes.execs };
}

describe('kind doctor: Docker', () => {
  it('reports client and engine versions when the engine answers', async () => {
    expect(await check('kind.docker.client')).toMatchObject({ status: 'ok', detail: 'client 27.5.1' });
    expect(await check('kind.docker.engine')).toMatchObject({ status: 'ok', detail: 'engine 27.5.1 (API 1.47) reachable' });
  });

  it('says clearly when only the client is installed, with the engine fix', async () => {
    const host = { commands: { [DOCKER_VERSION]: CLIENT_ONLY } };
    expect(await check('kind.docker.client', { host })).toMatchObject({ status: 'ok', detail: 'client 28.2.2' });
    const engine = await check('kind.docker.engine', { host });
    expect(engine.status).toBe('fail');
    expect(engine.detail).toBe(
      'only the Docker client (28.2.2) is here: no engine answered — Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
    );
    expect(engine.fix).toMatch(/^start the Docker engine \(`systemctl start docker`\).*install Docker Engine \(https:\/\/docs\.docker\.com\/engine\/install\/\).*--provider lab$/);
  });

  it('tells a user without access to the socket to join the docker group', async () => {
    const denied = { ...CLIENT_ONLY, stderr: 'permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock\n' };
    const engine = await check('kind.docker.engine', { host: { commands: { [DOCKER_VERSION]: denied } } });
    expect(engine).toMatchObject({ status: 'fail', fix: 'add your user to the docker group (or run as root), then run doctor again' });
  });

  it('fails both checks when docker is not installed', async () => {
    const host = { commands: {} };
    const client = await check('kind.docker.client', { host });
    expect(client).toMatchObject({ status: 'fail', detail: 'docker is not installed (spawn docker ENOENT)' });
    expect(client.fix).toContain('install Docker');
    expect(await check('kind.docker.engine', { host })).toMatchObject({ status: 'fail', detail: 'no docker client, so no engine to ask' });
  });
});

describe('kind doctor: kind and helm at the pins', () => {
  it('passes a tool found on PATH or in the cache without touching the network', async () => {
    const onPath = await check('kind.tool.kind', { located: { source: 'path', path: '/usr/local/bin/kind' } });
    expect(onPath).toMatchObject({ status: 'ok', detail: 'on PATH at the pinned version: /usr/local/bin/kind' });
    expect(onPath.heads).toEqual([]);
    const cached = await check('kind.tool.helm', { located: { source: 'cache', path: '/cache/helm' } });
    expect(cached).toMatchObject({ status: 'ok', detail: 'in the tool cache, checksum verified: /cache/helm' });
    expect(cached.heads).toEqual([]);
  });

  it('passes a missing tool whose pinned download answers, naming the URL and the cache', async () => {
    const outcome = await check('kind.tool.helm', { host: { head: () => ({ status: 200 }) } });
    expect(outcome.status).toBe('ok');
    expect(outcome.heads).toEqual([pins.tools.helm.platforms['linux-amd64']?.url]);
    expect(outcome.detail).toContain('`run` downloads https://get.helm.sh/helm-v4.2.3-linux-amd64.tar.gz (HTTP 200)');
    expect(outcome.detail).toContain('/cache/breachmatrix');
  });

  it('fails when the download cannot be reached or answers 404, with both ways out', async () => {
    const offline = await check('kind.tool.kind', { host: { head: () => ({ error: 'getaddrinfo ENOTFOUND github.com' }) } });
    expect(offline.status).toBe('fail');
    expect(offline.detail).toMatch(/not on PATH at v0\.32\.0, not in the tool cache \/cache\/breachmatrix, and https:\/\/github\.com\/.*kind-linux-amd64 cannot be downloaded: getaddrinfo ENOTFOUND github\.com/);
    expect(offline.fix).toBe('install kind v0.32.0 on PATH, or allow HTTPS to github.com so `run` can download it');
    const gone = await check('kind.tool.kind', { host: { head: () => ({ status: 404 }) } });
    expect(gone).toMatchObject({ status: 'fail' });
    expect(gone.detail).toMatch(/cannot be downloaded: HTTP 404$/);
  });

  it('fails on a platform pins.yaml has no download for', async () => {
    const outcome = await check('kind.tool.kind', { platform: 'linux-riscv64' });
    expect(outcome.status).toBe('fail');
    expect(outcome.detail).toContain('pins.yaml has no download for linux-riscv64 (pinned: linux-amd64, linux-arm64, darwin-amd64, darwin-arm64)');
    expect(outcome.fix).toBe('install kind v0.32.0 on PATH');
  });
});

describe('kind doctor: memory and disk against clusters/estimates.yaml', () => {
  it('passes when every selected profile fits, naming the largest', async () => {
    const outcome = await check('kind.memory');
    expect(outcome.status).toBe('ok');
    expect(outcome.detail).toMatch(/^20\.0 GiB available \(MemAvailable\); every selected profile fits \(largest: cilium\+istio-ambient ≈ 5\.3 GiB/);
  });

  it('fails naming each profile that does not fit and the ones that do', async () => {
    const outcome = await check('kind.memory', { host: { files: { ...HEALTHY_FILES, '/proc/meminfo': 'MemAvailable:    4194304 kB\n' } } });
    expect(outcome.status).toBe('fail');
    expect(outcome.detail).toContain('4.0 GiB available (MemAvailable); too little for');
    expect(outcome.detail).toContain('cilium+istio-ambient (≈ 5.3 GiB)');
    expect(outcome.detail).not.toMatch(/too little for[^;]*\bkindnet \(/);
    expect(outcome.fix).toMatch(/^free memory \(stop other containers or VMs\), or select profiles that fit with --profile \(kindnet, calico, cilium/);
  });

  it('fails closed when /proc/meminfo has no MemAvailable', async () => {
    const outcome = await check('kind.memory', { host: { files: { ...HEALTHY_FILES, '/proc/meminfo': 'MemTotal: 1 kB\n' } } });
    expect(outcome).toMatchObject({ status: 'fail', detail: 'cannot read MemAvailable from /proc/meminfo' });
  });

  it("measures Docker's data root as the engine reports it", async () => {
    const asked: string[] = [];
    const outcome = await check('kind.disk', { host: { freeDisk: (path) => (asked.push(path), { path, bytes: 100 * GIB }) } });
    expect(asked).toEqual(['/srv/docker']);
    expect(outcome.status).toBe('ok');
    expect(outcome.detail).toMatch(/^100\.0 GiB free at \/srv\/docker \(Docker's data root\); every selected profile fits/);
  });

  it('falls back to /var/lib/docker (nearest existing parent) without an engine, and fails when too full', async () => {
    const outcome = await check('kind.disk', {
      host: { commands: { [DOCKER_VERSION]: CLIENT_ONLY }, freeDisk: () => ({ path: '/var/lib', bytes: 3 * GIB }) },
    });
    expect(outcome.execs).not.toContain('docker info --format {{.DockerRootDir}}');
    expect(outcome.status).toBe('fail');
    expect(outcome.detail).toMatch(/^3\.0 GiB free at \/var\/lib \(nearest existing parent of \/var\/lib\/docker, Docker's default data root: the engine did not say\); too little for kindnet/);
    expect(outcome.fix).toMatch(/^free space under \/var\/lib\/docker \(`docker system prune` removes unused images\), or select profiles that fit with --profile$/);
  });
});

describe('kind doctor with run --reuse', () => {
  it('leaves out memory and disk: the existing cluster already holds them', async () => {
    await expect(check('kind.memory', { reuse: 'bm-old' })).rejects.toThrow(/no check kind\.memory/);
    await expect(check('kind.disk', { reuse: 'bm-old' })).rejects.toThrow(/no check kind\.disk/);
    expect((await check('kind.inotify', { reuse: 'bm-old' })).status).toBe('ok');
  });
});

describe('kind doctor: inotify and cgroup v2', () => {
  it('passes at exactly the limits kind documents', async () => {
    expect(await check('kind.inotify')).toMatchObject({ status: 'ok', detail: 'max_user_watches=524288, max_user_instances=512 (kind asks for ≥ 524288 and ≥ 512)' });
  });

  it('fails below either limit, fixing only what is low, and cites kind', async () => {
    const outcome = await check('kind.inotify', { host: { files: { ...HEALTHY_FILES, '/proc/sys/fs/inotify/max_user_instances': '128\n' } } });
    expect(outcome.status).toBe('fail');
    expect(outcome.detail).toBe(
      'max_user_watches=524288, max_user_instances=128: below what kind documents; pods fail with "too many open files" (https://kind.sigs.k8s.io/docs/user/known-issues/#pod-errors-due-to-too-many-open-files)',
    );
    expect(outcome.fix).toBe('sysctl -w fs.inotify.max_user_instances=512, and keep it across reboots in /etc/sysctl.d/99-kind.conf');
    const unreadable = await check('kind.inotify', { host: { files: { ...HEALTHY_FILES, '/proc/sys/fs/inotify/max_user_watches': 'x' } } });
    expect(unreadable).toMatchObject({ status: 'fail', fix: 'sysctl -w fs.inotify.max_user_watches=524288, and keep it across reboots in /etc/sysctl.d/99-kind.conf' });
  });

  it('needs /sys/fs/cgroup/cgroup.controllers', async () => {
    expect(await check('kind.cgroup-v2')).toMatchObject({ status: 'ok', detail: 'unified hierarchy (controllers: cpuset cpu io memory pids)' });
    const { '/sys/fs/cgroup/cgroup.controllers': _omitted, ...v1 } = HEALTHY_FILES;
    const outcome = await check('kind.cgroup-v2', { host: { files: v1 } });
    expect(outcome.status).toBe('fail');
    expect(outcome.detail).toContain('this host runs cgroup v1 (or hybrid)');
    expect(outcome.fix).toContain('systemd.unified_cgroup_hierarchy=1');
  });
});

describe('findInCache', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bm-doctor-cache-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finds a binary only when its marker holds the pinned checksum, and never downloads', async () => {
    const checksum = createHash('sha256').update('x').digest('hex');
    const pin: ToolPin = { version: 'v1.2.3', archive: 'none', platforms: { 'linux-amd64': { url: 'http://127.0.0.1:9/never', sha256: checksum } } };
    expect(await findInCache('kind', pin, { cacheDir: dir, platform: 'linux-amd64' })).toBeUndefined();
    const folder = join(dir, 'tools', 'kind-v1.2.3-linux-amd64');
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'kind'), '#!/bin/sh\n', { mode: 0o755 });
    await writeFile(join(folder, 'kind.sha256'), `${'0'.repeat(64)}\n`);
    expect(await findInCache('kind', pin, { cacheDir: dir, platform: 'linux-amd64' })).toBeUndefined();
    await writeFile(join(folder, 'kind.sha256'), `${checksum}\n`);
    expect(await findInCache('kind', pin, { cacheDir: dir, platform: 'linux-amd64' })).toBe(join(folder, 'kind'));
    expect(await findInCache('kind', pin, { cacheDir: dir, platform: 'darwin-arm64' })).toBeUndefined();
  });
});

describe('CI workflows that run kind', () => {
  it('raise the inotify limits the kind.inotify check requires before `run`', async () => {
    for (const name of ['nightly', 'pre-upgrade']) {
      const workflow = parse(await readFile(new URL(`../../.github/workflows/${name}.yml`, import.meta.url), 'utf8')) as { jobs: Record<string, { steps: { run?: string }[] }> };
      const runs = Object.values(workflow.jobs).flatMap((job) => job.steps.map((step) => step.run ?? ''));
      const sysctl = runs.findIndex((run) => run.includes('sysctl -w fs.inotify.max_user_watches=524288 fs.inotify.max_user_instances=512'));
      const firstRun = runs.findIndex((run) => run.includes('breachmatrix run --provider kind'));
      expect(sysctl, name).toBeGreaterThanOrEqual(0);
      expect(sysctl, name).toBeLessThan(firstRun);
    }
  });
});

import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProfileCatalog } from '../../core/config/profiles-config.ts';
import type { Cluster, KubeObject } from '../../core/domain/cluster.ts';
import { BadInputError, InfrastructureError } from '../../core/domain/errors.ts';
import type { Profile } from '../../core/domain/profile.ts';
import type { CommandResult, ConnectOptions, KindDeps, KubeOps } from './kind-deps.ts';
import { DOCKER_VERSION_ARGS, dockerEngineResult, parseDockerVersion } from './doctor-checks.ts';
import { createKindProvider } from './kind-provider.ts';
import { DEFAULT_REPO_DIR } from './plan/plan-kind-profile.ts';
import { loadGatewayApiBundle } from './manifests/gateway-api-bundle.ts';
import { loadKindPins } from './pins-tools.ts';
import { sweepKindLeftovers } from './sweep.ts';

let work: string;
let bin: string;
let profiles: readonly Profile[];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'bm-kind-provider-'));
  // kind and helm "on PATH" at the pinned versions, so the tool cache needs no download.
  bin = join(work, 'bin');
  await mkdir(bin);
  await writeFile(join(bin, 'kind'), '#!/bin/sh\necho "kind v0.32.0 go1.25 linux/amd64"\n', { mode: 0o755 });
  await writeFile(join(bin, 'helm'), '#!/bin/sh\necho "v4.2.3"\n', { mode: 0o755 });
  profiles = (await loadProfileCatalog()).profiles;
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function profile(id: string): Profile {
  const found = profiles.find((candidate) => candidate.id === id);
  if (found === undefined) throw new Error(`no profile ${id}`);
  return found;
}

interface FakeWorld {
  readonly events: string[];
  readonly applied: KubeObject[];
  readonly deps: KindDeps;
}

/** Fakes for execa, testcontainers and the API: they record what happens, in order. */
function fakeWorld(behaviour: { onRun?: (command: string, args: readonly string[]) => CommandResult | undefined; failWait?: string; docker?: boolean } = {}): FakeWorld {
  const events: string[] = [];
  const applied: KubeObject[] = [];
  const ok: CommandResult = { exitCode: 0, stdout: '', stderr: '' };
  const kube: KubeOps = {
    apply: async (objects) => {
      events.push(`apply ${objects.map((object) => object.kind).join(',')}`);
      applied.push(...objects);
    },
    waitFor: async (target, condition) => {
      if (behaviour.failWait === target.name) throw new InfrastructureError(target.kind, `not ${condition}`);
      events.push(`wait ${target.kind}/${target.name} ${condition}`);
    },
    deleteManaged: async () => {
      events.push('delete namespaces');
      return ['bm-app'];
    },
    diagnose: async (namespace) => `event Warning Pod/istiod-1: FailedScheduling 0/3 nodes are available (${namespace})`,
  };
  const deps: KindDeps = {
    run: async (command, args) => {
      const custom = behaviour.onRun?.(command, args);
      events.push(`run ${basename(command)} ${args.slice(0, 2).join(' ')}`);
      if (custom !== undefined) return custom;
      if (command === 'docker' && args[0] === 'version') {
        // `docker version --format '{{json .}}'`: the client always answers; the engine only when it runs.
        if (behaviour.docker === false) return { exitCode: 1, stdout: '{"Client":{"Version":"27.5.1"},"Server":null}\n', stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' };
        return { exitCode: 0, stdout: '{"Client":{"Version":"27.5.1"},"Server":{"Version":"27.5.1","ApiVersion":"1.47"}}\n', stderr: '' };
      }
      return ok;
    },
    startContainer: async (step) => {
      events.push(`start container ${step.name}`);
      return { name: step.name, ip: '172.18.0.9', reuse: step.reuse, stop: async () => void events.push(`stop container ${step.name}`) };
    },
    kube: () => kube,
    connect: (options: ConnectOptions): Cluster => {
      events.push(`connect ${options.name} sink ${options.sinkIp}`);
      let done = false;
      const teardown = async (): Promise<void> => {
        if (done) return;
        done = true;
        await kube.deleteManaged();
        await options.afterTeardown();
      };
      return {
        name: options.name,
        provider: 'kind',
        profile: options.profile,
        apply: async () => undefined,
        readBack: async () => [],
        createPod: async () => ({ status: 'rejected', layer: 'admission', message: 'fake' }),
        addresses: async () => {
          throw new Error('not in this test');
        },
        collectEvidence: async () => [],
        sinkReceived: async () => [],
        destinationLiveness: async () => ({ status: 'unknown', reason: 'not in this test' }),
        teardown,
        [Symbol.asyncDispose]: teardown,
      };
    },
  };
  return { events, applied, deps };
}

function provider(world: FakeWorld, extra: { reuse?: string } = {}) {
  return createKindProvider({ deps: world.deps, toolCache: { searchPath: bin, cacheDir: join(work, 'cache') }, workDir: join(work, `plan-${Math.random().toString(16).slice(2)}`), ...extra });
}

const quiet = { runId: 'r1a2b3', onProgress: (): void => undefined };

describe('kind provider create and teardown (injected fakes)', () => {
  it('creates the cluster, starts the sink, installs the stack and points CoreDNS at the sink it started', async () => {
    const world = fakeWorld();
    const cluster = await provider(world).create(profile('cilium+istio-sidecar'), quiet);
    const events = world.events;
    const at = (text: string): number => events.findIndex((event) => event.startsWith(text));
    expect(at('run kind create')).toBeGreaterThanOrEqual(0);
    expect(at('start container bm-r1a2b3-cilium-istio-sidecar-sink')).toBeGreaterThan(at('run kind create'));
    expect(at('run helm upgrade')).toBeGreaterThan(at('start container'));
    expect(at('apply ConfigMap')).toBeGreaterThan(at('wait DaemonSet/cilium'));
    expect(at('connect bm-r1a2b3-cilium-istio-sidecar sink 172.18.0.9')).toBe(events.length - 1);
    const corefile = JSON.stringify(world.applied.find((object) => object.kind === 'ConfigMap'));
    expect(corefile).toContain('forward . 172.18.0.9:53');
    expect(cluster.name).toBe('bm-r1a2b3-cilium-istio-sidecar');
  });

  it('teardown removes namespaces (pods) first, then the cluster, then the side containers; twice is harmless', async () => {
    const world = fakeWorld();
    const cluster = await provider(world).create(profile('kindnet'), quiet);
    world.events.length = 0;
    await cluster.teardown();
    await cluster.teardown();
    expect(world.events).toEqual(['delete namespaces', 'run kind delete cluster', 'stop container bm-r1a2b3-kindnet-sink']);
  });

  it('its own work directory ($TMPDIR/breachmatrix-<cluster>-*, 0700) is removed on teardown and after a failed create; a given --work-dir stays', async () => {
    const saved = process.env['TMPDIR'];
    const temp = await mkdtemp(join(work, 'tmp-'));
    process.env['TMPDIR'] = temp;
    try {
      const own = (world: FakeWorld) => createKindProvider({ deps: world.deps, toolCache: { searchPath: bin, cacheDir: join(work, 'cache') } });
      const cluster = await own(fakeWorld()).create(profile('kindnet'), quiet);
      const made = await readdir(temp);
      expect(made).toEqual([expect.stringMatching(/^breachmatrix-bm-r1a2b3-kindnet-/)]);
      expect((await stat(join(temp, made[0] ?? ''))).mode & 0o777).toBe(0o700);
      await cluster.teardown();
      expect(await readdir(temp)).toEqual([]);
      await expect(own(fakeWorld({ failWait: 'istiod' })).create(profile('istio-sidecar'), quiet)).rejects.toThrow(/not rollout/);
      expect(await readdir(temp)).toEqual([]);
      // A directory the caller named is theirs: plan files stay for them to read.
      const given = join(temp, 'mine');
      const kept = await createKindProvider({ deps: fakeWorld().deps, toolCache: { searchPath: bin, cacheDir: join(work, 'cache') }, workDir: given }).create(profile('kindnet'), quiet);
      await kept.teardown();
      expect(await readdir(given)).toContain('kind-config.yaml');
    } finally {
      if (saved === undefined) Reflect.deleteProperty(process.env, 'TMPDIR');
      else process.env['TMPDIR'] = saved;
    }
  });

  it('a work directory made writable by others during the run is left alone and reported, not followed', async () => {
    const saved = process.env['TMPDIR'];
    const temp = await mkdtemp(join(work, 'tmp-'));
    process.env['TMPDIR'] = temp;
    try {
      const cluster = await createKindProvider({ deps: fakeWorld().deps, toolCache: { searchPath: bin, cacheDir: join(work, 'cache') } }).create(profile('kindnet'), quiet);
      const [made = ''] = await readdir(temp);
      await chmod(join(temp, made), 0o777);
      await expect(cluster.teardown()).rejects.toThrow(/left behind: work directory .*writable by others/);
      expect(await readdir(join(temp, made))).toContain('kind-config.yaml');
    } finally {
      if (saved === undefined) Reflect.deleteProperty(process.env, 'TMPDIR');
      else process.env['TMPDIR'] = saved;
    }
  });

  it('an interrupt mid-create tears down what exists (cluster, then sink) and never connects', async () => {
    const controller = new AbortController();
    const world = fakeWorld({
      onRun: (command, args) => {
        if (basename(command) === 'helm' && args[0] === 'upgrade') controller.abort();
        return undefined;
      },
    });
    const attempt = provider(world).create(profile('calico'), { ...quiet, signal: controller.signal });
    await expect(attempt).rejects.toThrow(/interrupted/);
    const tail = world.events.slice(world.events.indexOf('run helm upgrade --install') + 1);
    expect(tail).toEqual(['run kind delete cluster', 'stop container bm-r1a2b3-calico-sink']);
    expect(world.events.some((event) => event.startsWith('connect'))).toBe(false);
  });

  it('an interrupt before anything was made leaves nothing to tear down', async () => {
    const controller = new AbortController();
    controller.abort();
    const world = fakeWorld();
    await expect(provider(world).create(profile('calico'), { ...quiet, signal: controller.signal })).rejects.toThrow(/interrupted/);
    expect(world.events.filter((event) => event.includes('delete') || event.includes('stop'))).toEqual([]);
  });

  it('a component that never becomes ready fails naming it, with its last events, and everything is removed', async () => {
    const world = fakeWorld({ failWait: 'istiod' });
    const failure = await provider(world)
      .create(profile('istio-sidecar'), quiet)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(InfrastructureError);
    expect((failure as InfrastructureError).component).toBe('istiod');
    expect((failure as Error).message).toMatch(/not rollout[\s\S]*kubectl --kubeconfig kubeconfig rollout status deployment\/istiod[\s\S]*FailedScheduling/);
    expect(world.events.slice(-2)).toEqual(['run kind delete cluster', 'stop container bm-r1a2b3-istio-sidecar-sink']);
  });

  it('an ambient profile applies the vendored Gateway API files before Istio, each CRD Established first; nothing is downloaded', async () => {
    const world = fakeWorld();
    const workDir = join(work, 'plan-gateway');
    await createKindProvider({ deps: world.deps, toolCache: { searchPath: bin, cacheDir: join(work, 'cache') }, workDir }).create(profile('istio-ambient'), quiet);
    const version = (await loadKindPins()).versionSets['pinned']?.gatewayApi ?? '';
    const bundle = loadGatewayApiBundle(version);
    const events = world.events;
    const firstIstio = events.findIndex((event) => event.startsWith('run helm upgrade'));
    const gatewayEvents = events.slice(events.findIndex((event) => event.startsWith('apply CustomResourceDefinition')), firstIstio);
    const perFile = bundle.manifests.map((manifest) => `apply ${manifest.objects.map((object) => object.kind).join(',')}`);
    expect(gatewayEvents).toEqual([...perFile, ...bundle.crdNames.map((name) => `wait CustomResourceDefinition/${name} Established`)]);
    expect(perFile.at(-1)).toBe('apply ValidatingAdmissionPolicy,ValidatingAdmissionPolicyBinding');
    // The applied objects are the vendored documents, unchanged.
    const applied = world.applied.filter((object) => object.apiVersion === 'apiextensions.k8s.io/v1' || object.apiVersion.startsWith('admissionregistration.k8s.io/'));
    expect(applied).toEqual(bundle.manifests.flatMap((manifest) => manifest.objects));
    // The plan directory holds the files it applied, byte for byte.
    for (const manifest of bundle.manifests) {
      expect(await readFile(join(workDir, 'manifests', manifest.source), 'utf8')).toBe(manifest.content);
    }
    expect(events.some((event) => /curl|download|https?:/.test(event))).toBe(false);
  });

  it('a Gateway API version with no vendored folder is refused before any cluster is made, naming the command that vendors it', async () => {
    const shipped = await readFile(join(DEFAULT_REPO_DIR, 'clusters/pins.yaml'), 'utf8');
    const pinsFile = join(work, 'pins-unvendored-gateway-api.yaml');
    const version = (await loadKindPins()).versionSets['pinned']?.gatewayApi ?? '';
    await writeFile(pinsFile, shipped.replace(`gatewayApi: ${version}`, 'gatewayApi: v1.0.99'));
    const world = fakeWorld();
    const failure = await createKindProvider({ deps: world.deps, pinsFile, toolCache: { searchPath: bin, cacheDir: join(work, 'cache') }, workDir: join(work, 'plan-unvendored') })
      .create(profile('istio-ambient'), quiet)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(BadInputError);
    expect((failure as Error).message).toContain('Gateway API v1.0.99 is not vendored');
    expect((failure as Error).message).toContain('npx tsx bin/refresh-gateway-api.ts --version v1.0.99 --write');
    expect(world.events.some((event) => event.startsWith('run kind create') || event.startsWith('start container'))).toBe(false);
  });

  it('a failing exec step names its component and the stderr tail', async () => {
    const world = fakeWorld({
      onRun: (command, args) => (basename(command) === 'kind' && args[0] === 'create' ? { exitCode: 1, stdout: '', stderr: 'ERROR: failed to create cluster: node(s) already exist' } : undefined),
    });
    await expect(provider(world).create(profile('kindnet'), quiet)).rejects.toThrow(/^kind: exit 1: ERROR: failed to create cluster: node\(s\) already exist/);
    // kind create may leave half a cluster: it is deleted; no container was started yet.
    expect(world.events.slice(-1)).toEqual(['run kind delete cluster']);
  });
});

describe('kind provider preflight and reuse', () => {
  it('--registry-cache with testcontainers reuse turned off is refused before anything is made', async () => {
    const saved = process.env['TESTCONTAINERS_REUSE_ENABLE'];
    process.env['TESTCONTAINERS_REUSE_ENABLE'] = 'false';
    try {
      const world = fakeWorld();
      const cached = createKindProvider({ deps: world.deps, registryCache: true, toolCache: { searchPath: bin, cacheDir: join(work, 'cache') } });
      await expect(cached.preflight()).rejects.toThrow(/--registry-cache: TESTCONTAINERS_REUSE_ENABLE=false turns off testcontainers' container reuse/);
      expect(world.events).toEqual([]);
      // Without the cache the variable does not matter.
      await expect(provider(fakeWorld()).preflight()).resolves.toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env['TESTCONTAINERS_REUSE_ENABLE'];
      else process.env['TESTCONTAINERS_REUSE_ENABLE'] = saved;
    }
  });

  it('without Docker: BadInputError with the doctor check\'s own finding and fix (one implementation)', async () => {
    const world = fakeWorld({ docker: false });
    const failure = await provider(world)
      .preflight()
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(BadInputError);
    // The doctor's kind.docker.engine check on the same answer says the same thing.
    const doctorSays = dockerEngineResult(parseDockerVersion({ exitCode: 1, stdout: '{"Client":{"Version":"27.5.1"},"Server":null}\n', stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' }));
    expect(doctorSays.status).toBe('fail');
    expect((failure as Error).message).toContain(`Docker is not reachable: ${doctorSays.detail}`);
    expect((failure as BadInputError).message).toMatch(/only the Docker client \(27\.5\.1\) is here/);
    expect((failure as BadInputError).allowed ?? '').toContain(doctorSays.fix ?? 'no fix');
    // The provider asked exactly what doctor asks.
    expect(world.events).toContain(`run docker ${DOCKER_VERSION_ARGS.slice(0, 2).join(' ')}`);
  });

  it('without a docker client, or with an engine that says nothing: says so instead of empty parentheses', async () => {
    const missing = fakeWorld({ onRun: (command) => (command === 'docker' ? { exitCode: 127, stdout: '', stderr: 'spawn docker ENOENT' } : undefined) });
    await expect(provider(missing).preflight()).rejects.toThrow(/Docker is not reachable: no docker client, so no engine to ask.*install Docker Engine/);
    const silent = fakeWorld({ onRun: (command) => (command === 'docker' ? { exitCode: 1, stdout: '', stderr: '' } : undefined) });
    await expect(provider(silent).preflight()).rejects.toThrow(/Docker is not reachable: no engine answered — docker version exited 1/);
  });

  it('plans with the engine version the doctor probe reported', async () => {
    const world = fakeWorld({ onRun: (command, args) => (command === 'docker' && args[0] === 'version' ? { exitCode: 0, stdout: '{"Client":{"Version":"28.1.0"},"Server":{"Version":"28.1.0"}}', stderr: '' } : undefined) });
    await provider(world).create(profile('cilium'), quiet);
    // Docker 28 can save one platform of the Cilium image (an older engine would make every node pull it).
    expect(world.events.some((event) => event.startsWith('run docker image save'))).toBe(true);
  });

  it('a tool neither on PATH nor downloadable: BadInputError naming the version to install', async () => {
    const world = fakeWorld();
    const noTools = createKindProvider({
      deps: world.deps,
      toolCache: { searchPath: '', cacheDir: join(work, 'empty-cache'), fetch: async () => new Response('nope', { status: 404 }) },
    });
    await expect(noTools.preflight()).rejects.toThrow(/kind v0\.32\.0 is not on PATH and could not be fetched: .*HTTP 404.*install kind v0\.32\.0 on PATH/);
  });

  it('--reuse refuses clusters breachmatrix did not create, and unknown ones', async () => {
    const world = fakeWorld({ onRun: (_command, args) => (args[0] === 'get' && args[1] === 'clusters' ? { exitCode: 0, stdout: 'bm-old-calico\nprod\n', stderr: '' } : undefined) });
    await expect(provider(world, { reuse: 'prod' }).preflight()).rejects.toThrow(/"prod" is not a breachmatrix cluster/);
    await expect(provider(world, { reuse: 'bm-gone' }).preflight()).rejects.toThrow(/no kind cluster "bm-gone".*allowed: bm-old-calico/);
  });

  it('--reuse skips provisioning (only the sink and CoreDNS) and never deletes the reused cluster', async () => {
    const world = fakeWorld({
      onRun: (_command, args) => {
        if (args[0] === 'get' && args[1] === 'clusters') return { exitCode: 0, stdout: 'bm-old-calico\n', stderr: '' };
        if (args[0] === 'get' && args[1] === 'kubeconfig') return { exitCode: 0, stdout: 'apiVersion: v1\nkind: Config\n', stderr: '' };
        return undefined;
      },
    });
    const cluster = await provider(world, { reuse: 'bm-old-calico' }).create(profile('calico'), quiet);
    expect(world.events.some((event) => event.startsWith('run kind create') || event.startsWith('run helm'))).toBe(false);
    expect(world.events).toContain('apply ConfigMap');
    world.events.length = 0;
    await cluster.teardown();
    expect(world.events).toEqual(['delete namespaces', 'stop container bm-old-calico-sink']);
  });
});

describe('sweepKindLeftovers', () => {
  it('deletes bm-* kind clusters and run-labelled containers only', async () => {
    const world = fakeWorld({
      onRun: (command, args) => {
        if (args[0] === 'get' && args[1] === 'clusters') return { exitCode: 0, stdout: 'bm-r1-calico\nkind\nbm-r2-cilium\n', stderr: '' };
        if (command === 'docker' && args[0] === 'ps') {
          expect(args).toContain('label=breachmatrix.dev/run-id');
          return { exitCode: 0, stdout: 'bm-r1-calico-sink\n', stderr: '' };
        }
        return undefined;
      },
    });
    const removed = await sweepKindLeftovers({ deps: world.deps });
    expect(removed).toEqual(['kind cluster bm-r1-calico', 'kind cluster bm-r2-cilium', 'container bm-r1-calico-sink']);
    // Two deletions for two bm-* clusters: the user's own `kind` cluster is not touched.
    expect(world.events.filter((event) => event === 'run kind delete cluster')).toHaveLength(2);
  });

  it('uses the pinned kind from the tool cache when it is not on PATH (the binary runs use)', async () => {
    const pin = (await loadKindPins()).tools.kind;
    const cacheDir = join(work, 'sweep-cache');
    const binary = join(cacheDir, 'tools', `kind-${pin.version}-linux-amd64`, 'kind');
    await mkdir(join(binary, '..'), { recursive: true });
    await writeFile(binary, '#!/bin/sh\necho "kind v0.32.0 go1.25 linux/amd64"\n', { mode: 0o755 });
    await writeFile(`${binary}.sha256`, `${pin.platforms['linux-amd64']?.sha256 ?? ''}\n`);
    const commands: string[] = [];
    const world = fakeWorld({
      onRun: (command, args) => {
        commands.push(`${command} ${args.join(' ')}`);
        if (args[0] === 'get' && args[1] === 'clusters') return { exitCode: 0, stdout: 'bm-r1-calico\n', stderr: '' };
        return undefined;
      },
    });
    const removed = await sweepKindLeftovers({ deps: world.deps, toolCache: { searchPath: '', cacheDir, platform: 'linux-amd64' } });
    expect(removed).toContain('kind cluster bm-r1-calico');
    expect(commands.filter((command) => !command.startsWith('docker '))).toEqual([`${binary} get clusters`, `${binary} delete cluster --name bm-r1-calico`]);
  });

  it('without kind or Docker the sweep is empty, not an error, and says what it skipped', async () => {
    const world = fakeWorld({ onRun: () => ({ exitCode: 127, stdout: '', stderr: 'not found' }) });
    const skipped: string[] = [];
    expect(await sweepKindLeftovers({ deps: world.deps, onSkipped: (what, why) => skipped.push(`${what}: ${why}`) })).toEqual([]);
    expect(skipped).toEqual(['kind clusters: `kind get clusters` failed: not found', 'breachmatrix containers: `docker ps` failed: not found']);
  });
});

import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cluster, ClusterCreateOptions, ClusterProvider } from '../../core/domain/cluster.ts';
import { BadInputError, InfrastructureError } from '../../core/domain/errors.ts';
import type { Profile } from '../../core/domain/profile.ts';
import { TIMEOUTS } from '../../core/timeouts.ts';
import { DOCKER_VERSION_ARGS, dockerEngineResult, parseDockerVersion } from './doctor-checks.ts';
import { DEFAULT_KIND_DEPS, type KindDeps } from './kind-deps.ts';
import { loadKindPins, type KindPins } from './pins-tools.ts';
import { CLUSTER_PREFIX } from './plan/cluster-name.ts';
import { REGISTRY_CACHE_NAME, planKindProfile, type KindPlanOptions } from './plan/plan-kind-profile.ts';
import type { KindPlan } from './plan/plan-types.ts';
import { writePlan } from './plan/write-plan.ts';
import { executePlan, type KindResources } from './run-plan.ts';
import { tearDownKindResources } from './teardown.ts';
import { defaultCacheDir, ensureTool, type ToolCacheOptions } from './tool-cache.ts';
import { createWorkDir, removeWorkDir } from './work-dir.ts';

export interface KindProviderOptions {
  readonly pinsFile?: string;
  /** Run against this existing breachmatrix cluster (`bm-…`) instead of creating one. */
  readonly reuse?: string;
  readonly registryCache?: boolean;
  readonly onProgress?: (line: string) => void;
  /**
   * Where each cluster's plan is written and run from, kept afterwards; default: a fresh 0700 temp directory per
   * cluster ($TMPDIR/breachmatrix-<cluster>-XXXXXX), removed on teardown.
   */
  readonly workDir?: string;
  /** Injected for tests. */
  readonly deps?: KindDeps;
  readonly toolCache?: ToolCacheOptions;
  /** Node platform for image archives; default this machine's (kind nodes run natively). */
  readonly nodePlatform?: string;
}

/** testcontainers' switch for container reuse. */
const REUSE_ENV = 'TESTCONTAINERS_REUSE_ENABLE';

interface Prepared {
  readonly pins: KindPins;
  /** The engine's version (`docker version` Server.Version, what `docker info` calls ServerVersion), e.g. `27.5.1`. */
  readonly dockerServerVersion: string;
  readonly tools: Readonly<Record<'kind' | 'helm' | 'docker', string>>;
}

function hostNodePlatform(): string {
  return `linux/${process.arch === 'x64' ? 'amd64' : process.arch}`;
}

export function createKindProvider(options: KindProviderOptions = {}): ClusterProvider {
  const deps = options.deps ?? DEFAULT_KIND_DEPS;
  let prepared: Prepared | undefined;

  async function prepare(): Promise<Prepared> {
    if (prepared !== undefined) return prepared;
    const pins = await loadKindPins(options.pinsFile);
    // testcontainers (12.x, generic-container.js) reuses a `withReuse()` container, and keeps Ryuk from removing it,
    // unless this variable is "false"; then the cache would be started anew and reaped after every run.
    if (options.registryCache === true && process.env[REUSE_ENV] === 'false') {
      throw new BadInputError(
        `${REUSE_ENV}=false turns off testcontainers' container reuse, which keeps ${REGISTRY_CACHE_NAME} across runs`,
        '--registry-cache',
        `unset ${REUSE_ENV} (or set it to true), or run without --registry-cache`,
      );
    }
    // The same probe and decision as `breachmatrix doctor`'s kind.docker.engine check (one implementation).
    const version = parseDockerVersion(
      await deps
        .run('docker', DOCKER_VERSION_ARGS, { cwd: tmpdir(), timeoutMs: TIMEOUTS.scriptExecMs })
        .catch((error: unknown) => ({ exitCode: 127, stdout: '', stderr: (error as Error).message })),
    );
    const engine = dockerEngineResult(version);
    if (engine.status === 'fail' || version.server === undefined) {
      throw new BadInputError(
        `Docker is not reachable: ${engine.detail}`,
        'kind provider',
        `${engine.fix ?? 'start Docker'} (kind runs its nodes as containers; \`breachmatrix doctor --provider kind\` repeats this check)`,
      );
    }
    const tools: Record<string, string> = { docker: 'docker' };
    for (const name of ['kind', 'helm'] as const) {
      const pin = pins.tools[name];
      try {
        tools[name] = (await ensureTool(name, pin, { ...options.toolCache, ...(options.onProgress ? { onProgress: options.onProgress } : {}) })).path;
      } catch (error) {
        throw new BadInputError(
          `${name} ${pin.version} is not on PATH and could not be fetched: ${(error as Error).message}`,
          'kind provider',
          `install ${name} ${pin.version} on PATH, or let breachmatrix download it into ${options.toolCache?.cacheDir ?? defaultCacheDir()}`,
        );
      }
    }
    if (options.reuse !== undefined) {
      if (!options.reuse.startsWith(CLUSTER_PREFIX)) {
        throw new BadInputError(`"${options.reuse}" is not a breachmatrix cluster`, '--reuse', `a kind cluster named ${CLUSTER_PREFIX}… (see \`kind get clusters\`)`);
      }
      const clusters = await deps.run(tools['kind'] ?? 'kind', ['get', 'clusters'], { cwd: tmpdir(), timeoutMs: TIMEOUTS.scriptExecMs });
      if (!clusters.stdout.split('\n').map((line) => line.trim()).includes(options.reuse)) {
        throw new BadInputError(`no kind cluster "${options.reuse}"`, '--reuse', clusters.stdout.trim().split('\n').filter((line) => line.startsWith(CLUSTER_PREFIX)).join(', ') || 'none exist');
      }
    }
    prepared = { pins, dockerServerVersion: version.server, tools: { kind: tools['kind'] ?? 'kind', helm: tools['helm'] ?? 'helm', docker: 'docker' } };
    return prepared;
  }

  async function create(profile: Profile, createOptions: ClusterCreateOptions): Promise<Cluster> {
    const { pins, tools, dockerServerVersion } = await prepare();
    const progress = (line: string): void => {
      createOptions.onProgress(line);
      options.onProgress?.(line);
    };
    const planOptions: KindPlanOptions = {
      runId: createOptions.runId,
      registryCache: options.registryCache ?? false,
      nodePlatform: options.nodePlatform ?? hostNodePlatform(),
      dockerServerVersion,
      ...(options.reuse === undefined ? {} : { clusterName: options.reuse }),
    };
    const first = planKindProfile(profile, pins, planOptions);
    const dir = options.workDir ?? (await createWorkDir(first.clusterName));
    // Only a directory this run created is removed; a --work-dir the caller chose stays.
    const removeDir = async (): Promise<string[]> => {
      if (options.workDir !== undefined) return [];
      try {
        await removeWorkDir(dir);
        return [];
      } catch (error) {
        return [`work directory ${dir} (${(error as Error).message})`];
      }
    };
    const resources: KindResources = { clusterName: undefined, reused: options.reuse !== undefined, containers: [] };
    const execute = { dir, tools, deps, resources, onProgress: progress, ...(createOptions.signal ? { signal: createOptions.signal } : {}) };
    const teardownOptions = { deps, resources, kindBinary: tools.kind, dir, onProgress: progress };
    let sinkIp: string;
    let plan: KindPlan;
    try {
      await writePlan(first, dir);
      if (options.reuse === undefined) {
        await executePlan(first, ['cluster', 'side-containers'], execute);
      } else {
        resources.clusterName = options.reuse;
        const kubeconfig = await deps.run(tools.kind, ['get', 'kubeconfig', '--name', options.reuse], { cwd: dir, timeoutMs: TIMEOUTS.scriptExecMs });
        if (kubeconfig.exitCode !== 0) throw new InfrastructureError('kind', `cannot read the kubeconfig of ${options.reuse}: ${kubeconfig.stderr}`);
        await writeFile(join(dir, first.kubeconfig), kubeconfig.stdout, { mode: 0o600 });
        await executePlan(first, ['side-containers'], execute);
      }
      const sink = resources.containers.find((container) => container.name.endsWith('-sink'));
      if (sink === undefined) throw new InfrastructureError('sink', 'the sink container did not start');
      sinkIp = sink.ip;
      // Re-plan with the sink's address: only the CoreDNS patch changes.
      plan = planKindProfile(profile, pins, { ...planOptions, sinkIp });
      await writePlan(plan, dir);
      if (options.reuse === undefined) {
        await executePlan(plan, ['stack'], execute);
      } else {
        await executePlan({ ...plan, steps: plan.steps.filter((step) => step.component === 'coredns') }, ['stack'], execute);
      }
    } catch (error) {
      const left = [...(await tearDownKindResources(teardownOptions)), ...(await removeDir())];
      if (left.length > 0) progress(`could not remove: ${left.join('; ')} — run \`breachmatrix clean\``);
      throw error;
    }
    return deps.connect({
      name: plan.clusterName,
      profile,
      kubeconfigPath: join(dir, plan.kubeconfig),
      sinkIp,
      afterTeardown: async () => {
        const left = [...(await tearDownKindResources(teardownOptions)), ...(await removeDir())];
        if (left.length > 0) throw new InfrastructureError('teardown', `left behind: ${left.join('; ')} — run \`breachmatrix clean\``);
      },
    });
  }

  return {
    name: 'kind',
    preflight: async () => {
      await prepare();
    },
    create,
  };
}

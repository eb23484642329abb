import { estimateFor, type ProfileEstimate, type ResourceEstimates } from '../../core/config/estimates.ts';
import { fail, ok, type Check, type CheckResult } from '../../core/doctor/check.ts';
import { formatBytes, parseMemAvailable, type HostProbes, type ProbeCommandResult } from '../../core/doctor/host-probes.ts';
import type { Profile } from '../../core/domain/profile.ts';
import type { KindPins, ToolName, ToolPin } from './pins-tools.ts';

/** Where a pinned tool was found without downloading it. */
export type LocatedTool = { readonly source: 'path' | 'cache'; readonly path: string } | undefined;

export interface KindDoctorOptions {
  readonly pins: KindPins;
  /** The selected profiles; memory and disk are compared with each one's estimate. */
  readonly profiles: readonly Profile[];
  readonly estimates: ResourceEstimates;
  readonly probes: HostProbes;
  /** Finds the tool on PATH at the pinned version or verified in the tool cache (clusters/kind/tool-cache.ts). */
  readonly locateTool: (name: ToolName, pin: ToolPin) => Promise<LocatedTool>;
  /** `<os>-<arch>` as pins.yaml names platforms. */
  readonly platform: string;
  readonly cacheDir: string;
  /** `run --reuse`: the cluster exists and already holds its memory and disk, so those two checks do not apply. */
  readonly reuse?: string;
}

/** kind's documented minimums: https://kind.sigs.k8s.io/docs/user/known-issues/#pod-errors-due-to-too-many-open-files */
export const INOTIFY_MINIMUMS = { max_user_watches: 524_288, max_user_instances: 512 } as const;

const KIND_INOTIFY_DOC = 'https://kind.sigs.k8s.io/docs/user/known-issues/#pod-errors-due-to-too-many-open-files';
const DOCKER_DEFAULT_ROOT = '/var/lib/docker';

export interface DockerVersion {
  readonly client?: string;
  readonly server?: string;
  readonly serverApi?: string;
  /** Why no server answered, as docker said it. */
  readonly problem: string;
  readonly installed: boolean;
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}

function stringField(value: unknown, key: string): string | undefined {
  if (typeof value !== 'object' || value === null || !(key in value)) return undefined;
  const field = (value as Record<string, unknown>)[key];
  return typeof field === 'string' && field !== '' ? field : undefined;
}

/** How the engine check asks Docker: one probe, shared by `doctor` and the kind provider. */
export const DOCKER_VERSION_ARGS: readonly string[] = ['version', '--format', '{{json .}}'];

/** `docker version --format '{{json .}}'` prints the client even when the engine does not answer (Server: null, exit 1). */
export function parseDockerVersion(result: ProbeCommandResult): DockerVersion {
  if (result.exitCode === 127) return { installed: false, problem: firstLine(result.stderr) || 'docker not found' };
  let document: unknown;
  try {
    document = JSON.parse(result.stdout.trim().split('\n')[0] ?? '');
  } catch {
    document = undefined;
  }
  const client = typeof document === 'object' && document !== null ? (document as Record<string, unknown>)['Client'] : undefined;
  const server = typeof document === 'object' && document !== null ? (document as Record<string, unknown>)['Server'] : undefined;
  const clientVersion = stringField(client, 'Version');
  const serverVersion = stringField(server, 'Version');
  const serverApi = stringField(server, 'ApiVersion');
  return {
    installed: true,
    ...(clientVersion === undefined ? {} : { client: clientVersion }),
    ...(serverVersion === undefined ? {} : { server: serverVersion }),
    ...(serverApi === undefined ? {} : { serverApi }),
    problem: firstLine(result.stderr) || (result.exitCode === 0 ? '' : `docker version exited ${result.exitCode}`),
  };
}

function engineFix(problem: string): string {
  if (/permission denied/i.test(problem)) return 'add your user to the docker group (or run as root), then run doctor again';
  return (
    'start the Docker engine (`systemctl start docker`), or point DOCKER_HOST / `docker context use` at a running one; ' +
    'if only the client is installed, install Docker Engine (https://docs.docker.com/engine/install/). Without an engine, use --provider lab'
  );
}

/**
 * Is a Docker engine answering? The one implementation: `doctor`'s `kind.docker.engine` check and the kind provider's
 * own preparation (which needs the engine's version to plan) both decide with it.
 */
export function dockerEngineResult(version: DockerVersion): CheckResult {
  if (!version.installed) return fail('no docker client, so no engine to ask', 'install Docker Engine (https://docs.docker.com/engine/install/)');
  if (version.server !== undefined) return ok(`engine ${version.server}${version.serverApi === undefined ? '' : ` (API ${version.serverApi})`} reachable`);
  const only = version.client === undefined ? 'no engine answered' : `only the Docker client (${version.client}) is here: no engine answered`;
  return fail(`${only} — ${version.problem || 'no reason given'}`, engineFix(version.problem));
}

/** One resource against every selected profile's estimate: which fit, which do not, and the largest need. */
function resourceCheck(
  what: 'memory' | 'disk',
  available: number,
  where: string,
  estimates: readonly ProfileEstimate[],
  freeUp: string,
): CheckResult {
  const need = (estimate: ProfileEstimate): number => (what === 'memory' ? estimate.memoryBytes : estimate.diskBytes);
  const short = estimates.filter((estimate) => need(estimate) > available);
  const largest = [...estimates].sort((a, b) => need(b) - need(a))[0];
  if (largest === undefined) return ok(`${formatBytes(available)} ${where}; no profile selected`);
  if (short.length === 0) {
    return ok(`${formatBytes(available)} ${where}; every selected profile fits (largest: ${largest.profileId} ≈ ${formatBytes(need(largest))}, clusters/estimates.yaml)`);
  }
  const fitting = estimates.filter((estimate) => !short.includes(estimate)).map((estimate) => estimate.profileId);
  return fail(
    `${formatBytes(available)} ${where}; too little for ${short.map((estimate) => `${estimate.profileId} (≈ ${formatBytes(need(estimate))})`).join(', ')} (clusters/estimates.yaml)`,
    `${freeUp}, or select profiles that fit with --profile${fitting.length > 0 ? ` (${fitting.join(', ')})` : ''}`,
  );
}

function parseSysctl(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+\s*$/.test(text)) return undefined;
  return Number(text.trim());
}

/** Docker (client and engine), kind and helm at the pinned versions, memory, disk, inotify limits and cgroup v2. */
export function kindDoctorChecks(options: KindDoctorOptions): readonly Check[] {
  const { probes } = options;
  let docker: Promise<DockerVersion> | undefined;
  const dockerVersion = (): Promise<DockerVersion> => (docker ??= probes.exec('docker', DOCKER_VERSION_ARGS).then(parseDockerVersion));
  const estimates = (): ProfileEstimate[] => options.profiles.map((profile) => estimateFor(profile, options.estimates));

  const toolCheck = (name: ToolName): Check => ({
    id: `kind.tool.${name}`,
    title: `${name} ${options.pins.tools[name].version}`,
    run: async () => {
      const pin = options.pins.tools[name];
      const located = await options.locateTool(name, pin);
      if (located !== undefined) return ok(located.source === 'path' ? `on PATH at the pinned version: ${located.path}` : `in the tool cache, checksum verified: ${located.path}`);
      const artifact = pin.platforms[options.platform];
      if (artifact === undefined) {
        return fail(
          `not on PATH at ${pin.version}, and pins.yaml has no download for ${options.platform} (pinned: ${Object.keys(pin.platforms).join(', ')})`,
          `install ${name} ${pin.version} on PATH`,
        );
      }
      const answer = await probes.head(artifact.url);
      if ('status' in answer && answer.status >= 200 && answer.status < 300) {
        return ok(`not installed; \`run\` downloads ${artifact.url} (HTTP ${answer.status}), verifies sha256 ${artifact.sha256.slice(0, 12)}… and keeps it in ${options.cacheDir}`);
      }
      const why = 'status' in answer ? `HTTP ${answer.status}` : answer.error;
      return fail(
        `not on PATH at ${pin.version}, not in the tool cache ${options.cacheDir}, and ${artifact.url} cannot be downloaded: ${why}`,
        `install ${name} ${pin.version} on PATH, or allow HTTPS to ${new URL(artifact.url).host} so \`run\` can download it`,
      );
    },
  });

  const resourceChecks: Check[] = [
    {
      id: 'kind.memory',
      title: 'free memory',
      run: async () => {
        const available = parseMemAvailable((await probes.readText('/proc/meminfo')) ?? '');
        if (available === undefined) return fail('cannot read MemAvailable from /proc/meminfo', 'run doctor on the Linux host that runs Docker');
        return resourceCheck('memory', available, 'available (MemAvailable)', estimates(), 'free memory (stop other containers or VMs)');
      },
    },
    {
      id: 'kind.disk',
      title: 'free disk',
      run: async () => {
        const version = await dockerVersion();
        let root = DOCKER_DEFAULT_ROOT;
        let how = "Docker's default data root: the engine did not say";
        if (version.server !== undefined) {
          const info = await probes.exec('docker', ['info', '--format', '{{.DockerRootDir}}']);
          if (info.exitCode === 0 && info.stdout.trim() !== '') {
            root = info.stdout.trim();
            how = "Docker's data root";
          }
        }
        const free = await probes.freeDisk(root);
        const where = `free at ${free.path}${free.path === root ? ` (${how})` : ` (nearest existing parent of ${root}, ${how})`}`;
        return resourceCheck('disk', free.bytes, where, estimates(), `free space under ${root} (\`docker system prune\` removes unused images)`);
      },
    },
  ];

  return [
    {
      id: 'kind.docker.client',
      title: 'Docker client',
      run: async () => {
        const version = await dockerVersion();
        if (!version.installed) return fail(`docker is not installed (${version.problem})`, 'install Docker (https://docs.docker.com/engine/install/): kind runs its nodes as containers');
        if (version.client === undefined) return fail(`docker version printed no client version: ${version.problem || 'no output'}`, 'check the docker installation (`docker version`)');
        return ok(`client ${version.client}`);
      },
    },
    {
      id: 'kind.docker.engine',
      title: 'Docker engine',
      run: async () => dockerEngineResult(await dockerVersion()),
    },
    toolCheck('kind'),
    toolCheck('helm'),
    ...(options.reuse === undefined ? resourceChecks : []),
    {
      id: 'kind.inotify',
      title: 'inotify limits',
      run: async () => {
        const found: string[] = [];
        const low: string[] = [];
        for (const [name, minimum] of Object.entries(INOTIFY_MINIMUMS)) {
          const value = parseSysctl(await probes.readText(`/proc/sys/fs/inotify/${name}`));
          found.push(`${name}=${value ?? 'unreadable'}`);
          if (value === undefined || value < minimum) low.push(`fs.inotify.${name}=${minimum}`);
        }
        if (low.length === 0) return ok(`${found.join(', ')} (kind asks for ≥ ${INOTIFY_MINIMUMS.max_user_watches} and ≥ ${INOTIFY_MINIMUMS.max_user_instances})`);
        return fail(
          `${found.join(', ')}: below what kind documents; pods fail with "too many open files" (${KIND_INOTIFY_DOC})`,
          `sysctl -w ${low.join(' ')}, and keep it across reboots in /etc/sysctl.d/99-kind.conf`,
        );
      },
    },
    {
      id: 'kind.cgroup-v2',
      title: 'cgroup v2',
      run: async () => {
        const controllers = await probes.readText('/sys/fs/cgroup/cgroup.controllers');
        if (controllers !== undefined) return ok(`unified hierarchy (controllers: ${controllers.trim() || 'none delegated'})`);
        return fail(
          '/sys/fs/cgroup/cgroup.controllers is missing: this host runs cgroup v1 (or hybrid); the kubelet of Kubernetes 1.35 and later refuses cgroup v1 by default (failCgroupV1, KEP-5573: https://github.com/kubernetes/enhancements/issues/5573)',
          'boot with cgroup v2 (kernel command line systemd.unified_cgroup_hierarchy=1, see https://kubernetes.io/docs/concepts/architecture/cgroups/), or run Docker on a host that has it',
        );
      },
    },
  ];
}

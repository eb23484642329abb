import { tmpdir } from 'node:os';
import { TIMEOUTS } from '../../core/timeouts.ts';
import { SCENE } from '../../manifests/scene.ts';
import { DEFAULT_KIND_DEPS, type KindDeps } from './kind-deps.ts';
import { loadKindPins } from './pins-tools.ts';
import { CLUSTER_PREFIX } from './plan/cluster-name.ts';
import { findInstalledTool, type ToolCacheOptions } from './tool-cache.ts';

export interface SweepOptions {
  readonly deps?: KindDeps;
  /** The kind binary; default: the one runs use (pinned, on PATH or in the tool cache), else any `kind` on PATH. */
  readonly kindBinary?: string;
  /** Told what could not be swept and why (no Docker, no kind), so `clean` never says "nothing" without it. */
  readonly onSkipped?: (what: string, why: string) => void;
  readonly pinsFile?: string;
  readonly toolCache?: ToolCacheOptions;
}

function firstLine(result: { readonly exitCode: number; readonly stderr: string }): string {
  return result.stderr.trim().split('\n')[0] || `exit code ${result.exitCode}, no output`;
}

/**
 * Runs use the pinned kind, often a download in the tool cache that is not on PATH: clean must find that same
 * binary, or it would report "nothing to clean" while clusters remain.
 */
async function kindForSweep(options: SweepOptions): Promise<string> {
  if (options.kindBinary !== undefined) return options.kindBinary;
  const pins = await loadKindPins(options.pinsFile).catch(() => undefined);
  const installed = pins === undefined ? undefined : await findInstalledTool('kind', pins.tools.kind, options.toolCache).catch(() => undefined);
  return installed?.path ?? 'kind';
}

/**
 * `breachmatrix clean` for kind: every kind cluster named `bm-…` and every container carrying a run id label
 * (sinks of crashed runs). The registry cache has no run id: it is meant to outlive runs. Without Docker or
 * kind nothing of ours can exist there, so that is an empty sweep, not an error. Returns what was removed.
 */
export async function sweepKindLeftovers(options: SweepOptions = {}): Promise<string[]> {
  const deps = options.deps ?? DEFAULT_KIND_DEPS;
  const kind = await kindForSweep(options);
  const run = (command: string, args: readonly string[]) =>
    deps.run(command, args, { cwd: tmpdir(), timeoutMs: TIMEOUTS.teardownMs }).catch((error: unknown) => ({ exitCode: 127, stdout: '', stderr: (error as Error).message }));
  const removed: string[] = [];
  const clusters = await run(kind, ['get', 'clusters']);
  if (clusters.exitCode !== 0) options.onSkipped?.('kind clusters', `\`${kind} get clusters\` failed: ${firstLine(clusters)}`);
  if (clusters.exitCode === 0) {
    for (const name of clusters.stdout.split('\n').map((line) => line.trim()).filter((line) => line.startsWith(CLUSTER_PREFIX))) {
      if ((await run(kind, ['delete', 'cluster', '--name', name])).exitCode === 0) removed.push(`kind cluster ${name}`);
    }
  }
  const containers = await run('docker', ['ps', '--all', '--filter', `label=${SCENE.runIdLabel}`, '--filter', `label=${SCENE.managedByLabel.key}=${SCENE.managedByLabel.value}`, '--format', '{{.Names}}']);
  if (containers.exitCode !== 0) options.onSkipped?.('breachmatrix containers', `\`docker ps\` failed: ${firstLine(containers)}`);
  if (containers.exitCode === 0) {
    for (const name of containers.stdout.split('\n').map((line) => line.trim()).filter((line) => line !== '')) {
      if ((await run('docker', ['rm', '--force', name])).exitCode === 0) removed.push(`container ${name}`);
    }
  }
  return removed;
}

import { TIMEOUTS } from '../../core/timeouts.ts';
import type { KindDeps } from './kind-deps.ts';
import type { KindResources } from './run-plan.ts';

export interface TeardownOptions {
  readonly deps: KindDeps;
  readonly resources: KindResources;
  readonly kindBinary: string;
  readonly dir: string;
  readonly onProgress: (line: string) => void;
}

/**
 * Remove what a kind run made, in dependency order: the cluster (its labelled namespaces and pods are the
 * caller's first step, through the Cluster), then the side containers the cluster was using. Reused
 * clusters and the reused registry cache stay. Every error is collected, not thrown early: one failed
 * removal must not leave the rest behind. Returns what could not be removed.
 */
export async function tearDownKindResources(options: TeardownOptions): Promise<string[]> {
  const { deps, resources } = options;
  const left: string[] = [];
  const clusterName = resources.clusterName;
  if (clusterName !== undefined && !resources.reused) {
    options.onProgress(`deleting kind cluster ${clusterName}`);
    const result = await deps
      .run(options.kindBinary, ['delete', 'cluster', '--name', clusterName], { cwd: options.dir, timeoutMs: TIMEOUTS.teardownMs })
      .catch((error: unknown) => ({ exitCode: 1, stdout: '', stderr: (error as Error).message }));
    if (result.exitCode === 0) resources.clusterName = undefined;
    else left.push(`kind cluster ${clusterName} (${result.stderr.trim()})`);
  }
  for (const container of [...resources.containers].reverse()) {
    if (container.reuse) continue;
    options.onProgress(`stopping container ${container.name}`);
    try {
      await container.stop();
      resources.containers.splice(resources.containers.indexOf(container), 1);
    } catch (error) {
      left.push(`container ${container.name} (${(error as Error).message})`);
    }
  }
  return left;
}

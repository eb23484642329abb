import pLimit from 'p-limit';
import type { Cell } from '../domain/cell.ts';
import type { Cluster, ClusterProvider } from '../domain/cluster.ts';
import { depthOf, type PolicyGroup } from '../domain/depth.ts';
import { stackTraits, type Mesh, type Profile } from '../domain/profile.ts';
import { failedChecks, type SceneSelfTestLine } from '../domain/scene-self-test.ts';
import { applyPoliciesWithSelfTest } from '../scene-check/scene-self-test.ts';
import { executeAttack, type ExecuteOptions } from '../runner/execute-attack.ts';
import type { SyncTeardowns } from '../runner/sync-teardowns.ts';
import type { LayeredScene } from './layered-scene.ts';
import { passExecuteOptions, type PassOptions } from './pass-options.ts';
import { passStack } from './pass-stack.ts';
import { depthLayer, executeWithRetry, type PassResult } from './pass-result.ts';

export interface DepthPassesOptions extends PassOptions {
  readonly provider: ClusterProvider;
  /** Every cluster a pass makes, so the run tears it down with the full stack's. */
  readonly onCluster: (cluster: Cluster) => void;
  /** Where pass labs register their synchronous teardown for a second Ctrl-C, like the full stack's (unused with `keep`). */
  readonly syncTeardowns?: SyncTeardowns;
  readonly keep?: boolean;
  /** Records each pass's self-test table (a `scene` line naming the pass). */
  readonly onSelfTest?: (line: Omit<SceneSelfTestLine, 'type'>) => Promise<void>;
}

interface Pass {
  readonly group: PolicyGroup;
  readonly results: ReadonlyMap<string, Promise<PassResult>>;
}

/**
 * Depth by ablation. For a stack with more than one policy group, one pass per group on a cluster of the same
 * stack where only that group's policy objects are applied (the layers themselves still run: the sidecar still
 * captures, the CNI still forwards). Each pass proves its own preconditions with the scene self-test on its
 * reduced policy set, and runs every attack through executeAttack (same-path control, liveness, evidence of its own
 * attempt). Passes run alongside the full pass; a full-stack cell waits for its attack's passes before it is written.
 */
export class DepthPasses {
  private readonly options: DepthPassesOptions;
  private readonly passes = new Map<string, { readonly mesh: Mesh; readonly passes: readonly Pass[] }>();

  constructor(options: DepthPassesOptions) {
    this.options = options;
  }

  /** Start the passes of `profile` (none when it has fewer than two policy groups). */
  start(profile: Profile): void {
    const layered = this.options.renderLayers(profile);
    if (layered.groups.length < 2) return;
    this.passes.set(profile.id, { mesh: profile.mesh, passes: layered.groups.map(({ group, objects }) => this.startPass(profile, layered, group, objects)) });
  }

  private startPass(profile: Profile, layered: LayeredScene, group: PolicyGroup, objects: LayeredScene['groups'][number]['objects']): Pass {
    const say = (line: string): void => this.options.progress.step(profile.id, `depth ${group}-only: ${line}`);
    const ready = this.provision(profile, layered, group, objects, say);
    // A failed provisioning is every attack's answer; the rejection is handled here, never unhandled.
    ready.catch(() => undefined);
    const limit = pLimit(Math.max(1, this.options.concurrency));
    const results = new Map<string, Promise<PassResult>>();
    for (const attack of this.options.attacks) {
      const result = ready.then(
        ({ cluster, options }) =>
          limit(async (): Promise<PassResult> => {
            if (this.options.signal.aborted) return new Error('interrupted before this pass ran the attack');
            return executeWithRetry(() => executeAttack(cluster, attack, options), this.options.signal);
          }),
        (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
      );
      results.set(attack.id, result);
    }
    return { group, results };
  }

  private async provision(profile: Profile, layered: LayeredScene, group: PolicyGroup, objects: LayeredScene['groups'][number]['objects'], say: (line: string) => void): Promise<{ cluster: Cluster; options: ExecuteOptions }> {
    say('provisioning');
    const cluster = await this.options.provider.create(profile, {
      runId: this.options.runId,
      onProgress: say,
      signal: this.options.signal,
      ...(this.options.syncTeardowns && this.options.keep !== true ? { syncTeardowns: this.options.syncTeardowns } : {}),
    });
    this.options.onCluster(cluster);
    await cluster.apply(layered.scene);
    const selfTest = await applyPoliciesWithSelfTest({
      cluster,
      stack: passStack(stackTraits(profile), group),
      scene: layered.scene,
      policies: [objects],
      podReadyMs: this.options.podReadyMs,
      signal: this.options.signal,
      onProgress: say,
      ...(this.options.scripts ? { scripts: this.options.scripts } : {}),
      ...(this.options.sceneConvergence ? { convergence: this.options.sceneConvergence } : {}),
    });
    if (this.options.signal.aborted) throw new Error('interrupted during the scene self-test');
    await this.options.onSelfTest?.({ runId: this.options.runId, profileId: profile.id, pass: { policies: group, phase: 'fresh-cluster' }, checks: selfTest.checks, passed: selfTest.passed, durationMs: Math.round(selfTest.durationMs), at: new Date().toISOString() });
    const failed = failedChecks(selfTest.checks);
    if (failed.length > 0) {
      throw new Error(`scene self-test of the pass failed ${failed.length} of ${selfTest.checks.length} checks: ${failed.map((check) => `${check.name} (expected ${check.expected}, observed ${check.observed})`).join('; ')}`);
    }
    say(`scene self-test: ${selfTest.checks.length} checks passed`);
    const options = passExecuteOptions(this.options, cluster, await cluster.addresses());
    return { cluster, options };
  }

  /** The full-stack cell with its depth, once every pass of its attack answered; unchanged without passes. */
  async attach(cell: Cell): Promise<Cell> {
    const stack = this.passes.get(cell.profileId);
    if (stack === undefined || cell.outcome === 'not-applicable') return cell;
    const layers = await Promise.all(stack.passes.map(async (pass) => depthLayer(pass.group, (await pass.results.get(cell.attackId)) ?? new Error('the pass has no such attack'), stack.mesh)));
    return { ...cell, depth: depthOf(layers) };
  }

  /** Wait for every attack of every pass of these profiles (before their clusters are torn down). */
  async settle(profileIds: readonly string[]): Promise<void> {
    await Promise.allSettled(profileIds.flatMap((id) => (this.passes.get(id)?.passes ?? []).flatMap((pass) => [...pass.results.values()])));
  }

  /** Whether `profile` gets ablation passes. */
  has(profileId: string): boolean {
    return this.passes.has(profileId);
  }
}

import pLimit from 'p-limit';
import type { Cell } from '../domain/cell.ts';
import type { Cluster, KubeObject } from '../domain/cluster.ts';
import { depthOf, type PolicyGroup } from '../domain/depth.ts';
import { stackTraits, type Mesh, type Profile } from '../domain/profile.ts';
import { failedChecks, type SceneCheck, type ScenePass, type SceneSelfTestLine } from '../domain/scene-self-test.ts';
import { passSelfTest } from '../scene-check/pass-self-test.ts';
import { objectLabel } from '../scene-check/read-back-check.ts';
import type { SceneSelfTestResult } from '../scene-check/scene-self-test.ts';
import { executeAttack } from '../runner/execute-attack.ts';
import { ablationPlan, type AblationPlan } from './ablation-plan.ts';
import { depthLayer, executeWithRetry, VoidedPass, type PassResult } from './pass-result.ts';
import type { LayeredScene } from './layered-scene.ts';
import { passExecuteOptions, type PassOptions } from './pass-options.ts';

export interface InPlacePassesOptions extends PassOptions {
  /** Records each self-test table of a pass (a `scene` line naming the pass) before any cell it concerns. */
  readonly onSelfTest: (line: Omit<SceneSelfTestLine, 'type'>) => Promise<void>;
}

interface Stack {
  readonly mesh: Mesh;
  readonly layered: LayeredScene;
  readonly results: Map<PolicyGroup, Map<string, PassResult>>;
  /** Full-stack cells waiting for the passes (written with their depth once every pass answered). */
  readonly held: Cell[];
}

function failedSummary(test: SceneSelfTestResult): string {
  const failed = failedChecks(test.checks);
  return `${failed.length} of ${test.checks.length} checks failed: ${failed.map((check: SceneCheck) => `${check.name} (expected ${check.expected}, observed ${check.observed}${check.detail === '' ? '' : `; ${check.detail}`})`).join('; ')}`;
}

/**
 * Depth by ablation on kube providers, where a pass cannot have a cluster of its own: after the full pass, on the
 * run's own cluster, one pass per policy group in turn —
 *   1. delete the policy objects of every other group (exactly those this run applied: Cluster.removeApplied),
 *   2. prove it with the pass self-test (deleted objects read back absent; each removed group's layer probe turns
 *      allowed, each kept one stays denied; the scene flows match what the kept policies make of them),
 *   3. run every attack (executeAttack: same-path control, liveness, the attempt's own evidence),
 *   4. apply the deleted objects again and prove the full stack is back with the same self-test,
 * before the next pass. Gates fail closed: a pass whose ablation is not proven runs no attack (its cells are
 * `error` with the reason); a pass whose restoration is not proven has its cells withdrawn (`voided`), and no later
 * pass runs on a cluster in an unknown state. Full-stack cells are held until their profile's passes are done.
 */
export class InPlaceDepthPasses {
  private readonly options: InPlacePassesOptions;
  private readonly stacks = new Map<string, Stack>();

  constructor(options: InPlacePassesOptions) {
    this.options = options;
  }

  /** Register `profile` for passes (none when it has fewer than two policy groups). */
  start(profile: Profile): void {
    const layered = this.options.renderLayers(profile);
    if (layered.groups.length < 2) return;
    this.stacks.set(profile.id, { mesh: profile.mesh, layered, results: new Map(), held: [] });
  }

  /** Whether `profileId`'s full-stack cells wait for in-place passes. */
  has(profileId: string): boolean {
    return this.stacks.has(profileId);
  }

  /** Keep a full-stack cell until its profile's passes are done. */
  hold(cell: Cell): void {
    this.stacks.get(cell.profileId)?.held.push(cell);
  }

  /** Every pass of `profile`, one after the other, on `cluster` (the full pass must be over). */
  async run(profile: Profile, cluster: Cluster): Promise<void> {
    const stack = this.stacks.get(profile.id);
    if (stack === undefined) return;
    const all = stack.layered.groups.map(({ group }) => group);
    /** Set once the cluster is in a state no self-test vouches for: every later pass is refused with it. */
    let unproven: string | undefined;
    for (const group of all) {
      const say = (line: string): void => this.options.progress.step(profile.id, `depth ${group}-only: ${line}`);
      const fail = (reason: string, make: (message: string) => Error = (message) => new Error(message)): void => {
        stack.results.set(group, new Map(this.options.attacks.map((attack) => [attack.id, make(reason)])));
      };
      if (this.options.signal.aborted) {
        fail('interrupted before this pass');
        continue;
      }
      if (unproven !== undefined) {
        fail(unproven);
        continue;
      }
      if (cluster.removeApplied === undefined) {
        fail(`the ${cluster.provider} provider cannot delete the objects it applied`);
        continue;
      }
      let plan: AblationPlan;
      try {
        plan = ablationPlan(stack.layered, group);
      } catch (error) {
        fail((error as Error).message);
        continue;
      }
      let deleting = false;
      try {
        say(`deleting ${plan.remove.length} policy objects of ${all.filter((other) => other !== group).join(', ')}`);
        deleting = true;
        await cluster.removeApplied(plan.remove);
        say('pass self-test');
        const test = await passSelfTest(this.selfTestInput(profile, cluster, all, [group], plan.present, plan.remove, say));
        await this.record(profile, { policies: group, phase: 'ablated', objects: plan.remove.map(objectLabel) }, test);
        if (this.options.signal.aborted) fail('interrupted during the pass self-test');
        else if (!test.passed) fail(`ablation not proven by the pass self-test: ${failedSummary(test)}`);
        else {
          say(`pass self-test: ${test.checks.length} checks passed; running attacks`);
          stack.results.set(group, await this.attacks(cluster));
        }
      } catch (error) {
        fail(`ablation failed: ${(error as Error).message}`);
      } finally {
        if (deleting) unproven = await this.restore(profile, cluster, stack, plan, all, say);
      }
      if (unproven !== undefined) {
        // The pass's own measurements are withdrawn too: the cluster's state across it is in doubt.
        if ([...(stack.results.get(group)?.values() ?? [])].some((result) => !(result instanceof Error))) fail(unproven, (message) => new VoidedPass(message));
        this.options.progress.warn(`${profile.id}: ${unproven}`);
      }
    }
  }

  /** Applies the pass's deleted objects again and proves the full stack back; the reason when it is not. */
  private async restore(profile: Profile, cluster: Cluster, stack: Stack, plan: AblationPlan, all: readonly PolicyGroup[], say: (line: string) => void): Promise<string | undefined> {
    const what = `restoration after the ${plan.kept}-only pass`;
    try {
      say(`re-applying ${plan.remove.length} policy objects`);
      await cluster.apply(plan.remove);
      if (this.options.signal.aborted) return `${what} not proven: interrupted`;
      const present = [...stack.layered.scene, ...stack.layered.groups.flatMap(({ objects }) => objects)];
      const test = await passSelfTest(this.selfTestInput(profile, cluster, all, all, present, [], say));
      await this.record(profile, { policies: plan.kept, phase: 'restored', objects: plan.remove.map(objectLabel) }, test);
      if (this.options.signal.aborted) return `${what} not proven: interrupted`;
      if (!test.passed) return `${what} not proven by the self-test: ${failedSummary(test)}`;
      say(`restored: ${test.checks.length} checks passed`);
      return undefined;
    } catch (error) {
      return `${what} failed: ${(error as Error).message}`;
    }
  }

  private selfTestInput(profile: Profile, cluster: Cluster, groups: readonly PolicyGroup[], kept: readonly PolicyGroup[], present: readonly KubeObject[], absent: readonly KubeObject[], say: (line: string) => void): Parameters<typeof passSelfTest>[0] {
    return {
      cluster,
      stack: stackTraits(profile),
      groups,
      kept,
      present,
      absent,
      podReadyMs: this.options.podReadyMs,
      signal: this.options.signal,
      onProgress: say,
      ...(this.options.scripts ? { scripts: this.options.scripts } : {}),
      ...(this.options.sceneConvergence ? { convergence: this.options.sceneConvergence } : {}),
    };
  }

  private async record(profile: Profile, pass: ScenePass, test: SceneSelfTestResult): Promise<void> {
    await this.options.onSelfTest({ runId: this.options.runId, profileId: profile.id, pass, checks: test.checks, passed: test.passed, durationMs: Math.round(test.durationMs), at: new Date().toISOString() });
  }

  private async attacks(cluster: Cluster): Promise<Map<string, PassResult>> {
    const options = passExecuteOptions(this.options, cluster, await cluster.addresses());
    const limit = pLimit(Math.max(1, this.options.concurrency));
    const entries = await Promise.all(
      this.options.attacks.map((attack) =>
        limit(async (): Promise<[string, PassResult]> => {
          if (this.options.signal.aborted) return [attack.id, new Error('interrupted before this pass ran the attack')];
          return [attack.id, await executeWithRetry(() => executeAttack(cluster, attack, options), this.options.signal)];
        }),
      ),
    );
    return new Map(entries);
  }

  /** The held cells of `profileId` with their depth (a pass that never answered counts as not run), forgotten here. */
  take(profileId: string): Cell[] {
    const stack = this.stacks.get(profileId);
    if (stack === undefined) return [];
    const cells = stack.held.splice(0).map((cell) => ({
      ...cell,
      depth: depthOf(stack.layered.groups.map(({ group }) => depthLayer(group, stack.results.get(group)?.get(cell.attackId) ?? new Error('the run ended before this pass'), stack.mesh))),
    }));
    return cells;
  }

  /** Every cell still held (a run that ended early), with what depth is known. */
  takeAll(): Cell[] {
    return [...this.stacks.keys()].flatMap((profileId) => this.take(profileId));
  }
}

import type { AttackDefinition } from '../domain/attack.ts';
import type { Profile } from '../domain/profile.ts';
import type { Progress } from '../runner/progress.ts';
import type { ScriptSource } from '../runner/script-runner.ts';
import type { LayeredScene } from './layered-scene.ts';

/** What every depth pass needs, whether it runs on a fresh cluster (lab) or in place (kube providers). */
export interface PassOptions {
  readonly runId: string;
  readonly attacks: readonly AttackDefinition[];
  readonly renderLayers: (profile: Profile) => LayeredScene;
  /** Attacks at once per pass (the same limit as the full pass). */
  readonly concurrency: number;
  readonly podReadyMs: number;
  readonly controlRetries: number;
  readonly progress: Progress;
  readonly signal: AbortSignal;
  readonly scripts?: ScriptSource;
  readonly sceneConvergence?: { readonly timeoutMs: number; readonly intervalMs: number };
}

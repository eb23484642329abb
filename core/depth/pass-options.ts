import type { AttackDefinition } from '../domain/attack.ts';
import type { Profile } from '../domain/profile.ts';
import type { SceneAddresses } from '../domain/scene-addresses.ts';
import type { Cluster } from '../domain/cluster.ts';
import type { ExecuteOptions } from '../runner/execute-attack.ts';
import { ControlClients } from '../runner/control-clients.ts';
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

/** How a pass runs each attack, on `cluster`, whose `addresses` it read once the pass's scene was proven. */
export function passExecuteOptions(options: PassOptions, cluster: Cluster, addresses: SceneAddresses): ExecuteOptions {
  return {
    runId: options.runId,
    addresses,
    podReadyMs: options.podReadyMs,
    controlRetries: options.controlRetries,
    controlClients: new ControlClients(cluster, options.podReadyMs),
    ...(options.scripts ? { scripts: options.scripts } : {}),
  };
}

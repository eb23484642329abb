import { EXIT } from '../../core/domain/errors.ts';
import type { LabCluster } from './lab-cluster.ts';

/**
 * Tears the lab down on SIGINT/SIGTERM (then exits 130) and, as a last resort, synchronously on process exit.
 * Returns a function that removes the handlers (call it after a normal teardown). The runner may use its own
 * handling instead: `LabCluster.teardown()` / `[Symbol.asyncDispose]` are idempotent.
 */
export function installInterruptTeardown(cluster: LabCluster): () => void {
  const onSignal = (): void => {
    void cluster.teardown().finally(() => process.exit(EXIT.interrupted));
  };
  const onExit = (): void => cluster.teardownSync();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', onExit);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', onExit);
  };
}

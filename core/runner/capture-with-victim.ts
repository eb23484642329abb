import { CAPTURE_OPEN_LINE } from '../../attack-pods/script-result.ts';
import type { AttemptPlan } from '../domain/attack.ts';
import type { Cluster } from '../domain/cluster.ts';
import { TIMEOUTS } from '../timeouts.ts';
import { preparePlan, type PlanRun, type ScriptSource } from './script-runner.ts';

export interface CaptureRuns {
  readonly attemptRun: PlanRun;
  /** Absent when the sniffer's script ended before its capture opened: nothing was sent, its own signal says why. */
  readonly victimRun: PlanRun | undefined;
}

/** Signals a capture script may end with before its capture opened; anything else there is the script's failure. */
const ENDS_BEFORE_OPEN = new Set<PlanRun['signal']>(['permission-denied', 'error']);

async function releaseAll(runs: readonly (PlanRun | { release(): Promise<void> } | undefined)[]): Promise<void> {
  await Promise.all(runs.map((run) => run?.release()));
}

/**
 * Eavesdropping: both pods up first, then the capture starts, and the victim sends only once the sniffer's script
 * printed CAPTURE_OPEN_LINE (tcpdump reported "listening on"), so the victim's packets are inside the capture however
 * long the capture took to open. No report within TIMEOUTS.captureOpenMs: an error naming it, never a verdict.
 */
export async function captureWithVictim(
  cluster: Cluster,
  plan: AttemptPlan,
  victimPlan: AttemptPlan,
  options: { readonly podReadyMs: number; readonly scripts?: ScriptSource },
): Promise<CaptureRuns> {
  const [sniffer, victim] = await Promise.allSettled([
    preparePlan(cluster, plan, options.podReadyMs, options.scripts),
    preparePlan(cluster, victimPlan, options.podReadyMs, options.scripts),
  ]);
  if (sniffer.status === 'rejected' || victim.status === 'rejected') {
    await releaseAll([sniffer, victim].map((prepared) => (prepared.status === 'fulfilled' ? prepared.value : undefined)));
    throw sniffer.status === 'rejected' ? sniffer.reason : victim.status === 'rejected' ? victim.reason : new Error('unreachable');
  }
  const capture = sniffer.value.start();
  const open = await capture.waitForLine(CAPTURE_OPEN_LINE, TIMEOUTS.captureOpenMs);
  if (open.status !== 'seen') {
    // The victim never sends: its pod goes, and the sniffer's script is left to end on its own deadline.
    const [attemptRun] = await Promise.allSettled([capture.done, victim.value.release()]);
    if (attemptRun.status === 'rejected') throw attemptRun.reason;
    const run = attemptRun.value;
    if (open.status === 'deadline') {
      await run.release();
      throw new Error(
        `the sniffer's capture did not report open ("${CAPTURE_OPEN_LINE}") within ${open.budgetMs} ms, so no victim request was sent (the script then read ${run.signal}: ${run.detail})`,
      );
    }
    if (ENDS_BEFORE_OPEN.has(run.signal)) return { attemptRun: run, victimRun: undefined };
    return {
      attemptRun: { ...run, signal: 'error', detail: `the capture script ended without reporting its capture open (it read ${run.signal}: ${run.detail})` },
      victimRun: undefined,
    };
  }
  const [attemptRun, victimRun] = await Promise.allSettled([capture.done, victim.value.run()]);
  if (attemptRun.status === 'rejected' || victimRun.status === 'rejected') {
    await releaseAll([attemptRun, victimRun].map((run) => (run.status === 'fulfilled' ? run.value : undefined)));
    throw attemptRun.status === 'rejected' ? attemptRun.reason : victimRun.status === 'rejected' ? victimRun.reason : new Error('unreachable');
  }
  return { attemptRun: attemptRun.value, victimRun: victimRun.value };
}

import { CAPTURE_OPEN_LINE } from '../../attack-pods/script-result.ts';
import { newStopToken, stopCommand } from '../../attack-pods/script-stop.ts';
import type { AttemptPlan } from '../domain/attack.ts';
import type { Cluster } from '../domain/cluster.ts';
import { TIMEOUTS } from '../timeouts.ts';
import { preparePlan, type PlanRun, type ScriptSource, type StartedPlan, type StopOutcome } from './script-runner.ts';

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
 * Once the victim's request returned (or failed), the capture holds all it will: after TIMEOUTS.captureDrainMs (the
 * flow's last packets) its stop marker is sent from its own pod (attack-pods/script-stop.ts), instead of letting it run
 * to its bound. A capture that ends first is left alone.
 */
async function endAfterDrain(capture: StartedPlan, token: string): Promise<StopOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const drained = new Promise<'drained'>((resolve) => {
    timer = setTimeout(() => resolve('drained'), TIMEOUTS.captureDrainMs);
  });
  const first = await Promise.race([capture.done.then(() => 'ended' as const, () => 'ended' as const), drained]);
  clearTimeout(timer);
  if (first === 'ended') return { status: 'ended' };
  return capture.stop(stopCommand(token), TIMEOUTS.captureStopMs);
}

/** The capture's detail, saying how it ended when the harness asked it to. */
function withEnding(run: PlanRun, stop: StopOutcome): PlanRun {
  if (stop.status === 'sent') return { ...run, detail: `${run.detail} (stop sent ${TIMEOUTS.captureDrainMs} ms after the victim's request returned)` };
  if (stop.status === 'failed') return { ...run, detail: `${run.detail} (ending it after the victim's request returned failed, so it ran to its ${TIMEOUTS.captureMaxSeconds} s bound: ${stop.detail})` };
  return run;
}

/**
 * Eavesdropping: both pods up first, then the capture starts, and the victim sends only once the sniffer's script
 * printed CAPTURE_OPEN_LINE (tcpdump reported "listening on"), so the victim's packets are inside the capture however
 * long the capture took to open. No report within TIMEOUTS.captureOpenMs: an error naming it, never a verdict. The
 * capture is ended once the victim returned (endAfterDrain); TIMEOUTS.captureMaxSeconds only bounds it.
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
  // The capture reports the flows of the victim's address (CAPTURE_PEER): on a busy destination the flows of every
  // other client would otherwise crowd the victim's out of the bounded report. Its stop token is this attempt's own.
  const token = newStopToken();
  const capture = sniffer.value.start({ CAPTURE_STOP_TOKEN: token, ...(victim.value.pod === undefined ? {} : { CAPTURE_PEER: victim.value.pod.ip }) });
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
  const victimDone = victim.value.run();
  const ending = victimDone.then(
    () => endAfterDrain(capture, token),
    () => endAfterDrain(capture, token),
  );
  const [attemptRun, victimRun, stop] = await Promise.allSettled([capture.done, victimDone, ending]);
  if (attemptRun.status === 'rejected' || victimRun.status === 'rejected') {
    await releaseAll([attemptRun, victimRun].map((run) => (run.status === 'fulfilled' ? run.value : undefined)));
    throw attemptRun.status === 'rejected' ? attemptRun.reason : victimRun.status === 'rejected' ? victimRun.reason : new Error('unreachable');
  }
  const stopOutcome: StopOutcome = stop.status === 'fulfilled' ? stop.value : { status: 'failed', detail: String(stop.reason) };
  return { attemptRun: withEnding(attemptRun.value, stopOutcome), victimRun: victimRun.value };
}

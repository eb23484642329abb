/** What a depth pass answers per attack and how it becomes a cell's depth entry: shared by the lab's and the kube providers' passes. */
import type { Cell } from '../domain/cell.ts';
import { groupLayers, type DepthLayer, type PolicyGroup } from '../domain/depth.ts';
import type { Mesh } from '../domain/profile.ts';

/**
 * How often a pass runs an attack again after an `error` cell (an infrastructure failure, e.g. a proxy slow to
 * start on a loaded host): every try is a whole new attempt with its own canary, control and checks, so a retry
 * never borrows from the failed one. An `error` says nothing about the network; without a retry the group would
 * stay unmeasured. The full pass keeps its own rules.
 */
export const PASS_ERROR_RETRIES = 1;

/** Runs an attack in a pass, once more after an `error` (PASS_ERROR_RETRIES), each try a whole new attempt. */
export async function executeWithRetry(run: () => Promise<Cell>, signal: AbortSignal): Promise<Cell> {
  let cell = await run();
  for (let retry = 0; retry < PASS_ERROR_RETRIES && cell.outcome === 'error' && !signal.aborted; retry += 1) {
    const failed = cell;
    const next = await run();
    cell = next.outcome === 'error' ? { ...next, reason: `${next.reason ?? 'error'} (also on the try before: ${failed.reason ?? 'error'})` } : next;
  }
  return cell;
}

/** One pass's answer for one attack: its cell, or why there is none. */
export type PassResult = Cell | Error;

/** A pass that ran but whose state could not be proven afterwards: its cells are withdrawn, never a depth claim. */
export class VoidedPass extends Error {}

/** A pass's answer as a cell's depth entry: `stops` only when the group's own layer blocked it. */
export function depthLayer(group: PolicyGroup, result: PassResult, mesh: Mesh): DepthLayer {
  const layers = groupLayers(group, mesh);
  const layer = layers.join('/');
  if (result instanceof Error) return { policies: group, layer, outcome: 'error', evidence: [], stops: false, reason: result instanceof VoidedPass ? `voided: ${result.message}` : `did not run: ${result.message}` };
  return {
    policies: group,
    layer,
    outcome: result.outcome,
    ...(result.blockedBy ? { blockedBy: result.blockedBy } : {}),
    ...(result.confidence ? { confidence: result.confidence } : {}),
    evidence: result.evidence,
    stops: result.outcome === 'blocked' && result.blockedBy !== undefined && layers.includes(result.blockedBy),
    ...(result.canary ? { canary: result.canary } : {}),
    ...(result.reason ? { reason: result.reason } : {}),
  };
}


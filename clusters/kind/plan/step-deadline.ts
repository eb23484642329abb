import { TIMEOUTS } from '../../../core/timeouts.ts';
import type { PlanStep } from './plan-types.ts';

/** How long the provider lets one step run before it fails the profile. */
export function stepDeadlineMs(step: PlanStep): number {
  if (step.kind === 'wait') return step.timeoutMs;
  if (step.kind === 'exec' && step.tool === 'kind' && step.args[0] === 'create') return TIMEOUTS.kindCreateMs;
  return TIMEOUTS.componentReadyMs;
}

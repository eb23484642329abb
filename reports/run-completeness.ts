import type { RunResults } from './run-results.ts';

/**
 * Why a run's results cannot stand for the whole run: a file without an `end` line (the process died or is still
 * running), an `end` line saying it was interrupted, or a profile that failed. Gates fail closed on any of these.
 */
export function incompleteReasons(results: RunResults): string[] {
  const reasons: string[] = [];
  for (const run of results.runs) {
    if (run.finishedAt === undefined) reasons.push(`run ${run.runId} (${run.file}) has no end line: the process died or is still running`);
    else if (run.interrupted) reasons.push(`run ${run.runId} (${run.file}) was interrupted`);
  }
  for (const error of results.profileErrors) reasons.push(`profile ${error.profileId} failed (run ${error.runId}): ${error.component}: ${error.message}`);
  return reasons;
}

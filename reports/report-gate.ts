import type { ReportModel } from './report-model.ts';

/** `report --fail-on`: what in a (merged) matrix fails a nightly job. */
export const REPORT_FAIL_ON = ['unexpected', 'error', 'missing', 'any'] as const;
export type ReportFailOn = (typeof REPORT_FAIL_ON)[number];

/**
 * Why the matrix fails the gate (empty: it passes). `unexpected`: a cell differs from its expectation (errors
 * included); `error`: a cell is an error; `missing`: a profile × attack listed in a run header has no cell line
 * (interrupted run, or a file that stopped early); `any`: all three.
 */
export function reportFailureReasons(model: ReportModel, failOn: readonly ReportFailOn[]): string[] {
  const asked = (what: ReportFailOn): boolean => failOn.includes(what) || failOn.includes('any');
  const reasons: string[] = [];
  if (asked('unexpected') && model.unexpected.length > 0) reasons.push(`${model.unexpected.length} unexpected cell(s)`);
  if (asked('error') && model.counts.error > 0) reasons.push(`${model.counts.error} error cell(s)`);
  if (asked('missing') && model.counts.missing > 0) {
    const byProfile = model.profiles
      .map((profile) => [profile.id, model.countsByProfile.get(profile.id)?.missing ?? 0] as const)
      .filter(([, missing]) => missing > 0)
      .map(([id, missing]) => `${id}: ${missing}`);
    reasons.push(`${model.counts.missing} missing cell(s) (in a run header, no cell line) — ${byProfile.join(', ')}`);
  }
  return reasons;
}

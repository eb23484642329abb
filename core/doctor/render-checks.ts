import type { CheckOutcome } from './check.ts';

/** One line per check (`ok   title: detail`), and under each failure its fix. */
export function renderCheckLines(outcomes: readonly CheckOutcome[]): string[] {
  const lines: string[] = [];
  for (const outcome of outcomes) {
    lines.push(`${outcome.status === 'ok' ? 'ok  ' : 'FAIL'}  ${outcome.title}: ${outcome.detail}`);
    if (outcome.status === 'fail' && outcome.fix !== undefined) lines.push(`      fix: ${outcome.fix}`);
  }
  return lines;
}

export interface DoctorReport {
  readonly provider: string;
  readonly passed: boolean;
  readonly checks: readonly CheckOutcome[];
}

/** The --json document for CI: stable ids, status, detail and fix. */
export function renderCheckJson(report: DoctorReport): string {
  return `${JSON.stringify(
    {
      provider: report.provider,
      passed: report.passed,
      checks: report.checks.map((check) => ({
        id: check.id,
        title: check.title,
        status: check.status,
        detail: check.detail,
        ...(check.fix === undefined ? {} : { fix: check.fix }),
      })),
    },
    null,
    2,
  )}\n`;
}

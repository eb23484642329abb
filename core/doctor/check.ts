/**
 * A doctor check: one host precondition of a provider, with the fix a user applies when it fails. `doctor`
 * prints them; `run` runs the same list before anything is created.
 */
export type CheckStatus = 'ok' | 'fail';

export interface CheckResult {
  readonly status: CheckStatus;
  /** What was found (versions, figures, the error text). */
  readonly detail: string;
  /** What to do about a failure; required when status is `fail`. */
  readonly fix?: string;
}

export interface Check {
  /** Stable id, `<provider>.<what>`, for --json consumers. */
  readonly id: string;
  readonly title: string;
  run(): Promise<CheckResult>;
}

export interface CheckOutcome extends CheckResult {
  readonly id: string;
  readonly title: string;
}

export function ok(detail: string): CheckResult {
  return { status: 'ok', detail };
}

export function fail(detail: string, fix: string): CheckResult {
  return { status: 'fail', detail, fix };
}

/**
 * Run every check, one after the other (probes are cheap; sequential output reads in order). A check that
 * throws fails closed: its error is the detail, never a pass.
 */
export async function runChecks(checks: readonly Check[]): Promise<readonly CheckOutcome[]> {
  // The checks are independent probes (most spawn a throwaway namespace): all at once, in the order given. `run`
  // waits for them before creating anything, so their time is start-up time of every run.
  return Promise.all(
    checks.map(async (check): Promise<CheckOutcome> => {
      let result: CheckResult;
      try {
        result = await check.run();
      } catch (error) {
        result = fail(`the check itself failed: ${(error as Error).message}`, 'fix the error above and run `breachmatrix doctor` again');
      }
      return { id: check.id, title: check.title, ...result };
    }),
  );
}

export function allPassed(outcomes: readonly CheckOutcome[]): boolean {
  return outcomes.every((outcome) => outcome.status === 'ok');
}

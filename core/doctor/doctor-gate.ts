import { doctorChecksFor, type DoctorSelection } from '../../clusters/doctor-checks.ts';
import { BadInputError } from '../domain/errors.ts';
import type { Profile, ProviderName } from '../domain/profile.ts';
import { allPassed, runChecks } from './check.ts';
import { renderCheckLines } from './render-checks.ts';

/** The flags `run` and `doctor` share. */
export interface HostCheckFlags {
  readonly provider: ProviderName;
  readonly pins?: string;
  readonly context?: string;
  readonly kubeconfig?: string;
  readonly server?: string;
  readonly iUnderstandThisAttacksTheCluster: boolean;
  readonly reuse?: string;
}

export function doctorSelection(flags: HostCheckFlags, profiles: readonly Profile[]): DoctorSelection {
  return {
    provider: flags.provider,
    profiles,
    ...(flags.pins ? { pinsFile: flags.pins } : {}),
    ...(flags.context ? { context: flags.context } : {}),
    ...(flags.kubeconfig ? { kubeconfigPath: flags.kubeconfig } : {}),
    ...(flags.server ? { expectedServer: flags.server } : {}),
    ...(flags.reuse ? { reuse: flags.reuse } : {}),
    iUnderstand: flags.iUnderstandThisAttacksTheCluster,
  };
}

/**
 * `run` proves its host preconditions with exactly the checks `doctor` prints, before anything is created.
 * Every line goes to `write`; any failure is a BadInputError (exit 2) naming the failed checks. `skip` names
 * checks the user explicitly waived (`run --skip-check`): each is printed as skipped, never as passed, and an
 * unknown id is bad input.
 */
export async function requireHostChecks(selection: DoctorSelection, write: (text: string) => void, skip: readonly string[] = []): Promise<void> {
  const checks = await doctorChecksFor(selection);
  const known = checks.map((check) => check.id);
  const unknown = skip.filter((id) => !known.includes(id));
  if (unknown.length > 0) {
    throw new BadInputError(`unknown check ${unknown.map((id) => `"${id}"`).join(', ')} for provider ${selection.provider}`, '--skip-check', known.join(', '));
  }
  const outcomes = await runChecks(checks.filter((check) => !skip.includes(check.id)));
  const skipped = checks.filter((check) => skip.includes(check.id)).map((check) => `skip  ${check.title}: not checked (--skip-check ${check.id})`);
  write(`${[...renderCheckLines(outcomes), ...skipped].join('\n')}\n`);
  if (allPassed(outcomes)) return;
  const failed = outcomes.filter((outcome) => outcome.status === 'fail').map((outcome) => outcome.title);
  throw new BadInputError(
    `host checks failed: ${failed.join(', ')}; each fix is printed above, and \`breachmatrix doctor --provider ${selection.provider}\` repeats the checks`,
    `run --provider ${selection.provider}`,
  );
}

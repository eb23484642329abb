import { doctorChecksFor } from '../../../clusters/doctor-checks.ts';
import { allPassed, runChecks } from '../../doctor/check.ts';
import { doctorSelection } from '../../doctor/doctor-gate.ts';
import { renderCheckJson, renderCheckLines } from '../../doctor/render-checks.ts';
import { EXIT } from '../../domain/errors.ts';
import { resolveProfiles } from '../profile-selection.ts';
import { DOCTOR_CHECK_FAILED, type DoctorFlags } from './doctor-command.ts';

/** `breachmatrix doctor`: loaded only when the command runs, so `--help` stays fast. */
export async function doctor(flags: DoctorFlags): Promise<number> {
  // Validated for every provider (an unknown id is exit 2); only kind's checks use the estimates.
  const profiles = await resolveProfiles(flags);
  const checks = await doctorChecksFor(doctorSelection(flags, profiles));
  const outcomes = await runChecks(checks);
  const passed = allPassed(outcomes);
  if (flags.json) {
    process.stdout.write(renderCheckJson({ provider: flags.provider, passed, checks: outcomes }));
  } else {
    const failed = outcomes.filter((outcome) => outcome.status === 'fail').length;
    process.stdout.write(
      `${renderCheckLines(outcomes).join('\n')}\n${passed ? `all ${outcomes.length} checks passed` : `${failed} of ${outcomes.length} checks failed`} (provider ${flags.provider})\n`,
    );
  }
  return passed ? EXIT.ok : DOCTOR_CHECK_FAILED;
}

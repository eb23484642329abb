import type { V1Status } from '@kubernetes/client-node';

/**
 * The exit code from the exec status channel: `Success` is 0; a non-zero exit is `Failure` with reason
 * `NonZeroExitCode` and the code in `details.causes[reason=ExitCode].message`. Anything else (the command
 * could not start) is reported as 126 (as a shell would), with the message for stderr.
 */
export function exitFromStatus(status: V1Status): { exitCode: number; message?: string } {
  if (status.status === 'Success') return { exitCode: 0 };
  if (status.reason === 'NonZeroExitCode') {
    const cause = status.details?.causes?.find((candidate) => candidate.reason === 'ExitCode');
    const code = Number.parseInt(cause?.message ?? '', 10);
    if (Number.isInteger(code)) return { exitCode: code };
  }
  return { exitCode: 126, message: status.message ?? 'exec failed without a status message' };
}

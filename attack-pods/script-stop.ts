/**
 * How the harness ends a script's long-running work early. A script that runs something until it is told to stop (a
 * capture) prints `BM-STOP-PID <pid>` while it runs: the PID, inside the pod's own PID namespace, of the process
 * whose SIGTERM ends that work gracefully (packet-capture.sh: the `timeout` around tcpdump, which passes the signal
 * on, so tcpdump prints its statistics and the script its result). The runner then runs stopCommand(pid) in the SAME
 * pod (and container), so the PID means the same process there: never a signal by name, which on a hostNetwork pod
 * could reach another attempt's process.
 */
export const STOP_PID_PREFIX = 'BM-STOP-PID ';

/** The PID in the rest of a STOP_PID_PREFIX line; undefined unless it is a plain positive decimal. */
export function parseStopPid(rest: string): number | undefined {
  if (!/^[1-9][0-9]{0,9}$/.test(rest)) return undefined;
  const pid = Number(rest);
  return Number.isSafeInteger(pid) ? pid : undefined;
}

/** The exec that sends SIGTERM to exactly `pid`: the shell's builtin kill, so no binary on the image is assumed. */
export function stopCommand(pid: number): string[] {
  return ['sh', '-c', 'kill -TERM "$1"', 'bm-stop', String(pid)];
}

/** The PID a command built by stopCommand signals; undefined for any other command (test clusters recognise it). */
export function stopCommandPid(command: readonly string[]): number | undefined {
  const [sh, flag, script, name, pid, ...rest] = command;
  if (sh !== 'sh' || flag !== '-c' || script !== 'kill -TERM "$1"' || name !== 'bm-stop' || pid === undefined || rest.length > 0) return undefined;
  return parseStopPid(pid);
}

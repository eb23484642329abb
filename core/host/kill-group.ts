/**
 * Signals a whole process group; a group that is already gone is not an error. Erasable TypeScript with no imports:
 * the spawner (spawner-process.ts, on Node's own type stripping) uses it as well as the runner.
 */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already exited
    }
  }
}

import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { InfrastructureError } from '../../core/domain/errors.ts';
import { TIMEOUTS } from '../../core/timeouts.ts';
import type { ProcessRegistry, TrackedProcess } from './process-registry.ts';
import { CONTAINER_PATH } from './image-paths.ts';

/**
 * A pod's (or node's) sandbox: a `sleep` that is PID 1 of a fresh PID namespace with its own /proc, inside the
 * pod's network namespace — the lab's pause container. Containers and execs join it with nsenter. The separate
 * PID namespace matters for safety: `nsenter -t 1 -n` from a privileged pod must land in the lab, never in the
 * host's real network namespace. A node has one too, so hostPID pods see the node's "PID 1".
 */
export interface Sandbox {
  readonly process: TrackedProcess;
  /** PID (in the root PID namespace) of the sandbox's PID 1. */
  readonly initPid: number;
}

/** A file bind-mounted over another inside the sandbox's own mount namespace (e.g. a pod's resolv.conf). */
export interface SandboxBind {
  readonly source: string;
  readonly target: string;
}

export async function startSandbox(
  registry: ProcessRegistry,
  netns: string,
  label: string,
  logFile: string,
  binds: readonly SandboxBind[] = [],
): Promise<Sandbox> {
  // With binds, PID 1 is a shell that mounts them in the sandbox's private mount namespace (never the host's:
  // unshare makes propagation private), then becomes the sleep; the wait below looks for the sleep.
  const init =
    binds.length === 0
      ? ['sleep', 'infinity']
      : ['sh', '-c', `${binds.map((_, i) => `mount --bind "$${2 * i + 1}" "$${2 * i + 2}" && `).join('')}exec sleep infinity`, 'sandbox', ...binds.flatMap((bind) => [bind.source, bind.target])];
  const process = await registry.start(
    'ip',
    ['netns', 'exec', netns, 'unshare', '--pid', '--fork', '--mount-proc', '--kill-child', ...init],
    label,
    { logFile, env: { PATH: CONTAINER_PATH } },
  );
  const childrenFile = `/proc/${process.pid}/task/${process.pid}/children`;
  const deadline = Date.now() + TIMEOUTS.labPodReadyMs;
  while (Date.now() < deadline) {
    if (process.hasExited()) break;
    const children = await readFile(childrenFile, 'utf8').catch(() => '');
    const initPid = Number(children.trim().split(/\s+/)[0]);
    if (Number.isInteger(initPid) && initPid > 0) {
      // The child is PID 1 once it has exec'd sleep in the new namespace with /proc mounted.
      const comm = await readFile(`/proc/${initPid}/comm`, 'utf8').catch(() => '');
      if (comm.trim() === 'sleep') return { process, initPid };
    }
    await sleep(3);
  }
  await registry.stop(process);
  throw new InfrastructureError('lab', `sandbox ${label} in ${netns} did not start`);
}

/** Where a container's processes run: the sandbox's namespaces, or (hostPID) the node's PID/mount namespaces. */
export interface ProcessPlacement {
  readonly targetPid: number;
  /** Set when the network namespace differs from the target's (hostPID pod with its own network). */
  readonly netnsPath?: string;
}

/** `nsenter` arguments entering a placement; the command follows. */
export function nsenterArguments(placement: ProcessPlacement): string[] {
  return [
    '--target',
    String(placement.targetPid),
    '--pid',
    '--mount',
    placement.netnsPath === undefined ? '--net' : `--net=${placement.netnsPath}`,
    '--',
  ];
}

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

/** What the sandbox's PID 1 sets up before it becomes the `sleep`. */
export interface SandboxSetup {
  readonly binds?: readonly SandboxBind[];
  /**
   * Network sysctls of the sandbox's network namespace (`net.…` keys only: other sysctls are the host's). Written
   * by PID 1 itself with shell builtins, so no `sysctl` process per pod; a failed write fails the start.
   */
  readonly sysctls?: Readonly<Record<string, string>>;
}

const NET_SYSCTL_KEY = /^net(\.[A-Za-z0-9_-]+)+$/;

/** The /proc/sys file of a network sysctl key; refuses anything else (it would change the host). */
export function netSysctlPath(key: string): string {
  if (!NET_SYSCTL_KEY.test(key)) {
    throw new InfrastructureError('lab', `sandbox sysctl "${key}" is not a network sysctl (net.<name>[.<name>…]): only those are per-namespace`);
  }
  return `/proc/sys/${key.replaceAll('.', '/')}`;
}

/**
 * The sandbox's PID 1 command. Plain `sleep infinity` when there is nothing to set up; otherwise a shell that writes
 * the sysctls (in the pod's network namespace: /proc/sys/net is the opener's namespace's), mounts the binds in the
 * sandbox's private mount namespace (never the host's: unshare makes propagation private), and only then becomes
 * the sleep. Values and paths are positional arguments, never spliced into the script.
 */
export function sandboxInitCommand(setup: SandboxSetup): string[] {
  const steps: string[] = [];
  const args: string[] = [];
  const nextArgument = (value: string): string => {
    args.push(value);
    return `\${${args.length}}`; // braces: $10 would be $1 then "0"
  };
  // Each step that fails says which, on stderr (the sandbox log), and ends PID 1 before it becomes the sleep.
  const orFail = (message: string): string => ` || { echo "sandbox setup: ${message}" >&2; exit 1; }`;
  for (const [key, value] of Object.entries(setup.sysctls ?? {})) {
    const path = netSysctlPath(key);
    const [valueRef, pathRef, keyRef] = [nextArgument(value), nextArgument(path), nextArgument(key)];
    steps.push(`printf '%s\\n' "${valueRef}" > "${pathRef}"${orFail(`cannot set sysctl ${keyRef} to '${valueRef}'`)}`);
  }
  for (const bind of setup.binds ?? []) {
    const [sourceRef, targetRef] = [nextArgument(bind.source), nextArgument(bind.target)];
    steps.push(`mount --bind "${sourceRef}" "${targetRef}"${orFail(`cannot bind-mount ${sourceRef} over ${targetRef}`)}`);
  }
  if (steps.length === 0) return ['sleep', 'infinity'];
  return ['sh', '-c', `${steps.join('; ')}; exec sleep infinity`, 'sandbox', ...args];
}

export async function startSandbox(
  registry: ProcessRegistry,
  netns: string,
  label: string,
  logFile: string,
  setup: SandboxSetup = {},
): Promise<Sandbox> {
  const init = sandboxInitCommand(setup);
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
      // The child is PID 1 once it has exec'd sleep in the new namespace with /proc mounted (after its setup).
      const comm = await readFile(`/proc/${initPid}/comm`, 'utf8').catch(() => '');
      if (comm.trim() === 'sleep') return { process, initPid };
    }
    await sleep(3);
  }
  const exited = process.hasExited();
  await registry.stop(process);
  // The log holds why PID 1 gave up (a sysctl write or bind mount refused), written before it exited.
  const log = exited ? (await readFile(logFile, 'utf8').catch(() => '')).trim().slice(-1000) : '';
  throw new InfrastructureError('lab', `sandbox ${label} in ${netns} did not start${exited ? `: its setup failed: ${log || '(no output)'}` : ` within ${TIMEOUTS.labPodReadyMs} ms`}`);
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

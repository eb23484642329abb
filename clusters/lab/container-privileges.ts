import { readFileSync } from 'node:fs';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { BadInputError } from '../../core/domain/errors.ts';

/** Capabilities containerd grants a container whose spec adds none (the OCI default set). */
export const DEFAULT_CONTAINER_CAPABILITIES = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FSETID',
  'FOWNER',
  'MKNOD',
  'NET_RAW',
  'SETGID',
  'SETUID',
  'SETFCAP',
  'SETPCAP',
  'NET_BIND_SERVICE',
  'SYS_CHROOT',
  'KILL',
  'AUDIT_WRITE',
] as const;

/** Every capability the kernel and setpriv know, by the name Kubernetes uses (no CAP_ prefix), in bit order. */
export const ALL_CAPABILITIES = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP',
  'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER',
  'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE',
  'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP',
  'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF',
  'CHECKPOINT_RESTORE',
] as const;

/** What a container process runs as: the pod's identity and capability set. */
export interface ContainerPrivileges {
  readonly uid: number;
  readonly gid: number;
  readonly supplementalGroups: readonly number[];
  readonly privileged: boolean;
  /** Capabilities in the bounding set (and, for root, effective), upper-case without `CAP_`. */
  readonly capabilities: readonly string[];
}

function normalise(name: string, where: string): string {
  const upper = name.toUpperCase().replace(/^CAP_/, '');
  if (upper === 'ALL') return upper;
  if (!(ALL_CAPABILITIES as readonly string[]).includes(upper)) {
    throw new BadInputError(`unknown capability "${name}"`, where, 'Linux capability names such as NET_ADMIN, NET_RAW');
  }
  return upper;
}

/**
 * The privileges the kubelet + containerd would give this container: runAsUser/runAsGroup from the container or
 * the pod (root, the image default, when neither says), the default capability set minus `drop` plus `add`,
 * everything when privileged.
 */
export function containerPrivileges(pod: V1Pod, container: V1Container): ContainerPrivileges {
  const where = `pod ${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? '?'} container ${container.name}`;
  const podContext = pod.spec?.securityContext;
  const context = container.securityContext;
  const uid = context?.runAsUser ?? podContext?.runAsUser ?? 0;
  const gid = context?.runAsGroup ?? podContext?.runAsGroup ?? 0;
  const supplementalGroups = [
    ...(podContext?.supplementalGroups ?? []),
    ...(podContext?.fsGroup === undefined ? [] : [podContext.fsGroup]),
  ];
  const privileged = context?.privileged === true;
  if (privileged) return { uid, gid, supplementalGroups, privileged, capabilities: [...ALL_CAPABILITIES] };

  const drop = (context?.capabilities?.drop ?? []).map((name) => normalise(name, `${where} capabilities.drop`));
  const add = (context?.capabilities?.add ?? []).map((name) => normalise(name, `${where} capabilities.add`));
  const set = new Set<string>(drop.includes('ALL') ? [] : DEFAULT_CONTAINER_CAPABILITIES);
  for (const name of drop) set.delete(name);
  for (const name of add) {
    if (name === 'ALL') for (const any of ALL_CAPABILITIES) set.add(any);
    else set.add(name);
  }
  const capabilities = ALL_CAPABILITIES.filter((name) => set.has(name));
  return { uid, gid, supplementalGroups, privileged, capabilities };
}

/**
 * `setpriv` arguments that drop a root process to these privileges before exec. The bounding set is what
 * containerd sets; root keeps all of it effective. A non-root process gets the set as inheritable only, no
 * ambient capabilities: containerd does not raise ambient capabilities either, so a non-root container's added
 * capabilities are not effective on Kubernetes (kubernetes/kubernetes#56374), and the lab behaves the same.
 */
export function setprivArguments(privileges: ContainerPrivileges, available: ReadonlySet<string> = hostCapabilities()): string[] {
  // A capability the harness itself lacks cannot be granted (a privileged pod gets what the host process has).
  const caps = privileges.capabilities.filter((name) => available.has(name)).map((name) => `+${name.toLowerCase()}`);
  const capList = caps.length === 0 ? '-all' : ['-all', ...caps].join(',');
  const groups =
    privileges.supplementalGroups.length === 0
      ? ['--clear-groups']
      : ['--groups', [...new Set(privileges.supplementalGroups)].join(',')];
  return [
    '--reuid',
    String(privileges.uid),
    '--regid',
    String(privileges.gid),
    ...groups,
    '--inh-caps',
    capList,
    '--ambient-caps',
    '-all',
    '--bounding-set',
    capList,
    '--',
  ];
}

let cachedHostCapabilities: ReadonlySet<string> | undefined;

/** Capabilities in this process's bounding set (a container host may itself run without some). */
export function hostCapabilities(statusText?: string): ReadonlySet<string> {
  if (statusText === undefined && cachedHostCapabilities !== undefined) return cachedHostCapabilities;
  const text = statusText ?? readFileSync('/proc/self/status', 'utf8');
  const hex = /^CapBnd:\s*([0-9a-f]+)$/m.exec(text)?.[1];
  const mask = hex === undefined ? 0n : BigInt(`0x${hex}`);
  const set = new Set(ALL_CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n));
  if (statusText === undefined) cachedHostCapabilities = set;
  return set;
}

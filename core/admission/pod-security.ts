import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { BadInputError } from '../domain/errors.ts';
import type { AdmissionDecision } from './admission-decision.ts';

/**
 * Pod Security Standards (https://kubernetes.io/docs/concepts/security/pod-security-standards/) as the API server's
 * PodSecurity admission enforces them, with its exact message format:
 * `pods "x" is forbidden: violates PodSecurity "baseline:latest": <reason> (<detail>), …`
 * (https://github.com/kubernetes/kubernetes/blob/master/staging/src/k8s.io/pod-security-admission/admission/admission.go;
 * reasons and details from the check_*.go files of
 * https://github.com/kubernetes/kubernetes/tree/master/staging/src/k8s.io/pod-security-admission/policy).
 * Checks run in the API server's order — baseline checks, then restricted ones — and `seccompProfile` of
 * restricted replaces the baseline one. Not modelled (documented in clusters/lab/README.md): AppArmor, SELinux options,
 * restricted volume types; they matter to no attack of the catalogue.
 */
export const PSA_ENFORCE_LABEL = 'pod-security.kubernetes.io/enforce';
export const PSA_ENFORCE_VERSION_LABEL = 'pod-security.kubernetes.io/enforce-version';
export const PSA_LEVELS = ['privileged', 'baseline', 'restricted'] as const;
export type PsaLevel = (typeof PSA_LEVELS)[number];

interface Violation {
  readonly reason: string;
  readonly detail: string;
}

type Check = (pod: V1Pod, containers: readonly V1Container[]) => Violation | undefined;

const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP',
  'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
]);

const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);

function pluralize(singular: string, plural: string, count: number): string {
  return count === 1 ? singular : plural;
}

function joinQuote(items: readonly string[]): string {
  return items.map((item) => `"${item}"`).join(', ');
}

function containersPhrase(names: readonly string[]): string {
  return `${pluralize('container', 'containers', names.length)} ${joinQuote(names)}`;
}

function uniqueSorted(items: Iterable<string>): string[] {
  return [...new Set(items)].sort();
}

/** The containers for which `offending` lists anything, in order, and everything it listed (the checks' usual shape). */
function offendingContainers(containers: readonly V1Container[], offending: (container: V1Container) => readonly string[]): { names: string[]; items: string[] } {
  const names: string[] = [];
  const items: string[] = [];
  for (const container of containers) {
    const found = offending(container);
    if (found.length > 0) {
      names.push(container.name);
      items.push(...found);
    }
  }
  return { names, items };
}

const capabilitiesBaseline: Check = (_pod, containers) => {
  const { names, items: forbidden } = offendingContainers(containers, (container) =>
    (container.securityContext?.capabilities?.add ?? []).filter((cap) => !BASELINE_CAPABILITIES.has(cap)),
  );
  if (names.length === 0) return undefined;
  return {
    reason: 'non-default capabilities',
    detail: `${containersPhrase(names)} must not include ${joinQuote(uniqueSorted(forbidden))} in securityContext.capabilities.add`,
  };
};

const hostNamespaces: Check = (pod) => {
  const set = [
    pod.spec?.hostNetwork === true ? 'hostNetwork=true' : undefined,
    pod.spec?.hostPID === true ? 'hostPID=true' : undefined,
    pod.spec?.hostIPC === true ? 'hostIPC=true' : undefined,
  ].filter((item): item is string => item !== undefined);
  return set.length === 0 ? undefined : { reason: 'host namespaces', detail: set.join(', ') };
};

const hostPathVolumes: Check = (pod) => {
  const names = (pod.spec?.volumes ?? []).filter((volume) => volume.hostPath !== undefined).map((volume) => volume.name);
  if (names.length === 0) return undefined;
  return { reason: 'hostPath volumes', detail: `${pluralize('volume', 'volumes', names.length)} ${joinQuote(names)}` };
};

const hostPorts: Check = (_pod, containers) => {
  const { names, items: ports } = offendingContainers(containers, (container) =>
    (container.ports ?? []).filter((port) => (port.hostPort ?? 0) !== 0).map((port) => String(port.hostPort)),
  );
  if (names.length === 0) return undefined;
  return {
    reason: 'hostPort',
    detail: `${containersPhrase(names)} ${pluralize('uses', 'use', names.length)} ${pluralize('hostPort', 'hostPorts', ports.length)} ${ports.join(', ')}`,
  };
};

const privileged: Check = (_pod, containers) => {
  const names = containers.filter((container) => container.securityContext?.privileged === true).map((c) => c.name);
  if (names.length === 0) return undefined;
  return { reason: 'privileged', detail: `${containersPhrase(names)} must not set securityContext.privileged=true` };
};

const procMount: Check = (_pod, containers) => {
  const names = containers
    .filter((container) => (container.securityContext?.procMount ?? 'Default') !== 'Default')
    .map((container) => container.name);
  if (names.length === 0) return undefined;
  return { reason: 'procMount', detail: `${containersPhrase(names)} must not set securityContext.procMount to "Unmasked"` };
};

const seccompBaseline: Check = (pod, containers) => {
  const details: string[] = [];
  if (pod.spec?.securityContext?.seccompProfile?.type === 'Unconfined') {
    details.push('pod must not set securityContext.seccompProfile.type to "Unconfined"');
  }
  const names = containers.filter((c) => c.securityContext?.seccompProfile?.type === 'Unconfined').map((c) => c.name);
  if (names.length > 0) details.push(`${containersPhrase(names)} must not set securityContext.seccompProfile.type to "Unconfined"`);
  return details.length === 0 ? undefined : { reason: 'seccompProfile', detail: details.join('; ') };
};

const sysctls: Check = (pod) => {
  const bad = (pod.spec?.securityContext?.sysctls ?? []).map((sysctl) => sysctl.name).filter((name) => !SAFE_SYSCTLS.has(name));
  return bad.length === 0 ? undefined : { reason: 'forbidden sysctls', detail: bad.join(', ') };
};

const allowPrivilegeEscalation: Check = (_pod, containers) => {
  const names = containers.filter((c) => c.securityContext?.allowPrivilegeEscalation !== false).map((c) => c.name);
  if (names.length === 0) return undefined;
  return {
    reason: 'allowPrivilegeEscalation != false',
    detail: `${containersPhrase(names)} must set securityContext.allowPrivilegeEscalation=false`,
  };
};

const capabilitiesRestricted: Check = (_pod, containers) => {
  const missingDropAll = containers.filter((container) => !(container.securityContext?.capabilities?.drop ?? []).includes('ALL')).map((container) => container.name);
  const { names: adding, items: forbidden } = offendingContainers(containers, (container) =>
    (container.securityContext?.capabilities?.add ?? []).filter((cap) => cap !== 'NET_BIND_SERVICE'),
  );
  const details: string[] = [];
  if (missingDropAll.length > 0) details.push(`${containersPhrase(missingDropAll)} must set securityContext.capabilities.drop=["ALL"]`);
  if (adding.length > 0) {
    details.push(`${containersPhrase(adding)} must not include ${joinQuote(uniqueSorted(forbidden))} in securityContext.capabilities.add`);
  }
  return details.length === 0 ? undefined : { reason: 'unrestricted capabilities', detail: details.join('; ') };
};

const runAsNonRoot: Check = (pod, containers) => {
  const podValue = pod.spec?.securityContext?.runAsNonRoot;
  const details: string[] = [];
  if (podValue === false) details.push('pod must not set securityContext.runAsNonRoot=false');
  const explicitFalse = containers.filter((c) => c.securityContext?.runAsNonRoot === false).map((c) => c.name);
  if (explicitFalse.length > 0) details.push(`${containersPhrase(explicitFalse)} must not set securityContext.runAsNonRoot=false`);
  if (podValue !== true) {
    const unset = containers.filter((c) => c.securityContext?.runAsNonRoot === undefined).map((c) => c.name);
    if (unset.length > 0) {
      details.push(`pod or ${containersPhrase(unset)} must set securityContext.runAsNonRoot=true`);
    }
  }
  return details.length === 0 ? undefined : { reason: 'runAsNonRoot != true', detail: details.join('; ') };
};

const runAsUser: Check = (pod, containers) => {
  const details: string[] = [];
  if (pod.spec?.securityContext?.runAsUser === 0) details.push('pod must not set runAsUser=0');
  const names = containers.filter((c) => c.securityContext?.runAsUser === 0).map((c) => c.name);
  if (names.length > 0) details.push(`${containersPhrase(names)} must not set runAsUser=0`);
  return details.length === 0 ? undefined : { reason: 'runAsUser=0', detail: details.join('; ') };
};

const seccompRestricted: Check = (pod, containers) => {
  const allowed = new Set(['RuntimeDefault', 'Localhost']);
  const podType = pod.spec?.securityContext?.seccompProfile?.type;
  const details: string[] = [];
  if (podType !== undefined && !allowed.has(podType)) {
    details.push(`pod must not set securityContext.seccompProfile.type to "${podType}"`);
  }
  const badContainers = containers.filter((c) => {
    const type = c.securityContext?.seccompProfile?.type;
    return type !== undefined && !allowed.has(type);
  });
  if (badContainers.length > 0) {
    const types = uniqueSorted(badContainers.map((c) => c.securityContext?.seccompProfile?.type ?? ''));
    details.push(`${containersPhrase(badContainers.map((c) => c.name))} must not set securityContext.seccompProfile.type to ${joinQuote(types)}`);
  }
  if (podType === undefined) {
    const unset = containers.filter((c) => c.securityContext?.seccompProfile?.type === undefined).map((c) => c.name);
    if (unset.length > 0) {
      details.push(`pod or ${containersPhrase(unset)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`);
    }
  }
  return details.length === 0 ? undefined : { reason: 'seccompProfile', detail: details.join('; ') };
};

const BASELINE_CHECKS: readonly Check[] = [
  capabilitiesBaseline,
  hostNamespaces,
  hostPathVolumes,
  hostPorts,
  privileged,
  procMount,
  seccompBaseline,
  sysctls,
];
const BASELINE_CHECKS_UNDER_RESTRICTED: readonly Check[] = BASELINE_CHECKS.filter((check) => check !== seccompBaseline);
const RESTRICTED_CHECKS: readonly Check[] = [
  allowPrivilegeEscalation,
  capabilitiesRestricted,
  runAsNonRoot,
  runAsUser,
  seccompRestricted,
];

/** The enforce level and version a namespace's labels ask for; a bad level is bad input, as in the API server. */
export function enforcedLevel(
  namespace: string,
  labels: Readonly<Record<string, string>>,
): { readonly level: PsaLevel; readonly version: string } {
  const raw = labels[PSA_ENFORCE_LABEL] ?? 'privileged';
  if (!(PSA_LEVELS as readonly string[]).includes(raw)) {
    throw new BadInputError(`unknown Pod Security level "${raw}"`, `namespace ${namespace} label ${PSA_ENFORCE_LABEL}`, PSA_LEVELS.join(', '));
  }
  return { level: raw as PsaLevel, version: labels[PSA_ENFORCE_VERSION_LABEL] ?? 'latest' };
}

/** Every violation of a level, in the API server's order. */
export function podSecurityViolations(pod: V1Pod, level: PsaLevel): readonly Violation[] {
  if (level === 'privileged') return [];
  const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  const checks = level === 'baseline' ? BASELINE_CHECKS : [...BASELINE_CHECKS_UNDER_RESTRICTED, ...RESTRICTED_CHECKS];
  return checks.map((check) => check(pod, containers)).filter((v): v is Violation => v !== undefined);
}

/** Admit or reject a pod the way PodSecurity admission would in a namespace with these labels. */
export function admitPod(pod: V1Pod, namespace: string, namespaceLabels: Readonly<Record<string, string>>): AdmissionDecision {
  const { level, version } = enforcedLevel(namespace, namespaceLabels);
  const violations = podSecurityViolations(pod, level);
  if (violations.length === 0) return { allowed: true };
  const reasons = violations.map((violation) => `${violation.reason} (${violation.detail})`).join(', ');
  return {
    allowed: false,
    message: `pods "${pod.metadata?.name ?? ''}" is forbidden: violates PodSecurity "${level}:${version}": ${reasons}`,
  };
}

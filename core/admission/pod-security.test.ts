import { describe, expect, it } from 'vitest';
import type { V1Pod } from '@kubernetes/client-node';
import { BadInputError } from '../domain/errors.ts';
import { pod } from '../../manifests/pod-builder.ts';
import { admitPod, podSecurityViolations } from './pod-security.ts';

const baseline = { 'pod-security.kubernetes.io/enforce': 'baseline' };
const restricted = { 'pod-security.kubernetes.io/enforce': 'restricted' };

function message(spec: V1Pod, labels: Record<string, string>): string {
  const decision = admitPod(spec, 'bm-rogue', labels);
  if (decision.allowed) throw new Error('expected a rejection');
  return decision.message;
}

describe('Pod Security admission (baseline)', () => {
  it('admits a plain pod, and anything without an enforce label', () => {
    expect(admitPod(pod('x', 'bm-rogue').build(), 'bm-rogue', baseline)).toEqual({ allowed: true });
    expect(admitPod(pod('x', 'ns').hostNetwork().privileged().build(), 'ns', {})).toEqual({ allowed: true });
  });

  it('rejects hostNetwork with the API server message', () => {
    expect(message(pod('attacker', 'bm-rogue').hostNetwork().build(), baseline)).toBe(
      'pods "attacker" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true)',
    );
  });

  it('lists every violation in the API server order', () => {
    const spec = pod('attacker', 'bm-rogue').hostNetwork().hostPid().privileged().addCapabilities('NET_ADMIN', 'NET_RAW').build();
    expect(message(spec, baseline)).toBe(
      'pods "attacker" is forbidden: violates PodSecurity "baseline:latest": ' +
        'non-default capabilities (container "main" must not include "NET_ADMIN", "NET_RAW" in securityContext.capabilities.add), ' +
        'host namespaces (hostNetwork=true, hostPID=true), ' +
        'privileged (container "main" must not set securityContext.privileged=true)',
    );
  });

  it('allows the baseline capability list but not NET_ADMIN', () => {
    expect(admitPod(pod('x', 'bm-rogue').addCapabilities('CHOWN', 'NET_BIND_SERVICE').build(), 'bm-rogue', baseline).allowed).toBe(true);
    expect(message(pod('x', 'bm-rogue').addCapabilities('NET_ADMIN').build(), baseline)).toContain('"NET_ADMIN" in securityContext.capabilities.add');
  });

  it('checks init containers, hostPath volumes, hostPorts, seccomp Unconfined and unsafe sysctls', () => {
    const spec = pod('x', 'bm-rogue').initContainer('setup', 'true').build();
    const init = spec.spec?.initContainers?.[0];
    if (spec.spec === undefined || init === undefined) throw new Error('builder changed');
    init.securityContext = { privileged: true };
    spec.spec.volumes = [{ name: 'root', hostPath: { path: '/' } }];
    spec.spec.securityContext = { seccompProfile: { type: 'Unconfined' }, sysctls: [{ name: 'net.ipv4.ip_forward', value: '1' }] };
    const main = spec.spec.containers[0];
    if (main === undefined) throw new Error('builder changed');
    main.ports = [{ containerPort: 80, hostPort: 8080 }];
    expect(message(spec, baseline)).toBe(
      'pods "x" is forbidden: violates PodSecurity "baseline:latest": hostPath volumes (volume "root"), ' +
        'hostPort (container "main" uses hostPort 8080), privileged (container "setup" must not set securityContext.privileged=true), ' +
        'seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined"), forbidden sysctls (net.ipv4.ip_forward)',
    );
  });

  it('uses the enforce-version label', () => {
    expect(message(pod('x', 'ns').hostNetwork().build(), { ...baseline, 'pod-security.kubernetes.io/enforce-version': 'v1.30' })).toContain(
      'violates PodSecurity "baseline:v1.30"',
    );
  });

  it('rejects an unknown level as bad input', () => {
    expect(() => admitPod(pod('x', 'ns').build(), 'ns', { 'pod-security.kubernetes.io/enforce': 'strict' })).toThrow(BadInputError);
  });
});

describe('Pod Security admission (restricted)', () => {
  it('adds the restricted checks after the baseline ones', () => {
    expect(message(pod('client', 'ns').hostNetwork().build(), restricted)).toBe(
      'pods "client" is forbidden: violates PodSecurity "restricted:latest": host namespaces (hostNetwork=true), ' +
        'allowPrivilegeEscalation != false (container "main" must set securityContext.allowPrivilegeEscalation=false), ' +
        'unrestricted capabilities (container "main" must set securityContext.capabilities.drop=["ALL"]), ' +
        'runAsNonRoot != true (pod or container "main" must set securityContext.runAsNonRoot=true), ' +
        'seccompProfile (pod or container "main" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    );
  });

  it('admits a pod that meets restricted, and flags runAsUser=0', () => {
    const spec = pod('ok', 'ns').runAsUser(1000).build();
    if (spec.spec === undefined) throw new Error('builder changed');
    spec.spec.securityContext = { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } };
    const main = spec.spec.containers[0];
    if (main === undefined) throw new Error('builder changed');
    main.securityContext = { ...main.securityContext, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };
    expect(podSecurityViolations(spec, 'restricted')).toEqual([]);
    main.securityContext = { ...main.securityContext, runAsUser: 0 };
    expect(podSecurityViolations(spec, 'restricted')).toEqual([{ reason: 'runAsUser=0', detail: 'container "main" must not set runAsUser=0' }]);
  });
});

import { describe, expect, it } from 'vitest';
import { parseAdmissionMessages, parseAdmissionPolicyRejection, parsePodSecurityRejection } from './admission-message.ts';

const BASELINE_HOSTNET =
  'pods "intruder-hostnet" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true), hostPort (container "attacker" uses hostPort 8080)';
// rancher/k3k#294, as kubectl prints it.
const RESTRICTED_KUBECTL =
  'Error from server (Forbidden): error when creating "STDIN": pods "security-context-privileged" is forbidden: violates PodSecurity "restricted:latest": privileged (container "sec-ctx-demo" must not set securityContext.privileged=true), allowPrivilegeEscalation != false (container "sec-ctx-demo" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "sec-ctx-demo" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "sec-ctx-demo" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "sec-ctx-demo" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")';
// adyanth/cloudflare-operator#110: commas inside the parentheses belong to one violation.
const TWO_CONTAINERS =
  'Error creating: pods "cloudflare-operator-controller-manager-6c69d7595-fvqr5" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "kube-rbac-proxy" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (containers "kube-rbac-proxy", "manager" must set securityContext.capabilities.drop=["ALL"])';

describe('parsePodSecurityRejection', () => {
  it('reads pod, level and each violation', () => {
    expect(parsePodSecurityRejection(BASELINE_HOSTNET)).toEqual({
      pod: 'intruder-hostnet',
      level: 'baseline:latest',
      violations: ['host namespaces (hostNetwork=true)', 'hostPort (container "attacker" uses hostPort 8080)'],
    });
  });

  it('splits only at commas outside parentheses', () => {
    expect(parsePodSecurityRejection(TWO_CONTAINERS)?.violations).toEqual([
      'allowPrivilegeEscalation != false (container "kube-rbac-proxy" must set securityContext.allowPrivilegeEscalation=false)',
      'unrestricted capabilities (containers "kube-rbac-proxy", "manager" must set securityContext.capabilities.drop=["ALL"])',
    ]);
  });

  it('reads the kubectl wrapping and counts five restricted violations', () => {
    const rejection = parsePodSecurityRejection(RESTRICTED_KUBECTL);
    expect(rejection?.pod).toBe('security-context-privileged');
    expect(rejection?.level).toBe('restricted:latest');
    expect(rejection?.violations).toHaveLength(5);
  });

  it('ignores other Forbidden errors', () => {
    expect(parsePodSecurityRejection('pods "x" is forbidden: exceeded quota: compute-resources')).toBeUndefined();
  });
});

describe('parseAdmissionMessages', () => {
  it('gives an admission denial with the level as rule, for the attempt\'s pod only', () => {
    const raw = [RESTRICTED_KUBECTL, BASELINE_HOSTNET].join('\n');
    const items = parseAdmissionMessages(raw, { protocol: 'tcp', sourcePod: 'intruder-hostnet' });
    expect(items).toEqual([
      {
        layer: 'admission',
        source: 'admission',
        verdict: 'denied',
        raw: BASELINE_HOSTNET,
        rule: 'PodSecurity baseline:latest',
        detail:
          'PodSecurity "baseline:latest" rejected pod intruder-hostnet: host namespaces (hostNetwork=true); hostPort (container "attacker" uses hostPort 8080)',
      },
    ]);
  });
});

// As kubectl printed it in a public walkthrough of the VAP docs' example (replicas <= 5, no message set).
const VAP_DEPLOYMENT =
  "error: failed to create deployment: deployments.apps \"nginx\" is forbidden: ValidatingAdmissionPolicy 'demo-policy.example.com' with binding 'demo-binding-test.example.com' denied request: failed expression: object.spec.replicas <= 5";
const VAP_POD =
  "pods \"sc1-abc-attempt\" is forbidden: ValidatingAdmissionPolicy 'bm-hardened-pod-guard' with binding 'bm-hardened-pod-guard-binding' denied request: runAsUser/runAsGroup 1337 is the mesh proxy's identity";

describe('parseAdmissionPolicyRejection', () => {
  it('reads resource, name, policy, binding and message, through the kubectl wrapping', () => {
    expect(parseAdmissionPolicyRejection(VAP_DEPLOYMENT)).toEqual({
      resource: 'deployments.apps',
      name: 'nginx',
      policy: 'demo-policy.example.com',
      binding: 'demo-binding-test.example.com',
      message: 'failed expression: object.spec.replicas <= 5',
    });
  });

  it('reads the form without a binding and refuses a PodSecurity message', () => {
    expect(parseAdmissionPolicyRejection("pods \"x\" is forbidden: ValidatingAdmissionPolicy 'p' denied request: no")).toEqual({
      resource: 'pods', name: 'x', policy: 'p', message: 'no',
    });
    expect(parseAdmissionPolicyRejection(BASELINE_HOSTNET)).toBeUndefined();
  });

  it('becomes admission evidence for the pod it names only, never for a Deployment', () => {
    const [item, ...rest] = parseAdmissionMessages(VAP_POD, { protocol: 'tcp', sourcePod: 'sc1-abc-attempt' });
    expect(rest).toEqual([]);
    expect(item).toMatchObject({ layer: 'admission', verdict: 'denied', rule: 'ValidatingAdmissionPolicy bm-hardened-pod-guard' });
    expect(item?.detail).toContain('binding bm-hardened-pod-guard-binding');
    expect(parseAdmissionMessages(VAP_POD, { protocol: 'tcp', sourcePod: 'other' })).toEqual([]);
    expect(parseAdmissionMessages(VAP_DEPLOYMENT, { protocol: 'tcp' })).toEqual([]);
  });
});

import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../domain/cluster.ts';
import { BadInputError } from '../domain/errors.ts';
import { parseAdmissionPolicyRejection } from '../evidence/admission-message.ts';
import { pod } from '../../manifests/pod-builder.ts';
import { HARDENED_ADMISSION, buildHardenedAdmissionPolicies } from '../../manifests/policies/hardened-admission-policies.ts';
import { SCENE } from '../../manifests/scene.ts';
import { buildWorkloadPods } from '../../manifests/scene/workloads.ts';
import { AdmissionPolicyEvaluator } from './validating-admission-policy.ts';

const APP = SCENE.namespaces.app;
const labelsOf = (namespace: string) => ({ 'kubernetes.io/metadata.name': namespace });

function hardened(objects: readonly KubeObject[] = buildHardenedAdmissionPolicies()): AdmissionPolicyEvaluator {
  const policies = new AdmissionPolicyEvaluator();
  for (const object of objects) expect(policies.accept(object)).toBe(true);
  return policies;
}

function admit(policies: AdmissionPolicyEvaluator, spec: V1Pod) {
  const namespace = spec.metadata?.namespace ?? '';
  return policies.admit(spec, namespace, labelsOf(namespace));
}

function deniedMessage(policies: AdmissionPolicyEvaluator, spec: V1Pod): string {
  const decision = admit(policies, spec);
  if (decision.allowed) throw new Error(`expected ${spec.metadata?.name} to be denied`);
  return decision.message;
}

describe('the ValidatingAdmissionPolicy evaluator on the hardened policy', () => {
  const policies = hardened();

  it("denies runAsUser 1337 outside the proxy's containers, in the API server's wording", () => {
    const message = deniedMessage(policies, pod('sc1-x', APP).runAsUser(SCENE.proxyUid).build());
    expect(message).toBe(
      `pods "sc1-x" is forbidden: ValidatingAdmissionPolicy '${HARDENED_ADMISSION.policy}' with binding '${HARDENED_ADMISSION.binding}' denied request: runAsUser/runAsGroup 1337 is the mesh proxy's identity: only the istio-proxy/istio-validation containers may use it`,
    );
    expect(parseAdmissionPolicyRejection(message)).toMatchObject({ name: 'sc1-x', policy: HARDENED_ADMISSION.policy });
    expect(admit(policies, pod('g', APP).runAsGroup(SCENE.proxyUid).build()).allowed).toBe(false);
    const podLevel = pod('p', APP).build();
    podLevel.spec = { ...podLevel.spec, containers: podLevel.spec?.containers ?? [], securityContext: { runAsUser: SCENE.proxyUid } };
    expect(admit(policies, podLevel).allowed).toBe(false);
  });

  it('lets the injected istio-proxy container run as 1337', () => {
    const spec = pod('injected', APP).build();
    spec.spec?.containers.push({ name: 'istio-proxy', image: 'proxyv2', securityContext: { runAsUser: 1337, runAsGroup: 1337 } });
    expect(admit(policies, spec)).toEqual({ allowed: true });
  });

  it('denies the capture and mesh opt-outs', () => {
    for (const spec of [
      pod('a', APP).annotate('traffic.sidecar.istio.io/excludeOutboundIPRanges', '0.0.0.0/0').build(),
      pod('b', APP).annotate('traffic.sidecar.istio.io/excludeOutboundPorts', '9000').build(),
      pod('c', APP).annotate('sidecar.istio.io/inject', 'false').build(),
      pod('d', APP).label('sidecar.istio.io/inject', 'false').build(),
      pod('e', APP).label('istio.io/dataplane-mode', 'none').build(),
    ]) {
      expect(deniedMessage(policies, spec)).toMatch(/denied request: pods must not opt out/);
    }
    expect(admit(policies, pod('f', APP).annotate('sidecar.istio.io/inject', 'true').build()).allowed).toBe(true);
  });

  it("denies a workload's service account with another app label, and a workload's label with another account", () => {
    expect(deniedMessage(policies, pod('x', APP).serviceAccountName('frontend').label('app', 'api').build())).toMatch(/service account and its app label go together/);
    expect(admit(policies, pod('y', APP).serviceAccountName('intruder').label('app', 'frontend').build()).allowed).toBe(false);
    expect(admit(policies, pod('z', APP).label('app', 'db').build()).allowed).toBe(false);
  });

  it("refuses a workload's service account in a pod someone other than its deployer asks for (LM2), by request.userInfo", () => {
    const impostor = pod('lm2', APP).serviceAccountName('frontend').label('app', 'frontend').build();
    // By content the impostor is frontend: its deployer may create it.
    expect(policies.admit(impostor, APP, labelsOf(APP), 'harness')).toEqual({ allowed: true });
    const decision = policies.admit(impostor, APP, labelsOf(APP), 'pod-creator');
    if (decision.allowed) throw new Error('expected the pod creator to be refused');
    expect(parseAdmissionPolicyRejection(decision.message)).toMatchObject({ name: 'lm2', policy: HARDENED_ADMISSION.deployerPolicy, binding: HARDENED_ADMISSION.deployerBinding });
    // The pod creator's own pods (no workload's service account) pass.
    expect(policies.admit(pod('own', APP).serviceAccountName('intruder').build(), APP, labelsOf(APP), 'pod-creator')).toEqual({ allowed: true });
  });

  it('evaluates only policies that match CREATE (the only operation evaluated)', () => {
    const objects = buildHardenedAdmissionPolicies().map((object) => {
      if (object.kind !== 'ValidatingAdmissionPolicy' || object.metadata.name !== HARDENED_ADMISSION.deployerPolicy) return object;
      const spec = object['spec'] as { matchConstraints: { resourceRules: { operations: string[] }[] } };
      const rules = spec.matchConstraints.resourceRules.map((rule) => ({ ...rule, operations: ['UPDATE'] }));
      return { ...object, spec: { ...spec, matchConstraints: { resourceRules: rules } } };
    });
    const updateOnly = hardened(objects);
    const impostor = pod('lm2u', APP).serviceAccountName('frontend').label('app', 'frontend').build();
    expect(updateOnly.admit(impostor, APP, labelsOf(APP), 'pod-creator')).toEqual({ allowed: true });
  });

  it('admits every scene workload, and is not bound outside the mesh namespaces', () => {
    for (const workload of buildWorkloadPods()) expect(admit(policies, workload)).toEqual({ allowed: true });
    expect(admit(policies, pod('r', SCENE.namespaces.rogue).runAsUser(SCENE.proxyUid).build())).toEqual({ allowed: true });
  });

  it('denies when the params ConfigMap is missing (parameterNotFoundAction Deny)', () => {
    const withoutParams = hardened(buildHardenedAdmissionPolicies().filter((object) => object.kind !== 'ConfigMap'));
    expect(deniedMessage(withoutParams, pod('n', APP).build())).toMatch(/no params found/);
  });

  it('does nothing without a binding', () => {
    const unbound = hardened(buildHardenedAdmissionPolicies().filter((object) => object.kind !== 'ValidatingAdmissionPolicyBinding'));
    expect(admit(unbound, pod('u', APP).runAsUser(SCENE.proxyUid).build())).toEqual({ allowed: true });
  });
});

describe('what the evaluator refuses to model', () => {
  const [policy, binding] = buildHardenedAdmissionPolicies().filter((object) => object.kind !== 'ConfigMap');
  if (policy === undefined || binding === undefined) throw new Error('policy and binding expected');
  const spec = policy['spec'] as Record<string, unknown>;
  const bindingSpec = binding['spec'] as Record<string, unknown>;

  it.each([
    ['spec.variables', { ...policy, spec: { ...spec, variables: [{ name: 'v', expression: '1' }] } }],
    ['failurePolicy Ignore', { ...policy, spec: { ...spec, failurePolicy: 'Ignore' } }],
    ['the authorizer', { ...policy, spec: { ...spec, validations: [{ expression: "authorizer.group('').resource('pods').check('create').allowed()" }] } }],
    ['an unknown function', { ...policy, spec: { ...spec, validations: [{ expression: "quantity('1Gi').isGreaterThan(quantity('1'))" }] } }],
    ['a syntax error', { ...policy, spec: { ...spec, validations: [{ expression: 'object.spec &&' }] } }],
    ['deployments', { ...policy, spec: { ...spec, matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['deployments'] }] } } }],
    ['validationActions Warn', { ...binding, spec: { ...bindingSpec, validationActions: ['Warn'] } }],
    ['an objectSelector', { ...binding, spec: { ...bindingSpec, matchResources: { objectSelector: {} } } }],
    // Required upstream whenever paramRef is set: validateParamRef, kubernetes pkg/apis/admissionregistration/validation/validation.go.
    ['a paramRef without parameterNotFoundAction', { ...binding, spec: { ...bindingSpec, paramRef: { name: 'bm-params' } } }],
  ])('refuses %s at apply', (_what, object) => {
    expect(() => AdmissionPolicyEvaluator.validate(object as KubeObject)).toThrow(BadInputError);
  });
});

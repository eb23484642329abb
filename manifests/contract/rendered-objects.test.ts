import { beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../core/domain/cluster.ts';
import { labProfiles } from '../../core/config/profiles-config.ts';
import { KIND_PROFILE_IDS, loadKindProfiles } from '../../core/config/testing/all-profiles.ts';
import { stackTraits, withPolicyStrength, type Profile } from '../../core/domain/profile.ts';
import { parse as parseCel } from '@bufbuild/cel';
import { DEPLOYER_VALIDATIONS, HARDENED_ADMISSION, HARDENED_VALIDATIONS, buildHardenedAdmissionPolicies } from '../policies/hardened-admission-policies.ts';
import { asKubeObject } from '../kube-object.ts';
import { buildPolicySet, policySetObjects } from '../policies/layered-policy-set.ts';
import { intruderPod, roguePod } from '../scene/attacker-pods.ts';
import { buildScene } from '../scene/build-scene.ts';
import { sceneOptions } from '../scene/scene-options.ts';
import { SCENE } from '../scene.ts';
import { CALICO_KUBERNETES_POLICY_ORDER } from '../policies/calico-policies.ts';
import { CLUSTER_DNS_PATTERNS } from '../policies/cilium-policies.ts';
import { SIDECAR_EGRESS_HOSTS } from '../policies/istio-policies.ts';
import { POLICY_NAMES } from '../policies/policy-names.ts';
import { isCoreKind, validateCoreKind } from './core-kinds.ts';
import { loadCrdValidator, type CrdValidator, type ValidationResult } from './crd-schemas.ts';
import { UPSTREAM_SCHEMAS_DIR } from './upstream-fixtures.ts';

/** Everything rendered for one profile: the scene, then every layer of the policy set. */
function rendered(profile: Profile): readonly KubeObject[] {
  const stack = stackTraits(profile);
  return [...buildScene(stack, sceneOptions(profile)), ...policySetObjects(buildPolicySet(stack))];
}

function check(validator: CrdValidator, object: KubeObject): ValidationResult {
  return isCoreKind(object) ? validateCoreKind(object) : validator.validate(object);
}

function describeFailures(objects: readonly KubeObject[], validator: CrdValidator): string[] {
  return objects.flatMap((object) => {
    const result = check(validator, object);
    const id = `${object.apiVersion} ${object.kind} ${object.metadata.namespace ?? '-'}/${object.metadata.name}`;
    return result.ok ? [] : result.errors.map((error) => `${id}: ${error}`);
  });
}

// Loaded inside each test, not in a hook: a broken schema makes every test FAIL with its message
// (a throwing hook would only mark them skipped).
let cachedValidator: CrdValidator | undefined;
function upstreamValidator(): CrdValidator {
  cachedValidator ??= loadCrdValidator(UPSTREAM_SCHEMAS_DIR);
  return cachedValidator;
}

let kindProfiles: readonly Profile[];

beforeAll(async () => {
  kindProfiles = await loadKindProfiles();
});

describe('every rendered object matches its upstream schema', () => {
  it('covers the nine kind profiles and the five lab stacks', () => {
    expect(kindProfiles.map((profile) => profile.id)).toEqual(KIND_PROFILE_IDS);
    expect(labProfiles()).toHaveLength(5);
  });

  it('kind profiles: all objects valid, each CRD kind known to the schemas', () => {
    const validator = upstreamValidator();
    const counts: Record<string, number> = {};
    for (const profile of kindProfiles) {
      const objects = rendered(profile);
      expect(describeFailures(objects, validator), profile.id).toEqual([]);
      for (const object of objects) {
        if (!isCoreKind(object)) expect(validator.knows(object.apiVersion, object.kind), `${object.apiVersion} ${object.kind}`).toBe(true);
        const key = `${object.apiVersion}|${object.kind}`;
        counts[key] = (counts[key] ?? 0) + 1;
      }
    }
    // Every kind the builders can produce was exercised by some profile.
    expect(Object.keys(counts).sort()).toEqual([
      'cilium.io/v2|CiliumNetworkPolicy',
      'gateway.networking.k8s.io/v1|Gateway',
      'networking.istio.io/v1|Sidecar',
      'networking.k8s.io/v1|NetworkPolicy',
      'projectcalico.org/v3|GlobalNetworkPolicy',
      'rbac.authorization.k8s.io/v1|Role',
      'rbac.authorization.k8s.io/v1|RoleBinding',
      'security.istio.io/v1|AuthorizationPolicy',
      'security.istio.io/v1|PeerAuthentication',
      'v1|Namespace',
      'v1|Pod',
      'v1|Service',
      'v1|ServiceAccount',
    ]);
  });

  it('kind and lab profiles under --policy-set hardened: all objects valid, the admission policy rendered with CEL that parses', () => {
    const validator = upstreamValidator();
    for (const profile of [...kindProfiles, ...labProfiles()].map((base) => withPolicyStrength(base, 'hardened'))) {
      const objects = rendered(profile);
      expect(describeFailures(objects, validator), profile.id).toEqual([]);
      const kinds = objects.map((object) => `${object.apiVersion}|${object.kind}`);
      expect(kinds, profile.id).toContain('admissionregistration.k8s.io/v1|ValidatingAdmissionPolicy');
      expect(kinds, profile.id).toContain('admissionregistration.k8s.io/v1|ValidatingAdmissionPolicyBinding');
      for (const validation of [...HARDENED_VALIDATIONS, ...DEPLOYER_VALIDATIONS]) expect(() => parseCel(validation.expression), validation.expression).not.toThrow();
    }
  });

  it('kind profiles under --policy-set hardened render each layer\'s hardened objects: Cilium DNS names, a Calico deny before every NetworkPolicy, Sidecar egress hosts', () => {
    const validator = upstreamValidator();
    let sidecars = 0;
    for (const profile of kindProfiles.map((base) => withPolicyStrength(base, 'hardened'))) {
      const objects = rendered(profile);
      const stack = stackTraits(profile);
      const find = (kind: string, name: string) => objects.filter((object) => object.kind === kind && object.metadata.name === name);
      if (stack.cni === 'cilium') {
        const dns = find('CiliumNetworkPolicy', POLICY_NAMES.ciliumDnsVisibility);
        expect(dns.length, profile.id).toBeGreaterThan(0);
        for (const policy of dns) expect(JSON.stringify(policy['spec']), profile.id).toContain(JSON.stringify([...CLUSTER_DNS_PATTERNS].map((matchPattern) => ({ matchPattern }))));
        // The vendored Cilium schema refuses a pattern Cilium would refuse.
        const [first] = dns;
        if (first === undefined) throw new Error('dns policy expected');
        const broken = JSON.parse(JSON.stringify(first).replace('*.*.svc.cluster.local', 'exfil test')) as KubeObject;
        expect(validator.validate(broken).ok, profile.id).toBe(false);
      }
      const calicoDeny = find('GlobalNetworkPolicy', POLICY_NAMES.calicoHardenedDenyMetadata);
      expect(calicoDeny.length, profile.id).toBe(stack.cni === 'calico' ? 1 : 0);
      for (const policy of calicoDeny) expect((policy['spec'] as { order: number }).order).toBeLessThan(CALICO_KUBERNETES_POLICY_ORDER);
      for (const sidecar of find('Sidecar', POLICY_NAMES.outboundRegistryOnly)) {
        sidecars += 1;
        expect(sidecar['spec'], profile.id).toMatchObject({ outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' }, egress: [{ hosts: [...SIDECAR_EGRESS_HOSTS] }] });
      }
    }
    // Two mesh namespaces on each of the four kind sidecar profiles.
    expect(sidecars).toBe(8);
    // The lab's sidecar model refuses Sidecar egress listeners: the lab renders none.
    for (const profile of labProfiles().map((base) => withPolicyStrength(base, 'hardened'))) {
      for (const sidecar of rendered(profile).filter((object) => object.kind === 'Sidecar')) expect(sidecar['spec'], profile.id).not.toHaveProperty('egress');
    }
  });

  it("the requester rule matches pod CREATE only: UPDATEs of the deployer's pods come from other identities (istio-cni annotating ambient pods)", () => {
    const policies = buildHardenedAdmissionPolicies().filter((object) => object.kind === 'ValidatingAdmissionPolicy');
    const operations = Object.fromEntries(
      policies.map((object) => [object.metadata.name, (object['spec'] as { matchConstraints: { resourceRules: { operations: string[] }[] } }).matchConstraints.resourceRules.flatMap((rule) => rule.operations)]),
    );
    expect(operations).toEqual({ [HARDENED_ADMISSION.policy]: ['CREATE', 'UPDATE'], [HARDENED_ADMISSION.deployerPolicy]: ['CREATE'] });
    for (const validation of DEPLOYER_VALIDATIONS) expect(validation.expression).toContain('request.userInfo.username');
  });

  it('the admission schemas refuse what the API server would', () => {
    const [policy] = buildHardenedAdmissionPolicies().filter((object) => object.kind === 'ValidatingAdmissionPolicy');
    if (policy === undefined) throw new Error('policy expected');
    expect(validateCoreKind(policy)).toEqual({ ok: true });
    expect(validateCoreKind({ ...policy, spec: { ...(policy['spec'] as object), validation: [] } }).ok).toBe(false);
    expect(validateCoreKind({ ...policy, spec: { ...(policy['spec'] as object), failurePolicy: 'Deny' } }).ok).toBe(false);
  });

  it('lab profiles: all objects valid', () => {
    const validator = upstreamValidator();
    for (const profile of labProfiles()) {
      expect(describeFailures(rendered(profile), validator), profile.id).toEqual([]);
    }
  });

  it('attacker presets and typical refinements are valid pods', () => {
    const validator = upstreamValidator();
    const pods = [
      intruderPod().build(),
      roguePod().build(),
      intruderPod({ namespace: SCENE.namespaces.privileged }).runAsUser(SCENE.proxyUid).addCapabilities('NET_ADMIN', 'NET_RAW').build(),
      roguePod({ namespace: SCENE.namespaces.privileged, name: 'rogue-hostnet' }).hostNetwork().hostPid().privileged().build(),
      intruderPod().annotate('traffic.sidecar.istio.io/excludeOutboundIPRanges', '0.0.0.0/0').initContainer('early', 'true', { CANARY: 'x' }).build(),
    ].map(asKubeObject);
    expect(describeFailures(pods, validator)).toEqual([]);
  });

  it('every object name is unique per kind and namespace within a profile', () => {
    for (const profile of [...kindProfiles, ...labProfiles()]) {
      const ids = rendered(profile).map((object) => `${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`);
      expect(new Set(ids).size, profile.id).toBe(ids.length);
    }
  });
});

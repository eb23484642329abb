import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../core/domain/cluster.ts';
import { DEFAULT_PROFILE_OPTIONS, profileId, stackTraits, type Cni, type Mesh, type PolicySet } from '../../core/domain/profile.ts';
import { buildPolicySet } from './layered-policy-set.ts';
import { POLICY_NAMES } from './policy-names.ts';

function stack(cni: Cni, mesh: Mesh, policy: PolicySet = 'layered') {
  return stackTraits({ id: profileId(cni, mesh), cni, mesh, versions: { kubernetes: 'v1.33.0' }, options: { ...DEFAULT_PROFILE_OPTIONS, policy } });
}

function find(objects: readonly KubeObject[], kind: string, name: string, namespace?: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === namespace);
  if (found === undefined) throw new Error(`no ${kind} ${namespace ?? ''}/${name} in ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
}

interface PolicyRule {
  from?: { ipBlock?: { cidr: string }; podSelector?: { matchLabels?: Record<string, string> } }[];
  to?: { podSelector?: { matchLabels?: Record<string, string> }; namespaceSelector?: { matchLabels?: Record<string, string> } }[];
  ports?: { protocol: string; port: number }[];
}
function spec<T>(object: KubeObject): T {
  return object.spec as T;
}
function ports(rules: readonly PolicyRule[] | undefined): string[] {
  return (rules ?? []).flatMap((rule) => (rule.ports ?? []).map((p) => `${p.protocol}/${p.port}`));
}

describe('buildPolicySet: which layers get policies', () => {
  it('renders nothing with policy none, whatever the stack', () => {
    for (const mesh of ['none', 'istio-sidecar', 'istio-ambient'] as const) {
      expect(buildPolicySet(stack('cilium', mesh, 'none'))).toEqual({ admission: [], cni: [], mesh: [] });
    }
  });

  it('mesh-only renders mesh policies and no CNI policy', () => {
    const set = buildPolicySet(stack('kindnet', 'istio-sidecar', 'mesh-only'));
    expect(set.cni).toEqual([]);
    expect(set.mesh.map((o) => o.kind)).toContain('AuthorizationPolicy');
  });

  it('a CNI-only stack gets NetworkPolicies and no mesh objects', () => {
    const set = buildPolicySet(stack('calico', 'none'));
    expect(set.mesh).toEqual([]);
    expect(set.cni.filter((o) => o.kind === 'NetworkPolicy').length).toBeGreaterThan(0);
  });

  it('admission is PSA labels in the scene, so its policy list is empty', () => {
    expect(buildPolicySet(stack('cilium', 'istio-ambient')).admission).toEqual([]);
  });
});

describe('cni layer', () => {
  const plain = buildPolicySet(stack('kindnet', 'none')).cni;

  it('default-denies both directions and allows DNS to kube-dns in every scene namespace', () => {
    for (const ns of ['bm-app', 'bm-rogue', 'bm-privileged']) {
      expect(spec(find(plain, 'NetworkPolicy', POLICY_NAMES.defaultDeny, ns))).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
      const dns = spec<{ egress: PolicyRule[] }>(find(plain, 'NetworkPolicy', POLICY_NAMES.allowDns, ns));
      expect(dns.egress).toEqual([
        {
          to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
      ]);
    }
  });

  it('allows frontend → api:8080 and api → db:5432 only, and nothing to the world', () => {
    expect(ports(spec<{ egress: PolicyRule[] }>(find(plain, 'NetworkPolicy', POLICY_NAMES.frontendEgress, 'bm-app')).egress)).toEqual(['TCP/8080']);
    expect(ports(spec<{ ingress: PolicyRule[] }>(find(plain, 'NetworkPolicy', POLICY_NAMES.apiIngress, 'bm-app')).ingress)).toEqual(['TCP/8080']);
    expect(ports(spec<{ egress: PolicyRule[] }>(find(plain, 'NetworkPolicy', POLICY_NAMES.apiEgress, 'bm-app')).egress)).toEqual(['TCP/5432']);
    expect(ports(spec<{ ingress: PolicyRule[] }>(find(plain, 'NetworkPolicy', POLICY_NAMES.dbIngress, 'bm-app')).ingress)).toEqual(['TCP/5432']);
    // Every egress peer is a selector: no ipBlock, no empty `to` (which would mean anywhere).
    for (const policy of plain) {
      for (const rule of spec<{ egress?: PolicyRule[] }>(policy).egress ?? []) {
        expect(rule.to?.length, policy.metadata.name).toBeGreaterThan(0);
        for (const peer of rule.to ?? []) expect(peer.podSelector, policy.metadata.name).toBeDefined();
      }
    }
  });

  it('ambient adds TCP 15008 to every allowed flow and ingress from 169.254.7.127/32', () => {
    const cni = buildPolicySet(stack('calico', 'istio-ambient')).cni;
    expect(ports(spec<{ ingress: PolicyRule[] }>(find(cni, 'NetworkPolicy', POLICY_NAMES.apiIngress, 'bm-app')).ingress)).toEqual(['TCP/8080', 'TCP/15008']);
    expect(ports(spec<{ egress: PolicyRule[] }>(find(cni, 'NetworkPolicy', POLICY_NAMES.apiEgress, 'bm-app')).egress)).toEqual(['TCP/5432', 'TCP/15008']);
    for (const ns of ['bm-app', 'bm-privileged']) {
      expect(spec<{ ingress: PolicyRule[] }>(find(cni, 'NetworkPolicy', POLICY_NAMES.allowAmbientProbes, ns)).ingress).toEqual([{ from: [{ ipBlock: { cidr: '169.254.7.127/32' } }] }]);
    }
    // The waypoint hop: frontend → waypoint:15008 → api:15008.
    expect(ports(spec<{ egress: PolicyRule[] }>(find(cni, 'NetworkPolicy', POLICY_NAMES.frontendEgressWaypoint, 'bm-app')).egress)).toEqual(['TCP/15008']);
    expect(ports(spec<{ ingress: PolicyRule[] }>(find(cni, 'NetworkPolicy', POLICY_NAMES.apiIngressWaypoint, 'bm-app')).ingress)).toEqual(['TCP/15008']);
    // Not without ambient.
    expect(JSON.stringify(plain)).not.toContain('15008');
    expect(JSON.stringify(buildPolicySet(stack('calico', 'istio-sidecar')).cni)).not.toContain('169.254.7.127');
  });

  it('sidecar stacks let mesh members reach istiod for XDS, which NetworkPolicy cannot tell from app traffic', () => {
    const cni = buildPolicySet(stack('cilium', 'istio-sidecar')).cni;
    for (const ns of ['bm-app', 'bm-privileged']) {
      const istiod = spec<{ podSelector: object; egress: PolicyRule[] }>(find(cni, 'NetworkPolicy', POLICY_NAMES.allowIstiod, ns));
      expect(istiod.podSelector).toEqual({});
      expect(ports(istiod.egress)).toEqual(['TCP/15012']);
    }
    expect(cni.some((o) => o.metadata.name === POLICY_NAMES.allowIstiod && o.metadata.namespace === 'bm-rogue')).toBe(false);
  });

  it('Cilium gets the DNS L7 visibility rule, entity denies and no HTTP rules', () => {
    const cni = buildPolicySet(stack('cilium', 'istio-sidecar')).cni;
    const dns = spec<{ egress: { toPorts: { rules: unknown }[] }[] }>(find(cni, 'CiliumNetworkPolicy', POLICY_NAMES.ciliumDnsVisibility, 'bm-app'));
    expect(dns.egress[0]?.toPorts[0]?.rules).toEqual({ dns: [{ matchPattern: '*' }] });
    const deny = spec<{ egressDeny: { toEntities: string[] }[] }>(find(cni, 'CiliumNetworkPolicy', POLICY_NAMES.ciliumDenyInfra, 'bm-rogue'));
    expect(deny.egressDeny[0]?.toEntities).toContain('kube-apiserver');
    expect(JSON.stringify(cni)).not.toMatch(/"http"\s*:/);
    // Calico objects only on Calico.
    expect(cni.some((o) => o.apiVersion.startsWith('projectcalico.org'))).toBe(false);
  });

  it('Cilium ambient also admits the probe source with a CIDR rule', () => {
    const cni = buildPolicySet(stack('cilium', 'istio-ambient')).cni;
    const probes = spec<{ ingress: { fromCIDR: string[] }[] }>(find(cni, 'CiliumNetworkPolicy', POLICY_NAMES.ciliumAmbientProbes, 'bm-app'));
    expect(probes.ingress).toEqual([{ fromCIDR: ['169.254.7.127/32'] }]);
  });

  it('Calico gets a Log rule before each Deny, ordered after the Kubernetes policies (1000)', () => {
    const cni = buildPolicySet(stack('calico', 'none')).cni;
    const gnp = spec<{ order: number; namespaceSelector: string; ingress: { action: string }[]; egress: { action: string }[] }>(
      find(cni, 'GlobalNetworkPolicy', POLICY_NAMES.calicoLogDeny),
    );
    expect(gnp.order).toBeGreaterThan(1000);
    for (const rules of [gnp.ingress, gnp.egress]) {
      const actions = rules.map((rule) => rule.action);
      expect(actions).toEqual(['Log', 'Deny']);
    }
    expect(gnp.namespaceSelector).toBe("kubernetes.io/metadata.name in { 'bm-app', 'bm-privileged', 'bm-rogue' }");
    expect(cni.some((o) => o.apiVersion === 'cilium.io/v2')).toBe(false);
  });
});

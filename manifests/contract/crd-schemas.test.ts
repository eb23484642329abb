import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../core/domain/cluster.ts';
import { BadInputError } from '../../core/domain/errors.ts';
import { validateCoreKind } from './core-kinds.ts';
import { goRegExp, loadCrdValidator, loadJsonSchemaValidator, type CrdValidator } from './crd-schemas.ts';
import { UPSTREAM_SCHEMAS_DIR } from './upstream-fixtures.ts';

// Loaded on first use inside a test, so a broken schema fails each test with its message.
let cached: CrdValidator | undefined;
function validator(): CrdValidator {
  cached ??= loadCrdValidator(UPSTREAM_SCHEMAS_DIR);
  return cached;
}

const goodAuthz: KubeObject = {
  apiVersion: 'security.istio.io/v1',
  kind: 'AuthorizationPolicy',
  metadata: { name: 'x', namespace: 'bm-app' },
  spec: { selector: { matchLabels: { app: 'api' } }, action: 'ALLOW', rules: [{ from: [{ source: { principals: ['cluster.local/ns/bm-app/sa/frontend'] } }] }] },
};

function errorsOf(object: KubeObject): string[] {
  const result = validator().validate(object);
  return result.ok ? [] : result.errors;
}

describe('loadCrdValidator', () => {
  it('refuses a missing schema folder, naming it, instead of validating nothing', () => {
    const missing = join(UPSTREAM_SCHEMAS_DIR, 'does-not-exist');
    expect(() => loadCrdValidator(missing)).toThrow(BadInputError);
    expect(() => loadCrdValidator(missing)).toThrow(missing);
  });

  it('indexes every served CRD version of the vendored upstream schemas', () => {
    for (const key of [
      'security.istio.io/v1|AuthorizationPolicy',
      'security.istio.io/v1beta1|AuthorizationPolicy',
      'networking.istio.io/v1|Sidecar',
      'gateway.networking.k8s.io/v1|Gateway',
      'cilium.io/v2|CiliumNetworkPolicy',
      'projectcalico.org/v3|GlobalNetworkPolicy',
      'projectcalico.org/v3|FelixConfiguration',
      'operator.tigera.io/v1|Installation',
    ]) {
      expect(validator().known).toContain(key);
    }
  });

  it('accepts a valid AuthorizationPolicy', () => {
    expect(validator().validate(goodAuthz)).toEqual({ ok: true });
  });

  it('rejects an AuthorizationPolicy with action PERMIT, naming the field and the allowed values', () => {
    const errors = errorsOf({ ...goodAuthz, spec: { ...(goodAuthz.spec as object), action: 'PERMIT' } });
    expect(errors).toEqual(['/spec/action must be equal to one of the allowed values (["ALLOW","DENY","AUDIT","CUSTOM"])']);
  });

  it('rejects unknown (misspelled) fields, as strict field validation does', () => {
    const errors = errorsOf({ ...goodAuthz, spec: { ...(goodAuthz.spec as object), rule: [] } });
    expect(errors).toEqual(['/spec must NOT have additional properties (rule)']);
  });

  it('checks scope and name, which the schema leaves to the API server', () => {
    const { namespace: _namespace, ...clusterMeta } = goodAuthz.metadata;
    expect(errorsOf({ ...goodAuthz, metadata: clusterMeta })).toEqual(['/metadata/namespace is required: AuthorizationPolicy is namespaced']);
    const gnp: KubeObject = {
      apiVersion: 'projectcalico.org/v3',
      kind: 'GlobalNetworkPolicy',
      metadata: { name: 'Bad_Name', namespace: 'bm-app' },
      spec: { order: 1, selector: 'all()', types: ['Egress'], egress: [{ action: 'Log' }] },
    };
    expect(errorsOf(gnp)).toEqual([
      '/metadata/name "Bad_Name" is not a DNS subdomain',
      '/metadata/namespace must be absent: GlobalNetworkPolicy is cluster-scoped',
    ]);
  });

  it('rejects a Calico rule without its required action and a Cilium port given as a number', () => {
    const gnp: KubeObject = {
      apiVersion: 'projectcalico.org/v3',
      kind: 'GlobalNetworkPolicy',
      metadata: { name: 'bm-x' },
      spec: { order: 2000, selector: 'all()', types: ['Ingress'], ingress: [{ protocol: 'TCP' }] },
    };
    expect(errorsOf(gnp)).toEqual(["/spec/ingress/0 must have required property 'action'"]);
    const cnp: KubeObject = {
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumNetworkPolicy',
      metadata: { name: 'bm-x', namespace: 'bm-app' },
      spec: { endpointSelector: {}, egress: [{ toPorts: [{ ports: [{ port: 53, protocol: 'UDP' }] }] }] },
    };
    expect(errorsOf(cnp)).toEqual(['/spec/egress/0/toPorts/0/ports/0/port must be string']);
  });

  it('checks int-or-string and cidr formats', () => {
    const gnp = (ports: unknown[], nets: string[]): KubeObject => ({
      apiVersion: 'projectcalico.org/v3',
      kind: 'GlobalNetworkPolicy',
      metadata: { name: 'bm-x' },
      spec: { egress: [{ action: 'Allow', protocol: 'TCP', destination: { ports, nets } }] },
    });
    expect(errorsOf(gnp([53, '8080:8090'], ['10.0.0.0/8']))).toEqual([]);
    expect(errorsOf(gnp([true], ['10.0.0.0/8']))).toContain('/spec/egress/0/destination/ports/0 must be integer');
    const gateway = (address: string): KubeObject => ({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'gw', namespace: 'bm-app' },
      spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }], addresses: [{ type: 'IPAddress', value: address }] },
    });
    expect(errorsOf(gateway('10.0.0.1'))).toEqual([]);
    const cnp = (cidr: string): KubeObject => ({
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumNetworkPolicy',
      metadata: { name: 'bm-x', namespace: 'bm-app' },
      spec: { endpointSelector: {}, ingress: [{ fromCIDR: [cidr] }] },
    });
    expect(errorsOf(cnp('169.254.7.127/32'))).toEqual([]);
    expect(errorsOf(cnp('169.254.7.127/33'))).toEqual(['/spec/ingress/0/fromCIDR/0 must match format "cidr"']);
    expect(errorsOf(cnp('not-a-cidr'))).toEqual(['/spec/ingress/0/fromCIDR/0 must match format "cidr"']);
  });

  it('reads RE2 patterns: leading inline flags become JavaScript flags; flags it cannot place are refused', () => {
    // Calico's FelixConfiguration (v3.32.1) spells bpfEnforceRPF as ^(?i)(Disabled|Strict|Loose)?$.
    const rpf = goRegExp('^(?i)(Disabled|Strict|Loose)?$', '');
    expect(['strict', 'Loose', ''].every((value) => rpf.test(value))).toBe(true);
    expect(rpf.test('strictly')).toBe(false);
    expect(goRegExp('(?is)a.b', '').test('A\nB')).toBe(true);
    expect(goRegExp('^\\PC+$', '').test('ok')).toBe(true);
    expect(() => goRegExp('^(?U)a+$', '')).toThrow(/no JavaScript equivalent/);
    expect(() => goRegExp('^a(?i)b$', '')).toThrow(/cannot be expressed/);
    expect(goRegExp('^(?:a|b)$', '').test('b')).toBe(true);
    const felix = (spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'projectcalico.org/v3', kind: 'FelixConfiguration', metadata: { name: 'default' }, spec });
    expect(validator().validate(felix({ bpfEnforceRPF: 'strict', wireguardEnabled: true }))).toEqual({ ok: true });
    expect(validator().validate(felix({ bpfEnforceRPF: 'Sometimes' })).ok).toBe(false);
  });

  it('reports an apiVersion/kind with no schema instead of passing it', () => {
    expect(errorsOf({ apiVersion: 'example.com/v1', kind: 'Thing', metadata: { name: 'x' } })).toEqual([
      `no CRD schema for example.com/v1|Thing under ${UPSTREAM_SCHEMAS_DIR}`,
    ]);
  });
});

describe('core kinds (structural, no upstream CRD schema)', () => {
  const netpol = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'bm-x', namespace: 'bm-app' },
    spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: {} }], ports: [{ protocol: 'TCP', port: 8080 }] }] },
  };

  it('accepts a valid NetworkPolicy', () => {
    expect(validateCoreKind(netpol)).toEqual({ ok: true });
  });

  it('rejects a NetworkPolicy port given as an object', () => {
    const broken = { ...netpol, spec: { ...netpol.spec, egress: [{ to: [], ports: [{ protocol: 'TCP', port: { number: 8080 } }] }] } };
    const result = validateCoreKind(broken);
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.errors.map((error) => error.split(' ')[0])).toEqual(['/spec/egress/0/ports/0/port']);
  });

  it('rejects client-node field spellings that are not the API (`_from`)', () => {
    const broken = { ...netpol, spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ _from: [{ podSelector: {} }] }] } };
    expect(validateCoreKind(broken).ok).toBe(false);
  });
});

describe('loadJsonSchemaValidator (Helm values)', () => {
  it('validates values against the Cilium and istio gateway chart schemas', () => {
    const cilium = loadJsonSchemaValidator(join(UPSTREAM_SCHEMAS_DIR, 'helm', 'cilium-values.schema.json'));
    expect(cilium.validate({ cni: { exclusive: false }, socketLB: { hostNamespaceOnly: true } })).toEqual({ ok: true });
    const bad = cilium.validate({ cni: { exclusive: 'no' } });
    expect(bad.ok).toBe(false);
    const gateway = loadJsonSchemaValidator(join(UPSTREAM_SCHEMAS_DIR, 'helm', 'istio-gateway-values.schema.json'));
    expect(gateway.validate({ replicaCount: 1 }).ok).toBe(true);
  });
});

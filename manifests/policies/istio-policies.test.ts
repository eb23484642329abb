import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../core/domain/cluster.ts';
import { DEFAULT_PROFILE_OPTIONS, profileId, stackTraits, type Mesh } from '../../core/domain/profile.ts';
import { buildPolicySet } from './layered-policy-set.ts';
import { POLICY_NAMES } from './policy-names.ts';

function mesh(meshName: Mesh): readonly KubeObject[] {
  const traits = stackTraits({ id: profileId('kindnet', meshName), cni: 'kindnet', mesh: meshName, versions: { kubernetes: 'v1.33.0' }, options: { ...DEFAULT_PROFILE_OPTIONS, policy: 'mesh-only' } });
  return buildPolicySet(traits).mesh;
}

interface AuthzSpec {
  selector?: { matchLabels: Record<string, string> };
  targetRefs?: { group: string; kind: string; name: string }[];
  action: string;
  rules: { from?: { source: { principals?: string[] } }[]; to?: { operation: { ports?: string[]; methods?: string[]; paths?: string[] } }[] }[];
}

function authz(objects: readonly KubeObject[], name: string): AuthzSpec {
  const found = objects.find((o) => o.kind === 'AuthorizationPolicy' && o.metadata.name === name);
  if (found === undefined) throw new Error(`no AuthorizationPolicy ${name}`);
  return found.spec as AuthzSpec;
}

const L7_FIELDS = /"(methods|paths|hosts|notMethods|notPaths|notHosts)"/;

describe('mesh layer, common', () => {
  it('STRICT mTLS mesh-wide: PeerAuthentication default in istio-system', () => {
    for (const m of ['istio-sidecar', 'istio-ambient'] as const) {
      const pa = mesh(m).find((o) => o.kind === 'PeerAuthentication');
      expect(pa?.metadata).toMatchObject({ name: 'default', namespace: 'istio-system' });
      expect(pa?.spec).toEqual({ mtls: { mode: 'STRICT' } });
    }
  });

  it('every AuthorizationPolicy is bound exactly one way (the CRD enforces this with CEL, which ajv cannot)', () => {
    for (const m of ['istio-sidecar', 'istio-ambient'] as const) {
      for (const policy of mesh(m).filter((o) => o.kind === 'AuthorizationPolicy')) {
        const s = policy.spec as AuthzSpec;
        expect([s.selector, s.targetRefs].filter((binding) => binding !== undefined), policy.metadata.name).toHaveLength(1);
      }
    }
  });
});

describe('sidecar mode', () => {
  const objects = mesh('istio-sidecar');

  it('api allows only the frontend principal with GET /api/*, and denies /admin', () => {
    expect(authz(objects, POLICY_NAMES.apiAllow)).toEqual({
      selector: { matchLabels: { app: 'api' } },
      action: 'ALLOW',
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/bm-app/sa/frontend'] } }], to: [{ operation: { methods: ['GET'], paths: ['/api/*'] } }] }],
    });
    const deny = authz(objects, POLICY_NAMES.apiDenyAdmin);
    expect(deny.action).toBe('DENY');
    expect(deny.rules[0]?.to?.[0]?.operation.paths).toEqual(['/admin', '/admin/*']);
    // ISTIO-SECURITY-2021-008's example: a DENY on the `<service>.<namespace>` host, with or without a port (SC12).
    expect(authz(objects, POLICY_NAMES.apiDenyShortHost)).toEqual({
      selector: { matchLabels: { app: 'api' } },
      action: 'DENY',
      rules: [{ to: [{ operation: { hosts: ['api.bm-app', 'api.bm-app:*'] } }] }],
    });
  });

  it('db allows only the api principal on 5432', () => {
    expect(authz(objects, POLICY_NAMES.dbAllow)).toEqual({
      selector: { matchLabels: { app: 'db' } },
      action: 'ALLOW',
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/bm-app/sa/api'] } }], to: [{ operation: { ports: ['5432'] } }] }],
    });
  });

  it('REGISTRY_ONLY through a namespace-wide Sidecar in each mesh namespace; no waypoint', () => {
    const sidecars = objects.filter((o) => o.kind === 'Sidecar');
    expect(sidecars.map((o) => o.metadata.namespace)).toEqual(['bm-app', 'bm-privileged']);
    for (const sidecar of sidecars) expect(sidecar.spec).toEqual({ outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } });
    expect(objects.some((o) => o.kind === 'Gateway')).toBe(false);
  });
});

describe('ambient mode', () => {
  const objects = mesh('istio-ambient');

  it('selector-bound (ztunnel) policies carry no L7 fields', () => {
    for (const policy of objects.filter((o) => o.kind === 'AuthorizationPolicy' && (o.spec as AuthzSpec).selector !== undefined)) {
      expect(JSON.stringify(policy.spec), policy.metadata.name).not.toMatch(L7_FIELDS);
    }
  });

  it('api at ztunnel admits the frontend and the waypoint identities', () => {
    expect(authz(objects, POLICY_NAMES.apiAllowL4)).toEqual({
      selector: { matchLabels: { app: 'api' } },
      action: 'ALLOW',
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/bm-app/sa/frontend', 'cluster.local/ns/bm-app/sa/waypoint'] } }] }],
    });
  });

  it('the /api/* and /admin rules are bound to the waypoint through the api Service', () => {
    for (const name of [POLICY_NAMES.apiAllow, POLICY_NAMES.apiDenyAdmin, POLICY_NAMES.apiDenyShortHost]) {
      const s = authz(objects, name);
      expect(s.targetRefs).toEqual([{ group: '', kind: 'Service', name: 'api' }]);
      expect(s.selector).toBeUndefined();
    }
    expect(authz(objects, POLICY_NAMES.apiAllow).rules[0]?.to).toEqual([{ operation: { methods: ['GET'], paths: ['/api/*'] } }]);
  });

  it('renders the waypoint Gateway with an HBONE listener on 15008 and no Sidecar resource', () => {
    const gateway = objects.find((o) => o.kind === 'Gateway');
    expect(gateway?.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(gateway?.spec).toEqual({ gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] });
    expect(objects.some((o) => o.kind === 'Sidecar')).toBe(false);
  });
});

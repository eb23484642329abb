import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../../core/domain/errors.ts';
import {
  applicablePolicies,
  compilePolicy,
  decide,
  istioStringMatch,
  type RequestFacts,
  type TrafficKind,
} from './authorization-policy.ts';
import type { KubeObject } from '../../../core/domain/cluster.ts';
import type { PathNormalization } from '../../../core/domain/profile.ts';
import { istioObjectNotes } from './istio-objects.ts';
import { normalizePath } from './path-normalization.ts';
import { API_ALLOW_FRONTEND, API_DENY_ADMIN, DB_ALLOW_API, authorizationPolicy } from './test-objects.ts';

const FRONTEND = 'cluster.local/ns/bm-app/sa/frontend';
const API = 'cluster.local/ns/bm-app/sa/api';

function decideFor(objects: readonly KubeObject[], app: string, kind: TrafficKind, facts: RequestFacts) {
  const policies = applicablePolicies(objects, { namespace: 'bm-app', labels: { app } }).map((p) => compilePolicy(p, kind));
  return decide(policies, facts);
}

function get(principal: string, target: string, method = 'GET', mode: PathNormalization = 'DECODE_AND_MERGE_SLASHES'): RequestFacts {
  const normalized = normalizePath(target, mode);
  if (!normalized.ok) throw new Error(`${target} is refused before authorization`);
  return { principal, port: 8080, http: { method, path: normalized.path } };
}

describe('istioStringMatch', () => {
  it('matches exact, prefix, suffix and presence', () => {
    expect(istioStringMatch('/api/*', '/api/x')).toBe(true);
    expect(istioStringMatch('/api/*', '/apix')).toBe(false);
    expect(istioStringMatch('*/sa/frontend', FRONTEND)).toBe(true);
    expect(istioStringMatch('*', '')).toBe(false);
    expect(istioStringMatch('*', 'x')).toBe(true);
    expect(istioStringMatch('/admin', '/Admin')).toBe(false);
  });
});

describe('AuthorizationPolicy decisions (scene policies)', () => {
  const objects = [API_ALLOW_FRONTEND, DB_ALLOW_API];

  it('frontend GET /api/x is allowed by rule 0', () => {
    expect(decideFor(objects, 'api', 'http', get(FRONTEND, '/api/x'))).toEqual({
      allowed: true,
      matched: 'ns[bm-app]-policy[api]-rule[0]',
    });
  });

  it('frontend GET /admin and POST /api/x are denied by [none]; api identity and plaintext too', () => {
    for (const facts of [get(FRONTEND, '/admin'), get(FRONTEND, '/api/x', 'POST'), get(API, '/api/x'), get('', '/api/x')]) {
      expect(decideFor(objects, 'api', 'http', facts)).toEqual({
        allowed: false,
        policy: 'none',
        details: 'rbac_access_denied_matched_policy[none]',
      });
    }
  });

  it('db over TCP admits only the api principal', () => {
    expect(decideFor(objects, 'db', 'tcp', { principal: API, port: 5432 }).allowed).toBe(true);
    expect(decideFor(objects, 'db', 'tcp', { principal: FRONTEND, port: 5432 }).allowed).toBe(false);
  });

  it('a workload no policy selects is allowed', () => {
    expect(decideFor(objects, 'frontend', 'http', get('', '/anything')).allowed).toBe(true);
  });
});

describe('DENY before ALLOW, path tricks (DECODE_AND_MERGE_SLASHES), TCP semantics', () => {
  const objects = [API_ALLOW_FRONTEND, API_DENY_ADMIN];

  it.each(['/admin', '//admin', '/%2Fadmin', '/admin#x', '/api/../admin', '/admin/x'])(
    'DENY /admin catches %s with the matching rule id',
    (path) => {
      expect(decideFor(objects, 'api', 'http', get(FRONTEND, path))).toEqual({
        allowed: false,
        policy: 'ns[bm-app]-policy[deny-admin]-rule[0]',
        details: 'rbac_access_denied_matched_policy[ns[bm-app]-policy[deny-admin]-rule[0]]',
      });
    },
  );

  it('/ADMIN escapes the DENY (case-sensitive) and then falls to ALLOW-no-match', () => {
    expect(decideFor(objects, 'api', 'http', get(FRONTEND, '/ADMIN'))).toMatchObject({ allowed: false, policy: 'none' });
  });

  it('notPrincipals and namespaces', () => {
    const policy = authorizationPolicy('bm-app', 'ns-only', {
      selector: { matchLabels: { app: 'api' } },
      rules: [{ from: [{ source: { namespaces: ['bm-app'], notPrincipals: [API] } }] }],
    });
    expect(decideFor([policy], 'api', 'http', get(FRONTEND, '/x')).allowed).toBe(true);
    expect(decideFor([policy], 'api', 'http', get(API, '/x')).allowed).toBe(false);
    expect(decideFor([policy], 'api', 'http', get('cluster.local/ns/bm-rogue/sa/rogue', '/x')).allowed).toBe(false);
    expect(decideFor([policy], 'api', 'http', get('', '/x')).allowed).toBe(false);
  });

  it('on TCP an ALLOW operation with methods never matches, a DENY with methods matches everything on its ports', () => {
    const allowGet = authorizationPolicy('bm-app', 'allow-get', {
      selector: { matchLabels: { app: 'db' } },
      rules: [{ to: [{ operation: { methods: ['GET'] } }] }],
    });
    expect(decideFor([allowGet], 'db', 'tcp', { principal: API, port: 5432 })).toMatchObject({ allowed: false, policy: 'none' });
    const denyGet = authorizationPolicy('bm-app', 'deny-get', {
      selector: { matchLabels: { app: 'db' } },
      action: 'DENY',
      rules: [{ to: [{ operation: { methods: ['GET'], ports: ['5432'] } }] }],
    });
    expect(decideFor([denyGet], 'db', 'tcp', { principal: API, port: 5432 })).toMatchObject({
      allowed: false,
      policy: 'ns[bm-app]-policy[deny-get]-rule[0]',
    });
    expect(decideFor([denyGet], 'db', 'tcp', { principal: API, port: 5433 }).allowed).toBe(true);
  });

  it('ALLOW with no rules denies everything; a rule {} allows everything; root-namespace policies apply', () => {
    const denyAll = authorizationPolicy('istio-system', 'deny-all', {});
    expect(decideFor([denyAll], 'api', 'http', get(FRONTEND, '/api/x'))).toMatchObject({ allowed: false, policy: 'none' });
    const allowAll = authorizationPolicy('bm-app', 'allow-all', { rules: [{}] });
    expect(decideFor([denyAll, allowAll], 'api', 'http', get('', '/x')).allowed).toBe(true);
  });

  it('refuses unsafe or unsupported patterns and fields', () => {
    const bad = authorizationPolicy('bm-app', 'bad', { rules: [{ to: [{ operation: { paths: ['/a*b'] } }] }] });
    expect(() => decideFor([bad], 'api', 'http', get('', '/'))).toThrow(BadInputError);
    const quote = authorizationPolicy('bm-app', 'q', { rules: [{ to: [{ operation: { paths: ['/a" b'] } }] }] });
    expect(() => decideFor([quote], 'api', 'http', get('', '/'))).toThrow(BadInputError);
    const when = authorizationPolicy('bm-app', 'w', { rules: [{ when: [{ key: 'request.headers[x]', values: ['1'] }] }] });
    expect(() => decideFor([when], 'api', 'http', get('', '/'))).toThrow(/AuthorizationPolicy bm-app\/w: spec\.rules\[0\]\.when: when \(conditions\) is not modelled by the lab sidecar/);
  });
});

const ADMIN_ANY_METHOD = authorizationPolicy('bm-app', 'deny-admin-any', {
  selector: { matchLabels: { app: 'api' } },
  action: 'DENY',
  rules: [{ to: [{ operation: { methods: ['*'], paths: ['/admin'] } }] }],
});

describe('method patterns use the Istio string matcher', () => {
  // istio/istio pilot/pkg/security/authz/model/generator.go methodGenerator → matcher.HeaderMatcher(":method", v):
  // "*" is a presence match, "P*" a prefix, "*T" a suffix, otherwise exact (matcher/header.go, matcher/string.go).
  it('DENY methods ["*"] paths ["/admin"] stops GET /admin (the issue: the lab let it through)', () => {
    expect(decideFor([ADMIN_ANY_METHOD], 'api', 'http', get(FRONTEND, '/admin'))).toMatchObject({
      allowed: false,
      policy: 'ns[bm-app]-policy[deny-admin-any]-rule[0]',
    });
    expect(decideFor([ADMIN_ANY_METHOD], 'api', 'http', get(FRONTEND, '/admin', 'DELETE')).allowed).toBe(false);
    expect(decideFor([ADMIN_ANY_METHOD], 'api', 'http', get(FRONTEND, '/api/x')).allowed).toBe(true);
  });

  it('prefix and suffix method patterns; notMethods negates the same matcher', () => {
    const policy = authorizationPolicy('bm-app', 'p-star', {
      selector: { matchLabels: { app: 'api' } },
      action: 'DENY',
      rules: [{ to: [{ operation: { methods: ['P*', '*TE'] } }] }],
    });
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) expect(decideFor([policy], 'api', 'http', get(FRONTEND, '/x', method)).allowed).toBe(false);
    for (const method of ['GET', 'HEAD', 'OPTIONS']) expect(decideFor([policy], 'api', 'http', get(FRONTEND, '/x', method)).allowed).toBe(true);
    const notGetLike = authorizationPolicy('bm-app', 'not-g', {
      selector: { matchLabels: { app: 'api' } },
      rules: [{ to: [{ operation: { notMethods: ['G*'] } }] }],
    });
    expect(decideFor([notGetLike], 'api', 'http', get(FRONTEND, '/x', 'GET')).allowed).toBe(false);
    expect(decideFor([notGetLike], 'api', 'http', get(FRONTEND, '/x', 'POST')).allowed).toBe(true);
  });
});

describe('hosts: the :authority header, matched ignoring case (CVE-2021-39155 fixed)', () => {
  // istio/istio pilot/pkg/security/authz/model/generator.go hostGenerator → matcher.HostMatcher(":authority", v),
  // whose exact, prefix and suffix matchers all set ignore_case (matcher/header.go); "*" is a presence match.
  const denyShortHost = authorizationPolicy('bm-app', 'deny-short-host', {
    selector: { matchLabels: { app: 'api' } },
    action: 'DENY',
    rules: [{ to: [{ operation: { hosts: ['api.bm-app', 'api.bm-app:*'] } }] }],
  });
  const at = (host: string): RequestFacts => ({ principal: FRONTEND, port: 8080, http: { method: 'GET', path: '/api/ping', host } });

  it('denies the bulletin\'s case variant ("Httpbin.Foo") as it denies the name itself, with or without a port', () => {
    for (const host of ['api.bm-app', 'API.BM-APP', 'Api.Bm-App:8080', 'api.bm-app:8080']) {
      expect(decideFor([denyShortHost], 'api', 'http', at(host)), host).toMatchObject({ allowed: false, policy: 'ns[bm-app]-policy[deny-short-host]-rule[0]' });
    }
    for (const host of ['api.bm-app.svc.cluster.local:8080', 'API.BM-APP.SVC.CLUSTER.LOCAL', '']) {
      expect(decideFor([denyShortHost], 'api', 'http', at(host)).allowed, host).toBe(true);
    }
  });

  it('notHosts negates the same case-insensitive matcher; on TCP a DENY with hosts matches its whole port range', () => {
    const onlyFqdn = authorizationPolicy('bm-app', 'only-fqdn', {
      selector: { matchLabels: { app: 'api' } },
      rules: [{ to: [{ operation: { notHosts: ['*.svc.cluster.local', '*.svc.cluster.local:8080'] } }] }],
    });
    expect(decideFor([onlyFqdn], 'api', 'http', at('API.BM-APP.SVC.CLUSTER.LOCAL:8080')).allowed).toBe(false);
    expect(decideFor([onlyFqdn], 'api', 'http', at('api.bm-app')).allowed).toBe(true);
    expect(decideFor([denyShortHost], 'api', 'tcp', { principal: FRONTEND, port: 8080 }).allowed).toBe(false);
  });
});

describe('path normalisation modes against a DENY on /admin (no ALLOW)', () => {
  // https://istio.io/latest/docs/ops/best-practices/security/#understand-path-normalization-in-authorization-policy
  const DENY_ONLY = [API_DENY_ADMIN];
  const passes = (target: string, mode: PathNormalization): boolean => decideFor(DENY_ONLY, 'api', 'http', get(FRONTEND, target, 'GET', mode)).allowed;

  it('BASE (Istio default): //admin and /admin%2Fx pass the DENY; /admin\\secret does not', () => {
    expect(passes('//admin', 'BASE')).toBe(true);
    expect(passes('/admin%2Fx', 'BASE')).toBe(true);
    expect(passes('/admin%5Csecret', 'BASE')).toBe(true);
    expect(passes('/admin\\secret', 'BASE')).toBe(false);
    expect(passes('/api/../admin', 'BASE')).toBe(false);
  });

  it('MERGE_SLASHES stops //admin, not the escaped slashes', () => {
    expect(passes('//admin', 'MERGE_SLASHES')).toBe(false);
    expect(passes('/admin%2Fx', 'MERGE_SLASHES')).toBe(true);
    expect(passes('/admin%5Csecret', 'MERGE_SLASHES')).toBe(true);
  });

  it('DECODE_AND_MERGE_SLASHES stops all of them, yet decodes once (%2%46 passes as /admin%2Fx)', () => {
    for (const target of ['//admin', '/admin%2Fx', '/admin%5Csecret', '/admin%5csecret', '/admin\\secret']) {
      expect(passes(target, 'DECODE_AND_MERGE_SLASHES')).toBe(false);
    }
    expect(passes('/admin%2%46x', 'DECODE_AND_MERGE_SLASHES')).toBe(true);
  });
});

describe('targetRefs: attached to a Gateway or a waypoint, never to a sidecar', () => {
  // https://istio.io/latest/docs/reference/config/security/authorization-policy/ (targetRefs): the policy binds to
  // the referenced Gateway/Service (a waypoint), and selector and targetRefs are mutually exclusive
  // (istio/istio pkg/config/validation: "only one of targetRefs or workloadSelector can be set").
  const serviceBound = authorizationPolicy('bm-app', 'waypoint-deny', {
    targetRefs: [{ group: '', kind: 'Service', name: 'api' }],
    action: 'DENY',
    rules: [{ to: [{ operation: { paths: ['/api/*'] } }] }],
  });

  it('applies to no sidecar (was: applied to the whole namespace)', () => {
    expect(applicablePolicies([serviceBound], { namespace: 'bm-app', labels: { app: 'api' } })).toEqual([]);
    expect(decideFor([serviceBound], 'api', 'http', get(FRONTEND, '/api/x')).allowed).toBe(true);
  });

  it('is visible as a note', () => {
    expect(istioObjectNotes([serviceBound, API_DENY_ADMIN])).toEqual([
      'AuthorizationPolicy bm-app/waypoint-deny is attached with targetRefs (Service/api): it applies to no sidecar, as upstream',
    ]);
  });

  it('refuses selector together with targetRefs, and a target kind upstream does not list', () => {
    const both = authorizationPolicy('bm-app', 'both', { selector: { matchLabels: { app: 'api' } }, targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'w' }] });
    expect(() => istioObjectNotes([both])).toThrow(/bm-app\/both: sets more than one of selector, targetRef and targetRefs/);
    const pod = authorizationPolicy('bm-app', 'pod', { targetRefs: [{ kind: 'Pod', name: 'api' }] });
    expect(() => istioObjectNotes([pod])).toThrow(/AuthorizationPolicy bm-app\/pod: spec\.targetRefs\[0\]\.kind/);
  });
});

describe('strict AuthorizationPolicy schema: every unknown or unmodelled field is refused, naming policy and field', () => {
  it.each([
    [{ provider: { name: 'ext' }, action: 'CUSTOM' }, 'spec.provider: provider (CUSTOM authorization) is not modelled'],
    [{ rules: [{ from: [{ source: { ipBlocks: ['10.0.0.0/8'] } }] }] }, 'spec.rules[0].from[0].source.ipBlocks: ipBlocks is not modelled'],
    [{ rules: [{ from: [{ source: { requestPrincipals: ['*'] } }] }] }, 'spec.rules[0].from[0].source.requestPrincipals: requestPrincipals (JWT) is not modelled'],
    [{ rules: [{ to: [{ operation: { hostz: ['api'] } }] }] }, 'spec.rules[0].to[0].operation.hostz: unknown field'],
    [{ rules: [{ to: [{ operation: { paths: ['/x'], pathz: ['/y'] } }] }] }, 'spec.rules[0].to[0].operation.pathz: unknown field'],
    [{ selector: { matchLabels: { app: 'api' }, matchExpressions: [] } }, 'spec.selector.matchExpressions: unknown field'],
    [{ actoin: 'DENY' }, 'spec.actoin: unknown field'],
  ])('%j → %s', (spec, message) => {
    const policy = authorizationPolicy('bm-app', 'strict', spec);
    expect(() => istioObjectNotes([policy])).toThrow(BadInputError);
    expect(() => istioObjectNotes([policy])).toThrow(`AuthorizationPolicy bm-app/strict: ${message}`);
  });

  it('CUSTOM and AUDIT stay refused', () => {
    for (const action of ['CUSTOM', 'AUDIT']) {
      expect(() => istioObjectNotes([authorizationPolicy('bm-app', 'a', { action })])).toThrow(`action ${action} is not modelled by the lab sidecar`);
    }
  });
});

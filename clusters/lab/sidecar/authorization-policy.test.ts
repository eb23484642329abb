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
import { normalizePath } from './path-normalization.ts';
import { API_ALLOW_FRONTEND, API_DENY_ADMIN, DB_ALLOW_API, authorizationPolicy } from './test-objects.ts';

const FRONTEND = 'cluster.local/ns/bm-app/sa/frontend';
const API = 'cluster.local/ns/bm-app/sa/api';

function decideFor(objects: readonly KubeObject[], app: string, kind: TrafficKind, facts: RequestFacts) {
  const policies = applicablePolicies(objects, { namespace: 'bm-app', labels: { app } }).map((p) => compilePolicy(p, kind));
  return decide(policies, facts);
}

function get(principal: string, path: string, method = 'GET'): RequestFacts {
  return { principal, port: 8080, http: { method, path: normalizePath(path) } };
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

describe('DENY before ALLOW, path tricks, TCP semantics', () => {
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
    expect(() => decideFor([when], 'api', 'http', get('', '/'))).toThrow(/lab sidecar/);
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackTraits } from '../../../core/domain/profile.ts';
import { buildIstioPolicies } from '../../../manifests/policies/istio-policies.ts';
import { labProfile } from '../testing/lab-profile.ts';
import { authorizationPolicy } from '../sidecar/test-objects.ts';
import { servedServices, waypointHaproxyModel, waypointPolicies, waypointProcessConfig, type VipService } from './waypoint-config.ts';
import { renderWaypointHaproxyConfig } from './waypoint-haproxy-config.ts';

const WAYPOINT = { namespace: 'bm-app', name: 'waypoint' };
const service = (name: string, vip: string, waypoint: string | null = 'waypoint'): VipService => ({
  namespace: 'bm-app',
  name,
  host: `${name}.bm-app.svc.cluster.local`,
  vip,
  ...(waypoint === null ? {} : { waypoint }),
  ports: [{ port: 8080, targetPort: 8080, http: true }, { port: 5432, targetPort: 5432, http: false }],
  endpoints: [{ ip: '10.244.2.2', identity: `spiffe://cluster.local/ns/bm-app/sa/${name}` }],
});
const API = service('api', '10.96.0.10');
const REVIEWS = service('reviews', '10.96.0.11');
const OTHER = service('other', '10.96.0.12', 'other-waypoint');

// istio.io "Attach L7 policies to waypoint proxies" (https://istio.io/latest/docs/ambient/usage/waypoint/#attachl7policies):
// `targetRefs` to the Gateway applies to the entire waypoint, to a Service only to that Service within the waypoint.
const ON_SERVICE = authorizationPolicy('bm-app', 'api-deny', { targetRefs: [{ group: '', kind: 'Service', name: 'api' }], action: 'DENY', rules: [{ to: [{ operation: { paths: ['/admin'] } }] }] });
const ON_GATEWAY = authorizationPolicy('bm-app', 'viewer', {
  targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'waypoint' }],
  action: 'ALLOW',
  rules: [{ to: [{ operation: { methods: ['GET'] } }] }],
});
const ON_SELECTOR = authorizationPolicy('bm-app', 'ztunnel-l4', { selector: { matchLabels: { app: 'api' } }, rules: [{}] });
const ELSEWHERE = authorizationPolicy('other-ns', 'api-deny', { targetRefs: [{ group: '', kind: 'Service', name: 'api' }], action: 'DENY', rules: [{}] });
const OBJECTS = [ON_SERVICE, ON_GATEWAY, ON_SELECTOR, ELSEWHERE];

describe('waypointPolicies: what a waypoint enforces for each Service it serves', () => {
  it('a Service-attached policy applies to that Service only, a Gateway-attached one to every Service of the waypoint', () => {
    expect(waypointPolicies(OBJECTS, WAYPOINT, API).map((p) => p.name).sort()).toEqual(['api-deny', 'viewer']);
    expect(waypointPolicies(OBJECTS, WAYPOINT, REVIEWS).map((p) => p.name)).toEqual(['viewer']);
  });

  it('never a selector-bound policy (that is ztunnel\'s) nor a policy of another namespace', () => {
    const names = waypointPolicies(OBJECTS, WAYPOINT, API).map((p) => p.name);
    expect(names).not.toContain('ztunnel-l4');
    expect(waypointPolicies(OBJECTS, WAYPOINT, API).every((p) => p.namespace === 'bm-app')).toBe(true);
  });

  it('serves only the Services naming it in istio.io/use-waypoint', () => {
    expect(servedServices(WAYPOINT, [API, REVIEWS, OTHER, service('db', '10.96.0.13', null)]).map((s) => s.name)).toEqual(['api', 'reviews']);
    const config = waypointProcessConfig({ ip: '10.244.1.9', name: 'waypoint-lab' }, WAYPOINT, [API, OTHER], { certPath: 'c', keyPath: 'k', caPath: 'a' });
    expect(Object.keys(config.services)).toEqual(['10.96.0.10']);
    expect(config.services['10.96.0.10']?.ports).toEqual({ '8080': { protocol: 'http', targetPort: 8080 }, '5432': { protocol: 'tcp', targetPort: 5432 } });
    expect(config.pod.identity).toBe('spiffe://cluster.local/ns/bm-app/sa/waypoint');
  });
});

describe('renderWaypointHaproxyConfig (the sidecar\'s shared L7 decision, one guard per Service VIP)', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bm-waypoint-cfg-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("guards each Service's rules by its VIP and answers Envoy's 403 with the rule id", () => {
    const text = renderWaypointHaproxyConfig(waypointHaproxyModel('bm-app/waypoint-lab', WAYPOINT, OBJECTS, [API, REVIEWS], 'BASE'));
    expect(text).toContain('str(rbac_access_denied_matched_policy[ns[bm-app]-policy[api-deny]-rule[0]]) if { dst 10.96.0.10 }');
    expect(text).not.toMatch(/policy\[api-deny\][^\n]*\{ dst 10\.96\.0\.11 \}/);
    expect(text).toContain('str(rbac_access_denied_matched_policy[none]) if { dst 10.96.0.11 }');
    expect(text).toContain('http-request return status 403 content-type text/plain string "RBAC: access denied"');
    expect(text).toContain('# meshConfig.pathNormalization: BASE');
  });

  it("is accepted by haproxy -c with the scene's ambient policy set", async () => {
    const objects = buildIstioPolicies(stackTraits(labProfile('lab:ambient')));
    const path = join(dir, 'waypoint.cfg');
    await writeFile(path, renderWaypointHaproxyConfig(waypointHaproxyModel('bm-app/waypoint-lab', WAYPOINT, objects, [API], 'DECODE_AND_MERGE_SLASHES')));
    const result = await execa('haproxy', ['-c', '-f', path], { reject: false });
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/ALERT/);
    expect(result.exitCode).toBe(0);
  });
});

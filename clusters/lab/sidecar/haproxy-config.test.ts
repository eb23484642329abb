import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PATH_NORMALIZATIONS } from '../../../core/domain/profile.ts';
import { applicablePolicies, compilePolicy } from './authorization-policy.ts';
import { PROXY_LUA, renderAuthorization, renderHaproxyConfig, type HaproxyModel } from './haproxy-config.ts';
import { createLabCa, workloadCertificate } from './lab-ca.ts';
import { effectivePeerAuthentication } from './peer-authentication.ts';
import { API_ALLOW_FRONTEND, API_DENY_ADMIN, MESH_STRICT, authorizationPolicy, peerAuthentication } from './test-objects.ts';

const api = { namespace: 'bm-app', labels: { app: 'api' } };

describe('renderAuthorization', () => {
  it('renders DENY first with its rule id, then ALLOW, then [none]', () => {
    const policies = applicablePolicies([API_ALLOW_FRONTEND, API_DENY_ADMIN], api).map((p) => compilePolicy(p, 'http'));
    const lines = renderAuthorization(policies, 'http-request', 'txn.bm_rcd', 'h');
    const deny = lines.findIndex((l) => l.includes('policy[deny-admin]-rule[0]'));
    const allow = lines.findIndex((l) => l.includes('set-var(txn.hallowed) str(ns[bm-app]-policy[api]-rule[0])'));
    const none = lines.findIndex((l) => l.includes('rbac_access_denied_matched_policy[none]'));
    expect(deny).toBeGreaterThan(-1);
    expect(allow).toBeGreaterThan(deny);
    expect(none).toBeGreaterThan(allow);
    expect(lines).toContain('acl hc0 var(txn.bm_npath) -m str /admin');
    expect(lines).toContain('acl hc0 var(txn.bm_npath) -m beg /admin/');
    expect(lines).toContain('acl hc2 var(txn.bm_method) -m str GET');
  });

  it('renders nothing without policies and TRUE for a match-all rule', () => {
    expect(renderAuthorization([], 'http-request', 'txn.x', 'h')).toEqual([]);
    const all = compilePolicy(applicablePolicies([authorizationPolicy('bm-app', 'all', { rules: [{}] })], api)[0]!, 'tcp');
    expect(renderAuthorization([all], 'tcp-request content', 'txn.x', 't')).toContain(
      'tcp-request content set-var(txn.tallowed) str(ns[bm-app]-policy[all]-rule[0]) if TRUE',
    );
  });
});

describe('renderHaproxyConfig is accepted by haproxy -c', () => {
  let dir = '';
  let base: HaproxyModel;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bm-hacfg-'));
    await createLabCa(join(dir, 'ca'));
    const cert = await workloadCertificate(join(dir, 'ca'), 'bm-app', 'api');
    await writeFile(join(dir, 'proxy.lua'), PROXY_LUA);
    await writeFile(join(dir, 'dump.json'), '{}');
    base = {
      pod: 'bm-app/api',
      socketDir: dir,
      generation: 1,
      certBundlePath: cert.bundlePath,
      caPath: cert.caPath,
      luaPath: join(dir, 'proxy.lua'),
      configDumpPath: join(dir, 'dump.json'),
      outbound: { mode: 'ALLOW_ANY', meshMembers: [], registry: [], httpPorts: [8080] },
      inbound: {
        peerAuthentication: { defaultMode: 'PERMISSIVE', ports: new Map() },
        httpPorts: [],
        localPrincipal: 'cluster.local/ns/bm-app/sa/api',
        pathNormalization: 'BASE',
        httpPolicies: [],
        tcpPolicies: [],
      },
    };
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function check(model: HaproxyModel): Promise<string> {
    const config = renderHaproxyConfig(model);
    await writeFile(join(dir, 'haproxy.cfg'), config);
    const result = await execa('haproxy', ['-c', '-f', join(dir, 'haproxy.cfg')], { reject: false });
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/ALERT/);
    expect(result.exitCode).toBe(0);
    return config;
  }

  it('points HAProxy\'s internal HTTP client at the mesh root, so a start does not load the system CA store', async () => {
    const config = await check(base);
    expect(config.split('\n')).toContain(`  httpclient.ssl.ca-file ${base.caPath}`);
    // The line is HAProxy's httpclient setting, in force: the same configuration with that one file missing stops at start.
    const missing = join(dir, 'no-such-root.pem');
    await writeFile(join(dir, 'haproxy.cfg'), config.replace(`  httpclient.ssl.ca-file ${base.caPath}`, `  httpclient.ssl.ca-file ${missing}`));
    const result = await execa('haproxy', ['-c', '-f', join(dir, 'haproxy.cfg')], { reject: false });
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain(`httpclient: cannot initialize: cannot initialize SSL verify with 'ca-file "${missing}"'`);
  });

  it('serves a /config_dump larger than HAProxy\'s default 16 KB buffer (the scene\'s dump outgrew it)', async () => {
    await writeFile(join(dir, 'dump.json'), `"${'x'.repeat(40_000)}"`);
    try {
      await check(base);
    } finally {
      await writeFile(join(dir, 'dump.json'), '{}');
    }
  });

  it('minimal model: no members, PERMISSIVE, no policies', async () => {
    const config = await check(base);
    expect(config).toContain('acl plaintext_refused always_false');
    expect(config).toContain('acl mesh_member always_false');
  });

  it('STRICT mesh with a PERMISSIVE port, DISABLE port, REGISTRY_ONLY and scene policies', async () => {
    const objects = [
      MESH_STRICT,
      peerAuthentication('bm-app', 'api', {
        selector: { matchLabels: { app: 'api' } },
        portLevelMtls: { '9090': { mode: 'PERMISSIVE' }, '9091': { mode: 'DISABLE' } },
      }),
      API_ALLOW_FRONTEND,
      API_DENY_ADMIN,
    ];
    const policies = applicablePolicies(objects, api);
    const config = await check({
      ...base,
      outbound: { mode: 'REGISTRY_ONLY', meshMembers: ['10.0.0.2'], registry: ['10.0.0.3'], httpPorts: [8080] },
      inbound: {
        peerAuthentication: effectivePeerAuthentication(objects, api),
        httpPorts: [8080, 9090],
        localPrincipal: 'cluster.local/ns/bm-app/sa/api',
        pathNormalization: 'DECODE_AND_MERGE_SLASHES',
        httpPolicies: policies.map((p) => compilePolicy(p, 'http')),
        tcpPolicies: policies.map((p) => compilePolicy(p, 'tcp')),
      },
    });
    expect(config).toContain('acl plaintext_open dst_port 9090');
    expect(config).toContain('acl mtls_disabled dst_port 9091');
    expect(config).toContain('use_backend BlackHoleCluster-http if !in_registry http_port');
    expect(config).toContain('acl in_registry dst 10.0.0.3 10.0.0.2');
  });

  it.each(PATH_NORMALIZATIONS)('pathNormalization %s: accepted, and its steps are rendered in order', async (mode) => {
    const config = await check({ ...base, inbound: { ...base.inbound, pathNormalization: mode } });
    expect(config).toContain(`# meshConfig.pathNormalization: ${mode}`);
    const decode = config.indexOf('regsub(%2[Ff],/,g)');
    const unreserved = config.indexOf('normalize-uri percent-decode-unreserved');
    const merge = config.indexOf('normalize-uri path-merge-slashes');
    // Escaped slashes are decoded before the unreserved escapes (once, no double decoding), merging comes last.
    expect(decode > -1).toBe(mode === 'DECODE_AND_MERGE_SLASHES');
    if (decode > -1) expect(decode).toBeLessThan(unreserved);
    expect(merge > -1).toBe(mode === 'MERGE_SLASHES' || mode === 'DECODE_AND_MERGE_SLASHES');
    if (merge > -1) expect(merge).toBeGreaterThan(unreserved);
    expect(unreserved > -1).toBe(mode !== 'NONE');
    expect(config).toContain('http-request set-var(txn.bm_rcd) str(path_normalization_failed) if { path -m sub %00 }');
  });

  it('DISABLE by default with one STRICT port', async () => {
    const config = await check({
      ...base,
      inbound: { ...base.inbound, peerAuthentication: { defaultMode: 'DISABLE', ports: new Map([[8080, 'STRICT' as const]]) } },
    });
    expect(config).toContain('acl mtls_disabled_not dst_port 8080');
    expect(config).toContain('acl plaintext_refused dst_port 8080');
  });
});

import { join } from 'node:path';
import { TIMEOUTS } from '../../../core/timeouts.ts';
import { SCENE } from '../../../manifests/scene.ts';
import type { PathNormalization } from '../../../core/domain/profile.ts';
import type { CompiledPolicy, Condition, Term } from './authorization-policy.ts';
import { ENVOY_HTTP1_METHODS, normalizationSteps, type PathStep } from './path-normalization.ts';
import type { EffectivePeerAuthentication, EffectiveMtlsMode } from './peer-authentication.ts';
import { renderForwardedHeaders } from './forwarded-headers.ts';
import { PROXY_IDLE_MS, PROXY_PROTOCOL_SNIFF_MS } from './timeouts.ts';

/**
 * The lab sidecar's HAProxy configuration as a typed model, and its rendering. Listeners mirror Envoy's:
 * 15001 outbound (captured app traffic, forwarded to the original destination), 15006 inbound (captured
 * traffic to the pod: PeerAuthentication, then AuthorizationPolicy, then 127.0.0.1:<port>), 15000 admin on
 * loopback, 15090/15021/15020 stats, health and agent (never captured). The inbound path is split in two
 * hops: 15006 sniffs for a TLS ClientHello and hands the connection, with its original addresses in a
 * PROXY v2 header, to a TLS or a plaintext unix-socket bind of one decision frontend.
 */

export interface HaproxyModel {
  /** `namespace/name`, written into every log line. */
  readonly pod: string;
  /** Directory for the proxy's unix sockets: the only one the proxy user may write (root writes nothing there). */
  readonly socketDir: string;
  /** Bumped on each reload so the new process binds fresh unix sockets next to the old one's. */
  readonly generation: number;
  readonly certBundlePath: string;
  readonly caPath: string;
  readonly luaPath: string;
  readonly configDumpPath: string;
  readonly outbound: {
    readonly mode: 'ALLOW_ANY' | 'REGISTRY_ONLY';
    /** Destinations that get mTLS from this proxy (mesh members with a sidecar). */
    readonly meshMembers: readonly string[];
    /** Destinations in the lab's registry (pods of the lab); REGISTRY_ONLY lets only these through. */
    readonly registry: readonly string[];
    /** Destination ports answered with HTTP 502 (rather than a close) when blackholed. */
    readonly httpPorts: readonly number[];
  };
  readonly inbound: {
    readonly peerAuthentication: EffectivePeerAuthentication;
    readonly httpPorts: readonly number[];
    /** This sidecar's own principal, `cluster.local/ns/N/sa/S`: the `By=` of the XFCC it writes (forwarded-headers.ts). */
    readonly localPrincipal: string;
    /** `meshConfig.pathNormalization`: how paths are normalised before `paths` match (path-normalization.ts). */
    readonly pathNormalization: PathNormalization;
    readonly httpPolicies: readonly CompiledPolicy[];
    readonly tcpPolicies: readonly CompiledPolicy[];
  };
}

/** Log line fields; the parser in core/evidence/lab-proxy-log.ts reads exactly these. */
export const ACCESS_LOG_FIELDS = [
  'start_time_ms',
  'pod',
  'direction',
  'protocol',
  'src',
  'dst',
  'peer_principal',
  'method',
  'path',
  'status',
  'bytes_received',
  'bytes_sent',
  'termination_state',
  'upstream_cluster',
  'response_code_details',
  'connection_termination_details',
] as const;

export function logFormat(pod: string): string {
  const v = (name: string): string => `%[var(${name}),json(utf8s)]`;
  const fields: Record<(typeof ACCESS_LOG_FIELDS)[number], string> = {
    start_time_ms: '%Ts%ms',
    pod: `"${pod}"`,
    direction: `"${v('sess.bm_dir')}"`,
    protocol: `"${v('txn.bm_proto')}"`,
    src: '"%ci:%cp"',
    dst: '"%[dst]:%[dst_port]"',
    peer_principal: `"${v('sess.bm_principal')}"`,
    method: `"${v('txn.bm_method')}"`,
    path: `"${v('txn.bm_path')}"`,
    status: '%ST',
    bytes_received: '%U',
    bytes_sent: '%B',
    termination_state: '"%ts"',
    upstream_cluster: `"${v('txn.bm_cluster')}"`,
    response_code_details: `"${v('txn.bm_rcd')}"`,
    connection_termination_details: `"${v('txn.bm_ctd')}"`,
  };
  const body = Object.entries(fields)
    .map(([key, value]) => `"${key}":${value}`)
    .join(',');
  // HAProxy's log-format needs spaces escaped; the JSON itself has none.
  return `log-format '{${body}}'`;
}

const ms = (value: number): string => `${value}ms`;

/** HAProxy's per-stream buffer: large enough for the admin port's /config_dump (see renderHaproxyConfig). */
export const PROXY_BUFFER_BYTES = 65_536;

function socketPath(model: HaproxyModel, kind: 'tls' | 'plain' | 'http'): string {
  return join(model.socketDir, `g${model.generation}-${kind}.sock`);
}

/** Where each string field is read; methods come from the request line as sent (HAProxy's `method` fetch folds unknown ones). */
const STRING_FETCH = {
  principal: 'var(sess.bm_principal)',
  namespace: 'var(sess.bm_ns)',
  method: 'var(txn.bm_method)',
  path: 'var(txn.bm_npath)',
  // `:authority` is the Host header in HTTP/1.1; `-i` below: Istio matches hosts ignoring case.
  host: 'req.hdr(host)',
} as const;

/**
 * HAProxy lines for one normalisation step of path-normalization.ts, in HTTP mode on `path` (query untouched).
 * `reject-nul` is a 400 `path_normalization_failed`, as Envoy answers when `canonicalPath` fails.
 */
function pathStepLines(step: PathStep): string[] {
  switch (step) {
    case 'fragment-strip':
      return ['http-request normalize-uri fragment-strip'];
    case 'reject-nul':
      return [
        'http-request set-var(txn.bm_rcd) str(path_normalization_failed) if { path -m sub %00 }',
        'http-request return status 400 content-type text/plain string "Bad Request" if { var(txn.bm_rcd) -m found }',
      ];
    case 'decode-escaped-slashes':
      // %5C decodes to a backslash, which the next step turns into a slash: one substitution does both.
      return ['http-request set-path %[path,regsub(%2[Ff],/,g)]', 'http-request set-path %[path,regsub(%5[Cc],/,g)]'];
    case 'backslash-to-slash':
      // The file holds \\x5c; the configuration parser halves it to the regex \x5c, a backslash.
      return ['http-request set-path %[path,regsub("\\\\x5c",/,g)]'];
    case 'percent-decode-unreserved':
      return ['http-request normalize-uri percent-decode-unreserved'];
    case 'remove-dot-segments':
      return ['http-request normalize-uri path-strip-dot', 'http-request normalize-uri path-strip-dotdot full'];
    case 'merge-slashes':
      return ['http-request normalize-uri path-merge-slashes'];
  }
}

/** The request checks Envoy's codec makes before any filter, then the mode's normalisation. */
export function renderRequestNormalization(mode: PathNormalization): string[] {
  return [
    // Envoy's HTTP/1 codec refuses any other method with a 400 http1.codec_error (path-normalization.ts).
    `acl envoy_method var(txn.bm_method) -m str ${ENVOY_HTTP1_METHODS.join(' ')}`,
    'http-request set-var(txn.bm_rcd) str(http1.codec_error) if !envoy_method',
    'http-request return status 400 content-type text/plain string "Bad Request" if { var(txn.bm_rcd) -m found }',
    ...normalizationSteps(mode).flatMap(pathStepLines),
  ];
}

/**
 * An HTTP frontend fed by a hop that sent PROXY v2 (the sidecar's inbound TLS/plain split, the waypoint's HBONE
 * terminator): the peer principal arrives in the unique-id TLV. Fragments reach the normaliser (stripped there)
 * instead of a 400 from the parser.
 */
export const PROXIED_HTTP_FRONTEND_LINES: readonly string[] = [
  'option accept-invalid-http-request',
  'http-request set-var(sess.bm_dir) str(inbound)',
  'http-request set-var(sess.bm_principal) fc_pp_unique_id if { fc_pp_unique_id -m len gt 0 }',
  'http-request set-var(sess.bm_ns) var(sess.bm_principal),field(3,/) if { var(sess.bm_principal) -m found }',
];

/**
 * Envoy's HTTP decision as one backend, shared by the sidecar's inbound and the waypoint: the codec's 400s, the
 * mode's path normalisation, then `authorization` (renderAuthorization lines setting `txn.bm_rcd`) answered with
 * Envoy's 403 `RBAC: access denied`; what passes goes to `server`.
 */
export function renderHttpDecisionBackend(input: {
  readonly name: string;
  readonly cluster: string;
  readonly pathNormalization: PathNormalization;
  readonly authorization: readonly string[];
  /** Lines for what passed authorization, before it goes upstream (request headers the proxy sets). */
  readonly afterAuthorization?: readonly string[];
  readonly server: string;
}): string[] {
  return [
    `backend ${input.name}`,
    '  mode http',
    '  http-request set-var(txn.bm_proto) str(http)',
    `  http-request set-var(txn.bm_cluster) str(${input.cluster})`,
    '  http-request set-var(txn.bm_method) capture.req.method',
    '  http-request set-var(txn.bm_path) pathq',
    `  # meshConfig.pathNormalization: ${input.pathNormalization}`,
    ...renderRequestNormalization(input.pathNormalization).map((line) => `  ${line}`),
    '  http-request set-var(txn.bm_npath) path',
    ...input.authorization.map((line) => `  ${line}`),
    '  http-request return status 403 content-type text/plain string "RBAC: access denied" if { var(txn.bm_rcd) -m found }',
    ...(input.afterAuthorization ?? []).map((line) => `  ${line}`),
    '  http-response set-var(txn.bm_rcd) str(via_upstream)',
    `  ${input.server}`,
  ];
}

/** A named ACL line set for one condition: one line per match method, same name = OR. */
function conditionAcls(name: string, condition: Condition): string[] {
  switch (condition.field) {
    case 'port':
      return [`acl ${name} dst_port ${condition.patterns.join(' ')}`];
    case 'principal':
    case 'namespace':
    case 'method':
    case 'path':
    case 'host': {
      const fetch = `${STRING_FETCH[condition.field]}${condition.field === 'host' ? ' -i' : ''}`;
      const exact: string[] = [];
      const prefix: string[] = [];
      const suffix: string[] = [];
      let presence = false;
      for (const pattern of condition.patterns) {
        if (pattern === '*') presence = true;
        else if (pattern.startsWith('*')) suffix.push(pattern.slice(1));
        else if (pattern.endsWith('*')) prefix.push(pattern.slice(0, -1));
        else exact.push(pattern);
      }
      const lines: string[] = [];
      if (exact.length > 0) lines.push(`acl ${name} ${fetch} -m str ${exact.join(' ')}`);
      if (prefix.length > 0) lines.push(`acl ${name} ${fetch} -m beg ${prefix.join(' ')}`);
      if (suffix.length > 0) lines.push(`acl ${name} ${fetch} -m end ${suffix.join(' ')}`);
      if (presence) lines.push(`acl ${name} ${fetch} -m len gt 0`);
      return lines;
    }
  }
}

/**
 * HAProxy lines enforcing compiled policies: DENY rules first (the first matching rule names itself in
 * `detailsVar`), then ALLOW, then `[none]` when ALLOW policies exist and none matched. `keyword` is
 * `http-request` or `tcp-request content`; `guard` is prepended to every condition.
 */
export function renderAuthorization(
  policies: readonly CompiledPolicy[],
  keyword: 'http-request' | 'tcp-request content',
  detailsVar: string,
  prefix: string,
  guard = '',
): string[] {
  const acls: string[] = [];
  const actions: string[] = [];
  let counter = 0;
  const termCondition = (term: Term): string => {
    if (term.length === 0) return 'TRUE';
    return term
      .map((condition) => {
        const name = `${prefix}c${counter++}`;
        acls.push(...conditionAcls(name, condition));
        return `${condition.negate ? '!' : ''}${name}`;
      })
      .join(' ');
  };
  const unset = `!{ var(${detailsVar}) -m found }`;
  const g = guard === '' ? '' : `${guard} `;
  for (const policy of policies.filter((p) => p.action === 'DENY')) {
    for (const rule of policy.rules) {
      for (const term of rule.terms) {
        actions.push(
          `${keyword} set-var(${detailsVar}) str(rbac_access_denied_matched_policy[${rule.id}]) if ${g}${unset} ${termCondition(term)}`,
        );
      }
    }
  }
  const allows = policies.filter((p) => p.action === 'ALLOW');
  if (allows.length > 0) {
    const allowedVar = `txn.${prefix}allowed`;
    for (const policy of allows) {
      for (const rule of policy.rules) {
        for (const term of rule.terms) {
          actions.push(`${keyword} set-var(${allowedVar}) str(${rule.id}) if ${g}${termCondition(term)}`);
        }
      }
    }
    actions.push(
      `${keyword} set-var(${detailsVar}) str(rbac_access_denied_matched_policy[none]) if ${g}${unset} !{ var(${allowedVar}) -m found }`,
    );
  }
  return [...acls, ...actions];
}

/** Ports whose plaintext is refused, expressed against the default mode. */
function plaintextRefusal(pa: EffectivePeerAuthentication): string[] {
  const portsWith = (predicate: (mode: EffectiveMtlsMode) => boolean): number[] =>
    [...pa.ports.entries()].filter(([, mode]) => predicate(mode)).map(([port]) => port);
  if (pa.defaultMode === 'STRICT') {
    const open = portsWith((mode) => mode !== 'STRICT');
    return open.length === 0 ? ['acl plaintext_refused always_true'] : [`acl plaintext_refused dst_port 1:65535`, ...open.map((p) => `acl plaintext_open dst_port ${p}`)];
  }
  const strict = portsWith((mode) => mode === 'STRICT');
  return strict.length === 0 ? ['acl plaintext_refused always_false'] : [`acl plaintext_refused dst_port ${strict.join(' ')}`];
}

function disabledPorts(pa: EffectivePeerAuthentication): string {
  if (pa.defaultMode === 'DISABLE') {
    const notDisabled = [...pa.ports.entries()].filter(([, m]) => m !== 'DISABLE').map(([p]) => p);
    return notDisabled.length === 0 ? 'acl mtls_disabled always_true' : `acl mtls_disabled_not dst_port ${notDisabled.join(' ')}`;
  }
  const disabled = [...pa.ports.entries()].filter(([, m]) => m === 'DISABLE').map(([p]) => p);
  return disabled.length === 0 ? 'acl mtls_disabled always_false' : `acl mtls_disabled dst_port ${disabled.join(' ')}`;
}

function listOrNever(name: string, fetch: string, values: readonly (string | number)[]): string {
  return values.length === 0 ? `acl ${name} always_false` : `acl ${name} ${fetch} ${values.join(' ')}`;
}

export function renderHaproxyConfig(model: HaproxyModel): string {
  const pa = model.inbound.peerAuthentication;
  const refusal = plaintextRefusal(pa);
  const refusedCondition = refusal.some((line) => line.includes('plaintext_open')) ? 'plaintext_refused !plaintext_open' : 'plaintext_refused';
  const disabled = disabledPorts(pa);
  const disabledCondition = disabled.includes('mtls_disabled_not') ? '!mtls_disabled_not' : 'mtls_disabled';
  const connect = ms(TIMEOUTS.connectSeconds * 1000);

  const lines: string[] = [
    '# generated by breachmatrix clusters/lab/sidecar/haproxy-config.ts',
    'global',
    '  log stdout format raw local0 info',
    '  nbthread 1',
    // `http-request return … file` holds /config_dump in one buffer: the default 16 KB is outgrown by the scene's
    // policies (the dump carries this whole configuration), and HAProxy then refuses to start.
    `  tune.bufsize ${PROXY_BUFFER_BYTES}`,
    // normalize-uri is still flagged experimental in 2.6.
    '  expose-experimental-directives',
    `  lua-load ${model.luaPath}`,
    // HAProxy's internal HTTP client (unused here) otherwise loads the whole system CA store at every start
    // (httpclient.ssl.ca-file defaults to @system-ca): ~24 of the ~38 CPU-ms a start costs, with ~250 starts a run.
    // Pointing it at the mesh root keeps verification on and trusts only the lab's CA.
    // https://docs.haproxy.org/2.6/configuration.html#httpclient.ssl.ca-file
    `  httpclient.ssl.ca-file ${model.caPath}`,
    '',
    'defaults',
    `  timeout connect ${connect}`,
    `  timeout client ${ms(PROXY_IDLE_MS)}`,
    `  timeout server ${ms(PROXY_IDLE_MS)}`,
    `  timeout tunnel ${ms(PROXY_IDLE_MS)}`,
    '',
    '# Envoy virtualOutbound: every captured outbound TCP connection.',
    'frontend outbound',
    '  mode tcp',
    `  bind 0.0.0.0:${SCENE.envoy.outbound}`,
    // Only the two deciding frontends log: the file is the access log, not HAProxy's own diary.
    '  log global',
    `  ${logFormat(model.pod)}`,
    '  tcp-request content set-var(sess.bm_dir) str(outbound)',
    '  tcp-request content set-var(txn.bm_proto) str(tcp)',
    `  ${listOrNever('mesh_member', 'dst', model.outbound.meshMembers)}`,
    `  ${listOrNever('in_registry', 'dst', [...new Set([...model.outbound.registry, ...model.outbound.meshMembers])])}`,
    `  ${listOrNever('http_port', 'dst_port', model.outbound.httpPorts)}`,
    '  use_backend outbound_mtls if mesh_member',
    ...(model.outbound.mode === 'REGISTRY_ONLY'
      ? ['  use_backend BlackHoleCluster-http if !in_registry http_port', '  use_backend BlackHoleCluster if !in_registry']
      : []),
    '  default_backend PassthroughCluster',
    '',
    'backend outbound_mtls',
    '  mode tcp',
    '  tcp-request content set-var(txn.bm_cluster) str(outbound)',
    '  tcp-request content set-var(txn.bm_ctd) str(via_upstream)',
    // Same original destination and port; the peer's sidecar captures it and terminates mTLS.
    `  server peer 0.0.0.0 ssl crt ${model.certBundlePath} ca-file ${model.caPath} verify required`,
    '',
    'backend PassthroughCluster',
    '  mode tcp',
    '  tcp-request content set-var(txn.bm_cluster) str(PassthroughCluster)',
    '  tcp-request content set-var(txn.bm_ctd) str(PassthroughCluster)',
    '  server original_dst 0.0.0.0:0',
    '',
    'backend BlackHoleCluster',
    '  mode tcp',
    '  tcp-request content set-var(txn.bm_cluster) str(BlackHoleCluster)',
    '  tcp-request content set-var(txn.bm_ctd) str(BlackHoleCluster)',
    '',
    'backend BlackHoleCluster-http',
    '  mode http',
    '  http-request set-var(txn.bm_proto) str(http)',
    '  http-request set-var(txn.bm_cluster) str(BlackHoleCluster)',
    '  http-request set-var(txn.bm_rcd) str(BlackHoleCluster)',
    '  http-request set-var(txn.bm_method) method',
    '  http-request set-var(txn.bm_path) pathq',
    '  http-request return status 502 content-type text/plain string "no healthy upstream"',
    '',
    '# Envoy virtualInbound, hop 1: TLS or plaintext? (the TLS inspector)',
    'frontend inbound_capture',
    '  mode tcp',
    `  bind 0.0.0.0:${SCENE.envoy.inbound}`,
    '  no log',
    `  tcp-request inspect-delay ${ms(PROXY_PROTOCOL_SNIFF_MS)}`,
    '  tcp-request content accept if { req.ssl_hello_type 1 }',
    '  tcp-request content accept if { req.len gt 0 }',
    `  ${disabled}`,
    `  use_backend hop_tls if { req.ssl_hello_type 1 } !${disabledCondition}`,
    '  default_backend hop_plain',
    '',
    'backend hop_tls',
    '  mode tcp',
    `  server decide unix@${socketPath(model, 'tls')} send-proxy-v2`,
    '',
    'backend hop_plain',
    '  mode tcp',
    `  server decide unix@${socketPath(model, 'plain')} send-proxy-v2`,
    '',
    '# Envoy virtualInbound, hop 2: PeerAuthentication, then HTTP or TCP authorization.',
    'frontend inbound',
    '  mode tcp',
    `  bind unix@${socketPath(model, 'tls')} accept-proxy ssl crt ${model.certBundlePath} ca-file ${model.caPath} verify required`,
    `  bind unix@${socketPath(model, 'plain')} accept-proxy`,
    '  log global',
    `  ${logFormat(model.pod)}`,
    '  tcp-request content set-var(sess.bm_dir) str(inbound)',
    '  tcp-request content set-var(txn.bm_proto) str(tcp)',
    '  tcp-request content set-var(sess.bm_principal) lua.bm_principal if { ssl_fc }',
    '  tcp-request content set-var(sess.bm_ns) lua.bm_principal_ns if { ssl_fc }',
    ...refusal.map((line) => `  ${line}`),
    `  ${listOrNever('http_port', 'dst_port', model.inbound.httpPorts)}`,
    `  tcp-request content set-var(txn.bm_ctd) str(filter_chain_not_found) if !{ ssl_fc } ${refusedCondition}`,
    `  use_backend filter_chain_not_found if !{ ssl_fc } ${refusedCondition}`,
    // HTTP goes one hop further to an HTTP-mode frontend (HAProxy only relaxes URI parsing there); the
    // peer principal travels in the PROXY v2 unique-id TLV, and that frontend writes the log line.
    '  unique-id-format %[var(sess.bm_principal)]',
    '  tcp-request content set-log-level silent if http_port !{ var(txn.bm_ctd) -m found }',
    '  use_backend hop_http if http_port',
    ...renderAuthorization(model.inbound.tcpPolicies, 'tcp-request content', 'txn.bm_ctd', 'tcp', '!http_port').map((l) => `  ${l}`),
    '  use_backend rbac_denied if { var(txn.bm_ctd) -m found }',
    '  default_backend inbound_tcp',
    '',
    'backend filter_chain_not_found',
    '  mode tcp',
    '',
    'backend rbac_denied',
    '  mode tcp',
    '',
    'backend inbound_tcp',
    '  mode tcp',
    '  tcp-request content set-var(txn.bm_cluster) str(inbound)',
    '  tcp-request content set-var(txn.bm_ctd) str(via_upstream)',
    '  server app 127.0.0.1',
    '',
    'backend hop_http',
    '  mode tcp',
    `  server decide unix@${socketPath(model, 'http')} send-proxy-v2 proxy-v2-options unique-id`,
    '',
    'frontend inbound_http',
    '  mode http',
    `  bind unix@${socketPath(model, 'http')} accept-proxy`,
    '  log global',
    `  ${logFormat(model.pod)}`,
    ...PROXIED_HTTP_FRONTEND_LINES.map((line) => `  ${line}`),
    '  default_backend inbound_http',
    '',
    ...renderHttpDecisionBackend({
      name: 'inbound_http',
      cluster: 'inbound',
      pathNormalization: model.inbound.pathNormalization,
      authorization: renderAuthorization(model.inbound.httpPolicies, 'http-request', 'txn.bm_rcd', 'http'),
      afterAuthorization: renderForwardedHeaders(model.inbound.localPrincipal, 'sess.bm_principal'),
      server: 'server app 127.0.0.1',
    }),
    '',
    '# Envoy admin: loopback only, no authentication (SC6).',
    'frontend admin',
    '  mode http',
    `  bind 127.0.0.1:${SCENE.envoy.admin}`,
    '  no log',
    '  http-request use-service lua.bm_quit if METH_POST { path /quitquitquit }',
    `  http-request return status 200 content-type application/json file ${model.configDumpPath} if { path /config_dump }`,
    '  http-request return status 200 content-type text/plain string "LIVE" if { path /server_info /ready }',
    '  http-request return status 404 content-type text/plain string "invalid path"',
    '',
    '# Stats, health and agent ports: excluded from capture, no authorization (SC7).',
    'frontend stats',
    '  mode http',
    `  bind 0.0.0.0:${SCENE.envoy.stats}`,
    `  bind 0.0.0.0:${SCENE.envoy.health}`,
    `  bind 0.0.0.0:${SCENE.envoy.agent}`,
    '  no log',
    '  http-request use-service prometheus-exporter if { path /stats/prometheus /metrics }',
    '  http-request return status 200 content-type text/plain string "ok" if { path /healthz/ready /app-health }',
    '  http-request return status 404 content-type text/plain string "not found"',
    '',
  ];
  return lines.join('\n');
}

/**
 * Lua helpers: the peer principal from the client certificate's SPIFFE URI SAN (HAProxy 2.6 has no fetch
 * for SANs; the certificate is already verified against the lab CA), and Envoy's POST /quitquitquit.
 */
export const PROXY_LUA = `-- generated by breachmatrix clusters/lab/sidecar/haproxy-config.ts
local function spiffe(txn)
  local der = txn.f:ssl_c_der()
  if der == nil or der == "" then return nil end
  local at = string.find(der, "spiffe://", 1, true)
  if at == nil or at < 3 then return nil end
  local len = string.byte(der, at - 1)
  -- a URI SAN is [0x86, short length, bytes]
  if string.byte(der, at - 2) ~= 0x86 or len >= 128 then return nil end
  return string.sub(der, at + 9, at + len - 1)
end
core.register_fetches("bm_principal", function(txn) return spiffe(txn) end)
core.register_fetches("bm_principal_ns", function(txn)
  local principal = spiffe(txn)
  if principal == nil then return nil end
  return string.match(principal, "^[^/]+/ns/([^/]+)/sa/")
end)
local quitting = false
core.register_service("bm_quit", "http", function(applet)
  applet:set_status(200)
  applet:add_header("content-type", "text/plain")
  applet:add_header("content-length", "3")
  applet:start_response()
  applet:send("OK\\n")
  quitting = true
end)
core.register_task(function()
  while true do
    core.msleep(50)
    if quitting then
      core.msleep(100)
      os.exit(0)
    end
  end
end)
`;

import type { PathNormalization } from '../../../core/domain/profile.ts';

/**
 * How the lab sidecar turns a request target into the path AuthorizationPolicy `paths` are matched against, per
 * Istio `meshConfig.pathNormalization`, and which targets it refuses with HTTP 400 before any policy runs.
 *
 * Sources (each step cites where it comes from):
 * - https://istio.io/latest/docs/reference/config/security/normalization/ — the per-mode table: `%00` always 400;
 *   unreserved escapes (`%2d %2e %30-%39 %41-%5a %5f %61-%7a %7e`), `\` → `/` and `.`/`..` segments from `BASE` on;
 *   `//` merged from `MERGE_SLASHES` on; `%2f`/`%5c` decoded only in `DECODE_AND_MERGE_SLASHES`; decoding happens
 *   once (no double decoding); the query is ignored for matching.
 * - https://istio.io/latest/docs/ops/best-practices/security/#understand-path-normalization-in-authorization-policy —
 *   the order: escaped slashes first, then Envoy's `normalize_path` (RFC 3986), then merge slashes.
 * - envoyproxy/envoy source/common/http/conn_manager_utility.cc (`maybeNormalizePath`): the fragment is stripped
 *   first (Istio sets `http_reject_path_with_fragment: false`, istio/istio pkg/bootstrap/config.go), then
 *   `unescapeSlashes`, then `canonicalPath` (a failure, e.g. `%00`, is a 400 `path_normalization_failed`), then
 *   `mergeSlashes` (source/common/http/path_utility.cc).
 * Matching stays case-sensitive: `/ADMIN` is not `/admin`.
 */
export type PathStep =
  | 'fragment-strip'
  | 'reject-nul'
  | 'decode-escaped-slashes'
  | 'backslash-to-slash'
  | 'percent-decode-unreserved'
  | 'remove-dot-segments'
  | 'merge-slashes';

/** The steps of one mode, in the order Envoy applies them; the HAProxy renderer walks the same list. */
export function normalizationSteps(mode: PathNormalization): readonly PathStep[] {
  const steps: PathStep[] = ['fragment-strip', 'reject-nul'];
  if (mode === 'NONE') return steps;
  if (mode === 'DECODE_AND_MERGE_SLASHES') steps.push('decode-escaped-slashes');
  steps.push('backslash-to-slash', 'percent-decode-unreserved', 'remove-dot-segments');
  if (mode !== 'BASE') steps.push('merge-slashes');
  return steps;
}

export type NormalizedPath =
  | { readonly ok: true; readonly path: string }
  | { readonly ok: false; readonly status: 400; readonly details: 'path_normalization_failed' };

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/** One left-to-right pass: an escape that decodes to an unreserved character is replaced, nothing is rescanned. */
function decodeUnreserved(path: string): string {
  return path.replace(/%([0-9A-Fa-f]{2})/g, (escape: string, hex: string) => {
    const character = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(character) ? character : escape;
  });
}

function removeDotSegments(path: string): string {
  const output: string[] = [];
  const segments = path.split('/');
  for (const [index, segment] of segments.entries()) {
    if (segment === '.') {
      if (index === segments.length - 1) output.push('');
      continue;
    }
    if (segment === '..') {
      if (output.length > 1) output.pop();
      if (index === segments.length - 1) output.push('');
      continue;
    }
    output.push(segment);
  }
  const joined = output.join('/');
  return joined.startsWith('/') ? joined : `/${joined}`;
}

function applyStep(step: Exclude<PathStep, 'fragment-strip' | 'reject-nul'>, path: string): string {
  switch (step) {
    case 'decode-escaped-slashes':
      return path.replace(/%2[Ff]/g, '/').replace(/%5[Cc]/g, '\\');
    case 'backslash-to-slash':
      return path.replaceAll('\\', '/');
    case 'percent-decode-unreserved':
      return decodeUnreserved(path);
    case 'remove-dot-segments':
      return removeDotSegments(path);
    case 'merge-slashes':
      return path.replace(/\/{2,}/g, '/');
  }
}

/** The path part of a request target (no query, no fragment), normalised under `mode`, or the 400 Envoy answers. */
export function normalizePath(target: string, mode: PathNormalization): NormalizedPath {
  let path = target;
  for (const step of normalizationSteps(mode)) {
    if (step === 'fragment-strip') {
      path = (path.split('#')[0] ?? '').split('?')[0] ?? '';
    } else if (step === 'reject-nul') {
      if (path.includes('%00')) return { ok: false, status: 400, details: 'path_normalization_failed' };
    } else {
      path = applyStep(step, path);
    }
  }
  return { ok: true, path };
}

/**
 * Methods Envoy's HTTP/1 codec accepts (envoyproxy/envoy source/common/http/http1/balsa_parser.cc, `isMethodValid`,
 * without `allow_custom_methods`, which Istio does not set); anything else — `get`, `Get`, `FOO` — is a 400
 * `http1.codec_error` before any filter runs. istio.io's normalization page states the upper-case rule.
 */
export const ENVOY_HTTP1_METHODS = [
  'ACL', 'BIND', 'CHECKOUT', 'CONNECT', 'COPY', 'DELETE', 'GET', 'HEAD', 'LINK', 'LOCK', 'MERGE', 'MKACTIVITY',
  'MKCALENDAR', 'MKCOL', 'MOVE', 'MSEARCH', 'NOTIFY', 'OPTIONS', 'PATCH', 'POST', 'PROPFIND', 'PROPPATCH', 'PURGE',
  'PUT', 'REBIND', 'REPORT', 'SEARCH', 'SOURCE', 'SUBSCRIBE', 'TRACE', 'UNBIND', 'UNLINK', 'UNLOCK', 'UNSUBSCRIBE',
] as const;

export function isEnvoyHttp1Method(method: string): boolean {
  return (ENVOY_HTTP1_METHODS as readonly string[]).includes(method);
}

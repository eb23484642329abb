/**
 * How the lab sidecar normalises an HTTP path before AuthorizationPolicy `paths` are matched, modelling a
 * patched Envoy under Istio's `meshConfig.pathNormalization: DECODE_AND_MERGE_SLASHES` (the fixes for
 * CVE-2021-31920 and CVE-2021-39156): the fragment is dropped, unreserved percent-escapes are decoded
 * (RFC 3986), `%2F`/`%2f` become `/`, repeated slashes merge, `.` and `..` segments are resolved. Matching
 * stays case-sensitive, so `/ADMIN` is a different path from `/admin` (Istio documents exactly that).
 * The HAProxy renderer applies the same steps in the same order (haproxy-config.ts).
 */
export const PATH_NORMALIZATION_STEPS = [
  'fragment-strip',
  'percent-decode-unreserved',
  'decode-escaped-slashes',
  'merge-slashes',
  'remove-dot-segments',
] as const;

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

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

/** The path part of a request target (no query), normalised as described above. */
export function normalizePath(target: string): string {
  let path = target.split('#')[0] ?? '';
  path = path.split('?')[0] ?? '';
  path = decodeUnreserved(path);
  path = path.replace(/%2[Ff]/g, '/');
  path = path.replace(/\/{2,}/g, '/');
  return removeDotSegments(path);
}

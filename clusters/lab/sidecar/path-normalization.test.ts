import { describe, expect, it } from 'vitest';
import { PATH_NORMALIZATIONS, type PathNormalization } from '../../../core/domain/profile.ts';
import { isEnvoyHttp1Method, normalizationSteps, normalizePath } from './path-normalization.ts';

function path(target: string, mode: PathNormalization): string {
  const result = normalizePath(target, mode);
  if (!result.ok) throw new Error(`${target} was refused under ${mode}`);
  return result.path;
}

describe('normalizePath per meshConfig.pathNormalization', () => {
  // https://istio.io/latest/docs/reference/config/security/normalization/ — the examples of each section.
  it.each([
    // §1: "/some%2fdata/%61%62%63" → "/some/data/abc" (the %2f part needs DECODE_AND_MERGE_SLASHES).
    ['/some%2fdata/%61%62%63', '/some%2fdata/abc', '/some%2fdata/abc', '/some/data/abc'],
    // §2: backslash → slash, from BASE on.
    ['/some\\data', '/some/data', '/some/data', '/some/data'],
    // §3: multiple slashes merged, from MERGE_SLASHES on.
    ['/some//data///abc', '/some//data///abc', '/some/data/abc', '/some/data/abc'],
    // §4: dot segments, from BASE on.
    ['/public/./data/abc/../xyz', '/public/data/xyz', '/public/data/xyz', '/public/data/xyz'],
    // §5: the query is not part of the matched path.
    ['/foo?v=1', '/foo', '/foo', '/foo'],
  ])('%s → BASE %s, MERGE_SLASHES %s, DECODE_AND_MERGE_SLASHES %s', (target, base, merge, decode) => {
    expect(path(target, 'BASE')).toBe(base);
    expect(path(target, 'MERGE_SLASHES')).toBe(merge);
    expect(path(target, 'DECODE_AND_MERGE_SLASHES')).toBe(decode);
  });

  // §1 table: %2d %2e %30-%39 %41-%5a %5f %61-%7a %7e decode under BASE; %2f and %5c only in DECODE_AND_MERGE_SLASHES.
  it('decodes exactly the unreserved escapes under BASE, case-insensitive hex', () => {
    expect(path('/%2d%2E%30%39%41%5a%5F%61%7A%7e', 'BASE')).toBe('/-.09AZ_az~');
    expect(path('/a%2Fb%5cc%3Fd%25e', 'BASE')).toBe('/a%2Fb%5cc%3Fd%25e');
  });

  // "normalization happens only once, no double decoding" (§1); Envoy decodes slashes before normalize_path
  // (istio.io best practices, Envoy conn_manager_utility.cc maybeNormalizePath), so %2%46 becomes %2F and stays.
  it('decodes once: %2%46 stays %2F in every mode, %252F stays %252F', () => {
    for (const mode of PATH_NORMALIZATIONS.filter((m) => m !== 'NONE')) {
      expect(path('/admin%2%46x', mode)).toBe('/admin%2Fx');
      expect(path('/admin%252Fx', mode)).toBe('/admin%252Fx');
    }
  });

  // The cases against a DENY on /admin/*: the backslash is a slash from BASE on; %5C only under DECODE.
  it('/admin\\secret and /admin%5Csecret', () => {
    expect(path('/admin\\secret', 'BASE')).toBe('/admin/secret');
    expect(path('/admin%5Csecret', 'BASE')).toBe('/admin%5Csecret');
    expect(path('/admin%5Csecret', 'MERGE_SLASHES')).toBe('/admin%5Csecret');
    expect(path('/admin%5Csecret', 'DECODE_AND_MERGE_SLASHES')).toBe('/admin/secret');
    expect(path('/admin%5csecret', 'DECODE_AND_MERGE_SLASHES')).toBe('/admin/secret');
  });

  // BASE is Istio's default: //admin and /admin%2Fx keep their shape, so a DENY on /admin does not see them.
  it('SC10 variants under each mode', () => {
    expect(path('//admin', 'BASE')).toBe('//admin');
    expect(path('/admin%2Fx', 'BASE')).toBe('/admin%2Fx');
    expect(path('//admin', 'MERGE_SLASHES')).toBe('/admin');
    expect(path('/%2Fadmin', 'MERGE_SLASHES')).toBe('/%2Fadmin');
    expect(path('/%2Fadmin', 'DECODE_AND_MERGE_SLASHES')).toBe('/admin');
    expect(path('/api/..%2Fadmin', 'BASE')).toBe('/api/..%2Fadmin');
    expect(path('/api/..%2Fadmin', 'DECODE_AND_MERGE_SLASHES')).toBe('/admin');
    for (const mode of ['BASE', 'MERGE_SLASHES', 'DECODE_AND_MERGE_SLASHES'] as const) {
      expect(path('/admin#x', mode)).toBe('/admin');
      expect(path('/api/../admin', mode)).toBe('/admin');
      expect(path('/api/%2e%2e/admin', mode)).toBe('/admin');
      expect(path('/ADMIN', mode)).toBe('/ADMIN');
    }
  });

  it('NONE leaves the path as sent, fragment and query aside', () => {
    expect(path('/api/../admin#x', 'NONE')).toBe('/api/../admin');
    expect(path('//a\\b%2F%61', 'NONE')).toBe('//a\\b%2F%61');
  });

  // §1 table: "%00 — The request will always be rejected with HTTP code 400"; Envoy's details: path_normalization_failed.
  it('%00 in the path is a 400 in every mode; in the query it is not the path', () => {
    for (const mode of PATH_NORMALIZATIONS) {
      expect(normalizePath('/a%00b', mode)).toEqual({ ok: false, status: 400, details: 'path_normalization_failed' });
      expect(normalizePath('/a?x=%00', mode)).toEqual({ ok: true, path: '/a' });
    }
  });

  it('steps per mode are cumulative, in Envoy order', () => {
    expect(normalizationSteps('DECODE_AND_MERGE_SLASHES')).toEqual([
      'fragment-strip',
      'reject-nul',
      'decode-escaped-slashes',
      'backslash-to-slash',
      'percent-decode-unreserved',
      'remove-dot-segments',
      'merge-slashes',
    ]);
    expect(normalizationSteps('BASE')).not.toContain('merge-slashes');
    expect(normalizationSteps('MERGE_SLASHES')).not.toContain('decode-escaped-slashes');
  });
});

describe('isEnvoyHttp1Method', () => {
  // istio.io normalization page, "Method not in upper case": 400; Envoy balsa_parser.cc isMethodValid: a fixed list.
  it('accepts the codec list, refuses lower or mixed case and unknown methods', () => {
    for (const method of ['GET', 'POST', 'PATCH', 'MSEARCH', 'UNSUBSCRIBE']) expect(isEnvoyHttp1Method(method)).toBe(true);
    for (const method of ['get', 'Get', 'FOO', '', 'GET ']) expect(isEnvoyHttp1Method(method)).toBe(false);
  });
});

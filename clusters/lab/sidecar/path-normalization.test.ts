import { describe, expect, it } from 'vitest';
import { normalizePath } from './path-normalization.ts';

describe('normalizePath (SC10 path tricks)', () => {
  it.each([
    ['//admin', '/admin'],
    ['/%2Fadmin', '/admin'],
    ['/%2fadmin', '/admin'],
    ['/admin#x', '/admin'],
    ['/api/../admin', '/admin'],
    ['/./admin', '/admin'],
    ['/%61dmin', '/admin'],
    ['/admin?x=1', '/admin'],
    ['/api//x', '/api/x'],
  ])('%s → %s', (input, expected) => {
    expect(normalizePath(input)).toBe(expected);
  });

  it('keeps case and reserved escapes other than %2F', () => {
    expect(normalizePath('/ADMIN')).toBe('/ADMIN');
    expect(normalizePath('/a%3Fb')).toBe('/a%3Fb');
    expect(normalizePath('/..')).toBe('/');
  });
});

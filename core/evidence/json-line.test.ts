import { describe, expect, it } from 'vitest';
import { parseJsonObject } from './json-line.ts';

describe('parseJsonObject', () => {
  it('returns the object of a JSON object line', () => {
    expect(parseJsonObject('{"response_code":403,"path":"/admin"}')).toEqual({ response_code: 403, path: '/admin' });
  });

  it('refuses text lines, other JSON values and broken JSON', () => {
    expect(parseJsonObject('[2026-01-01T00:00:00.000Z] "GET /admin HTTP/1.1" 403')).toBeUndefined();
    expect(parseJsonObject('["a"]')).toBeUndefined();
    expect(parseJsonObject('42')).toBeUndefined();
    expect(parseJsonObject('{"cut": ')).toBeUndefined();
    expect(parseJsonObject(' {"a":1}')).toBeUndefined();
  });
});

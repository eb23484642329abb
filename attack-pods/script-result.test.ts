import { describe, expect, it } from 'vitest';
import { parseScriptResult } from './script-result.ts';

describe('parseScriptResult', () => {
  it('parses the one result line among other output', () => {
    const stdout = 'some tool chatter\nBM-RESULT {"signal":"http-403","exit":0,"detail":"HTTP 403: RBAC: access denied","http_code":403,"url":"http://api:8080/"}\n';
    expect(parseScriptResult(stdout, '', 0)).toEqual({
      signal: 'http-403',
      exit: 0,
      detail: 'HTTP 403: RBAC: access denied',
      fields: { http_code: 403, url: 'http://api:8080/' },
    });
  });

  it('is error when the line is missing, naming the exit code and stderr', () => {
    const result = parseScriptResult('nothing here\n', 'sh: 1: curl: not found\n', 127);
    expect(result.signal).toBe('error');
    expect(result.exit).toBe(127);
    expect(result.detail).toContain('no result line (exit code 127)');
    expect(result.detail).toContain('curl: not found');
  });

  it('is error when the JSON is garbled', () => {
    const result = parseScriptResult('BM-RESULT {"signal":"timeout","exit":28,"detail":"cut\n', '', 0);
    expect(result.signal).toBe('error');
    expect(result.detail).toMatch(/^garbled result line/);
  });

  it('is error for an unknown signal, a missing exit, a non-object or two result lines', () => {
    expect(parseScriptResult('BM-RESULT {"signal":"blocked","exit":0,"detail":""}', '', 0).detail).toContain('unknown signal "blocked"');
    expect(parseScriptResult('BM-RESULT {"signal":"timeout","detail":""}', '', 0).detail).toContain('no integer "exit"');
    expect(parseScriptResult('BM-RESULT ["timeout"]', '', 0).detail).toContain('not a JSON object');
    const twice = 'BM-RESULT {"signal":"timeout","exit":28,"detail":""}\nBM-RESULT {"signal":"http-ok","exit":0,"detail":""}\n';
    const result = parseScriptResult(twice, '', 0);
    expect(result.signal).toBe('error');
    expect(result.detail).toContain('2 result lines');
  });
});

import { describe, expect, it } from 'vitest';
import { judgedItem } from './judged-item.ts';

describe('judgedItem', () => {
  it('carries rule and time when the line gave them', () => {
    const at = new Date('2026-03-01T10:00:00.000Z');
    expect(judgedItem('mesh-sidecar', 'envoy-access-log', 'raw line', { verdict: 'denied', detail: 'RBAC', rule: 'ns[bm-app]-policy[api]-rule[0]' }, at, ['window', 'source-ip'])).toEqual({
      layer: 'mesh-sidecar',
      source: 'envoy-access-log',
      verdict: 'denied',
      raw: 'raw line',
      detail: 'RBAC',
      rule: 'ns[bm-app]-policy[api]-rule[0]',
      at: '2026-03-01T10:00:00.000Z',
      matched: ['window', 'source-ip'],
    });
  });

  it('leaves rule and time out (not undefined-valued) when absent', () => {
    const item = judgedItem('cni', 'hubble', 'raw', { verdict: 'observed', detail: 'forwarded' }, undefined, ['canary']);
    expect(Object.keys(item).sort()).toEqual(['detail', 'layer', 'matched', 'raw', 'source', 'verdict']);
  });
});

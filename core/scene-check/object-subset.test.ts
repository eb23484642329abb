import { describe, expect, it } from 'vitest';
import { subsetDifferences } from './object-subset.ts';

describe('subsetDifferences', () => {
  it('accepts a live object that adds defaults, status and injected containers', () => {
    const sent = { metadata: { name: 'api', labels: { app: 'api' } }, spec: { containers: [{ name: 'app', image: 'x', ports: [{ containerPort: 8080 }] }] } };
    const live = {
      metadata: { name: 'api', uid: 'u', labels: { app: 'api', extra: 'y' } },
      spec: { containers: [{ name: 'istio-proxy', image: 'proxy' }, { name: 'app', image: 'x', ports: [{ containerPort: 8080, protocol: 'TCP' }] }], dnsPolicy: 'ClusterFirst' },
      status: { phase: 'Running' },
    };
    expect(subsetDifferences(sent, live)).toEqual([]);
  });

  it('names every path that differs or is missing', () => {
    const sent = { spec: { podSelector: { matchLabels: { app: 'api' } }, ingress: [{ ports: [{ port: 8080, protocol: 'TCP' }] }], policyTypes: ['Ingress', 'Egress'] } };
    const live = { spec: { podSelector: { matchLabels: { app: 'apx' } }, ingress: [{ ports: [{ port: 8081, protocol: 'TCP' }] }], policyTypes: ['Ingress'] } };
    expect(subsetDifferences(sent, live)).toEqual([
      'spec.podSelector.matchLabels.app: sent "api", live "apx"',
      'spec.ingress[0].ports[0].port: sent 8080, live 8081',
      'spec.policyTypes[1]: missing on the live object',
    ]);
  });

  it('matches named list items by name, so a missing container is named', () => {
    expect(subsetDifferences({ containers: [{ name: 'app', image: 'a' }] }, { containers: [{ name: 'other', image: 'a' }] })).toEqual([
      'containers[name=app]: missing on the live object',
    ]);
  });

  it('a type change is a difference (an object turned scalar, a missing field)', () => {
    expect(subsetDifferences({ a: { b: 1 } }, { a: 'x' })).toEqual(['a: sent an object, live has "x"']);
    expect(subsetDifferences({ a: 1 }, {})).toEqual(['a: missing on the live object']);
  });
});

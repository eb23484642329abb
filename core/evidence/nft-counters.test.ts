import { describe, expect, it } from 'vitest';
import { formatDenyComment, nftCounterEvidence, parseDenyComment, parseNftDropCounters } from './nft-counters.ts';

// Shape of `nft -j list ruleset` as nftables 1.0.6 prints it for a lab node (named counter + inline counter).
const RULESET = JSON.stringify({
  nftables: [
    { metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } },
    { table: { family: 'inet', name: 'breachmatrix', handle: 2 } },
    { counter: { family: 'inet', name: 'drop-4-eg', table: 'breachmatrix', handle: 3, packets: 3, bytes: 180 } },
    { counter: { family: 'inet', name: 'drop-2-in', table: 'breachmatrix', handle: 4, packets: 0, bytes: 0 } },
    { chain: { family: 'inet', table: 'breachmatrix', name: 'eg-4', handle: 5 } },
    {
      rule: {
        family: 'inet', table: 'breachmatrix', chain: 'eg-4', handle: 9,
        comment: 'bm:deny ns=bm-app pod=intruder dir=egress policy=bm-app/default-deny,bm-app/allow-dns',
        expr: [{ counter: 'drop-4-eg' }, { drop: null }],
      },
    },
    {
      rule: {
        family: 'inet', table: 'breachmatrix', chain: 'in-2', handle: 10,
        comment: 'bm:deny ns=bm-app pod=api dir=ingress policy=bm-app/default-deny',
        expr: [{ counter: 'drop-2-in' }, { drop: null }],
      },
    },
    { rule: { family: 'inet', table: 'breachmatrix', chain: 'x', handle: 11, comment: 'unrelated', expr: [{ counter: { packets: 9, bytes: 9 } }, { drop: null }] } },
  ],
});

const window = { from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-01-01T00:00:05Z') };

describe('deny comments', () => {
  it('round-trips and stays under the nft comment limit', () => {
    const policies = Array.from({ length: 20 }, (_, i) => `bm-app/policy-with-a-long-name-${i}`);
    const text = formatDenyComment({ namespace: 'bm-app', pod: 'intruder', direction: 'egress', policies });
    expect(text.length).toBeLessThan(128);
    expect(text).toMatch(/,\+\d+$/);
    const parsed = parseDenyComment(text);
    expect(parsed?.pod).toBe('intruder');
    expect(parsed?.policies[0]).toBe('bm-app/policy-with-a-long-name-0');
    expect(parseDenyComment('something else')).toBeUndefined();
  });
});

describe('parseNftDropCounters', () => {
  it('reads bm:deny rules with their named counters and ignores other rules', () => {
    const counters = parseNftDropCounters(RULESET, 'lab-worker2');
    expect(counters.map((c) => [c.key, c.packets, c.direction, c.pod])).toEqual([
      ['lab-worker2/drop-4-eg', 3, 'egress', 'intruder'],
      ['lab-worker2/drop-2-in', 0, 'ingress', 'api'],
    ]);
    expect(counters[0]?.raw).toContain('counter drop-4-eg packets 3 bytes 180 drop comment "bm:deny ns=bm-app pod=intruder');
  });
});

describe('nftCounterEvidence', () => {
  const counters = parseNftDropCounters(RULESET, 'lab-worker2');
  const podIps = new Map([['bm-app/intruder', '10.244.2.4'], ['bm-app/api', '10.244.1.2']]);

  it('cites the source pod’s egress counter that grew, naming the policies', () => {
    const items = nftCounterEvidence(counters, new Map(), { protocol: 'tcp', sourcePod: 'intruder', sourceNamespace: 'bm-app', destinationIp: '198.51.100.10' }, { podIps, window });
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ layer: 'cni', source: 'nft-counter', verdict: 'denied', rule: 'bm-app/default-deny,bm-app/allow-dns' });
    expect(items[0]?.detail).toContain('3 packet(s) dropped on lab-worker2');
  });

  it('says nothing when the counter did not grow since the baseline', () => {
    const flow = { protocol: 'tcp' as const, sourcePod: 'intruder', sourceNamespace: 'bm-app' };
    expect(nftCounterEvidence(counters, new Map([['lab-worker2/drop-4-eg', 3]]), flow, { podIps, window })).toEqual([]);
  });

  it('does not credit another pod’s counter', () => {
    const flow = { protocol: 'tcp' as const, sourcePod: 'rogue', sourceNamespace: 'bm-rogue', destinationIp: '10.244.9.9' };
    expect(nftCounterEvidence(counters, new Map(), flow, { podIps, window })).toEqual([]);
  });

  it('never credits the shared ingress counter: it does not say whose packets it dropped', () => {
    const grown = counters.map((c) => (c.pod === 'api' ? { ...c, packets: 2 } : c));
    const flow = { protocol: 'tcp' as const, sourceIp: '172.18.0.3', sourcePod: 'rogue', sourceNamespace: 'bm-rogue', destinationIp: '10.244.1.2', destinationPort: 8080 };
    expect(nftCounterEvidence(grown, new Map(), flow, { podIps, window })).toEqual([]);
  });
});

/** api's ingress chain as the lab renders it: the per-source set update, then the drop with the shared counter. */
function ingressRuleset(elements: readonly { ip: string; packets: number }[]): string {
  return JSON.stringify({
    nftables: [
      { table: { family: 'inet', name: 'breachmatrix', handle: 2 } },
      { counter: { family: 'inet', name: 'drop-2-in', table: 'breachmatrix', handle: 4, packets: elements.reduce((sum, e) => sum + e.packets, 0), bytes: 0 } },
      {
        set: {
          family: 'inet', name: 'src-2-in', table: 'breachmatrix', type: 'ipv4_addr', handle: 5, size: 65535, flags: ['dynamic'],
          elem: elements.map((element) => ({ elem: { val: element.ip, counter: { packets: element.packets, bytes: element.packets * 60 } } })),
          stmt: [{ counter: null }],
        },
      },
      {
        rule: {
          family: 'inet', table: 'breachmatrix', chain: 'in-2', handle: 10,
          expr: [{ set: { op: 'update', elem: { payload: { protocol: 'ip', field: 'saddr' } }, set: '@src-2-in' } }, { continue: null }],
        },
      },
      {
        rule: {
          family: 'inet', table: 'breachmatrix', chain: 'in-2', handle: 11,
          comment: 'bm:deny ns=bm-app pod=api dir=ingress policy=bm-app/default-deny',
          expr: [{ counter: 'drop-2-in' }, { drop: null }],
        },
      },
    ],
  });
}

describe('per-source ingress counters: two concurrent attempts to one destination, only one of them dropped', () => {
  const podIps = new Map([['bm-app/api', '10.244.1.2']]);
  const toApi = { protocol: 'http' as const, destinationIp: '10.244.1.2', destinationPort: 8080 };
  // AM5-priv from api's node (allowed by the CNI: node → own pods) and HN2-priv from another node (dropped).
  const fromOwnNode = { ...toApi, sourceIp: '172.18.0.3', sourcePod: 'bm-am5-priv-1', sourceNamespace: 'bm-privileged' };
  const fromOtherNode = { ...toApi, sourceIp: '172.18.0.4', sourcePod: 'bm-hn2-priv-2', sourceNamespace: 'bm-privileged' };
  const counters = parseNftDropCounters(ingressRuleset([{ ip: '172.18.0.4', packets: 3 }]), 'lab-worker');

  it('reads one counter per source address of the set, tied to the drop rule', () => {
    expect(counters.map((c) => [c.key, c.packets, c.sourceIp])).toEqual([['lab-worker/drop-2-in/172.18.0.4', 3, '172.18.0.4']]);
    expect(counters[0]?.raw).toContain('element 172.18.0.4 counter packets 3');
  });

  it('confirms the dropped attempt, naming the fields that matched', () => {
    const items = nftCounterEvidence(counters, new Map(), fromOtherNode, { podIps, window });
    expect(items).toHaveLength(1);
    expect(items[0]?.matched).toEqual(['source-ip', 'destination-ip']);
    expect(items[0]?.detail).toContain('3 packet(s) from 172.18.0.4 dropped on lab-worker: ingress of bm-app/api');
  });

  it('gives the other attempt nothing: the drop on its destination was not its packet', () => {
    expect(nftCounterEvidence(counters, new Map(), fromOwnNode, { podIps, window })).toEqual([]);
  });

  it('counts growth per source: a new drop from another source does not move this source’s count', () => {
    const later = parseNftDropCounters(ingressRuleset([{ ip: '172.18.0.4', packets: 3 }, { ip: '172.18.0.3', packets: 1 }]), 'lab-worker');
    const baseline = new Map(counters.map((c) => [c.key, c.packets]));
    expect(nftCounterEvidence(later, baseline, fromOtherNode, { podIps, window })).toEqual([]);
    expect(nftCounterEvidence(later, baseline, fromOwnNode, { podIps, window })).toHaveLength(1);
  });
});

import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../core/domain/cluster.ts';
import { BadInputError } from '../../../core/domain/errors.ts';
import { compileNodeRuleset, type NetpolInput, type NetpolPod } from './compile.ts';
import { evaluate, type Packet } from './evaluate.ts';
import { parseNetworkPolicy } from './network-policy.ts';
import { renderRuleset } from './render.ts';

function policy(namespace: string, name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec };
}

function labPod(id: number, namespace: string, name: string, node: string, extra: Partial<NetpolPod> = {}): NetpolPod {
  return { id: String(id), namespace, name, ip: `10.244.${node === 'w1' ? 1 : 2}.${id + 10}`, node, hostNetwork: false, labels: { app: name }, ports: [], veth: `veth${id}`, ...extra };
}

const frontend = labPod(1, 'bm-app', 'frontend', 'w1');
const api = labPod(2, 'bm-app', 'api', 'w1', { ports: [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'metrics', port: 9090, protocol: 'TCP' }] });
const db = labPod(3, 'bm-app', 'db', 'w2', { ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] });
const intruder = labPod(4, 'bm-app', 'intruder', 'w2');
const rogue = labPod(5, 'bm-rogue', 'rogue', 'w2', { labels: { app: 'rogue', tier: 'x' } });
const kubeDns = labPod(6, 'kube-system', 'kube-dns', 'w1', { labels: { 'k8s-app': 'kube-dns' } });
const pods = [frontend, api, db, intruder, rogue, kubeDns];
const namespaces = new Map<string, Record<string, string>>([
  ['bm-app', { 'kubernetes.io/metadata.name': 'bm-app', mesh: 'yes' }],
  ['bm-rogue', { 'kubernetes.io/metadata.name': 'bm-rogue' }],
  ['kube-system', { 'kubernetes.io/metadata.name': 'kube-system' }],
]);
const SINK = '198.51.100.10';

function input(...objects: KubeObject[]): NetpolInput {
  return { policies: objects.map(parseNetworkPolicy), pods, namespaces };
}

/** Sends a new connection from one pod to an address through source-node egress and destination-node ingress. */
function send(rules: NetpolInput, from: NetpolPod, to: string, protocol: Packet['protocol'], dport?: number) {
  const source = evaluate(compileNodeRuleset(rules, from.node), {
    hook: 'forward', iifname: from.veth, saddr: from.ip, daddr: to, protocol, ...(dport === undefined ? {} : { dport }),
    ...(pods.find((p) => p.ip === to && p.node === from.node) ? { oifname: pods.find((p) => p.ip === to)?.veth } : {}),
  });
  if (source.verdict === 'drop') return source;
  const target = pods.find((p) => p.ip === to);
  if (target === undefined || target.node === from.node) return source;
  return evaluate(compileNodeRuleset(rules, target.node), { hook: 'forward', oifname: target.veth, saddr: from.ip, daddr: to, protocol, ...(dport === undefined ? {} : { dport }) });
}

const defaultDeny = policy('bm-app', 'default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
const allowDns = policy('bm-app', 'allow-dns', {
  podSelector: {},
  policyTypes: ['Egress'],
  egress: [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] }],
});
const frontendToApi = [
  policy('bm-app', 'frontend-egress', { podSelector: { matchLabels: { app: 'frontend' } }, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { app: 'api' } } }], ports: [{ port: 8080 }] }] }),
  policy('bm-app', 'api-ingress', { podSelector: { matchLabels: { app: 'api' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'frontend' } } }], ports: [{ port: 'http' }] }] }),
];

describe('NetworkPolicy → nftables semantics', () => {
  it('allows everything when no policy selects a pod', () => {
    const rules = input();
    expect(send(rules, intruder, SINK, 'tcp', 8080).verdict).toBe('accept');
    expect(compileNodeRuleset(rules, 'w1').counters).toEqual([]);
  });

  it('default deny drops egress on the source node and counts it on the pod’s own rule', () => {
    const decision = send(input(defaultDeny), intruder, SINK, 'tcp', 8080);
    expect(decision.verdict).toBe('drop');
    expect(decision.counter).toBe('drop-4-eg');
    expect(decision.comment).toBe('bm:deny ns=bm-app pod=intruder dir=egress policy=bm-app/default-deny');
  });

  it('unions policies: DNS to kube-dns is allowed, the world is not, ICMP is not', () => {
    const rules = input(defaultDeny, allowDns);
    expect(send(rules, intruder, kubeDns.ip, 'udp', 53).verdict).toBe('accept');
    expect(send(rules, intruder, kubeDns.ip, 'tcp', 53).verdict).toBe('accept');
    expect(send(rules, intruder, kubeDns.ip, 'udp', 54).verdict).toBe('drop');
    expect(send(rules, intruder, SINK, 'udp', 53).verdict).toBe('drop');
    expect(send(rules, intruder, SINK, 'icmp').verdict).toBe('drop');
    expect(send(rules, intruder, SINK, 'udp', 53).comment).toContain('policy=bm-app/default-deny,bm-app/allow-dns');
  });

  it('checks ingress on the destination node with named ports resolved on the target', () => {
    const rules = input(defaultDeny, ...frontendToApi);
    expect(send(rules, frontend, api.ip, 'tcp', 8080).verdict).toBe('accept');
    expect(send(rules, frontend, api.ip, 'tcp', 9090).verdict).toBe('drop');
    const fromIntruder = send(rules, intruder, api.ip, 'tcp', 8080);
    expect(fromIntruder.verdict).toBe('drop');
    expect(fromIntruder.counter).toBe('drop-4-eg');
  });

  it('drops unsolicited ingress from another namespace at the destination and names the ingress rule', () => {
    const decision = send(input(defaultDeny, ...frontendToApi), rogue, api.ip, 'tcp', 8080);
    expect(decision.verdict).toBe('drop');
    expect(decision.counter).toBe('drop-2-in');
    expect(decision.comment).toBe('bm:deny ns=bm-app pod=api dir=ingress policy=bm-app/default-deny,bm-app/api-ingress');
  });

  it('accepts established packets before any policy', () => {
    const ruleset = compileNodeRuleset(input(defaultDeny), 'w2');
    expect(evaluate(ruleset, { hook: 'forward', iifname: intruder.veth, saddr: intruder.ip, daddr: SINK, protocol: 'tcp', dport: 80, established: true }).verdict).toBe('accept');
  });

  it('applies egress to traffic for the node itself (input hook)', () => {
    const ruleset = compileNodeRuleset(input(defaultDeny), 'w2');
    expect(evaluate(ruleset, { hook: 'input', iifname: intruder.veth, saddr: intruder.ip, daddr: '172.18.0.4', protocol: 'tcp', dport: 10250 }).verdict).toBe('drop');
  });

  it('honours ipBlock with except, endPort ranges and protocols', () => {
    const rules = input(
      policy('bm-app', 'world', {
        podSelector: { matchLabels: { app: 'intruder' } },
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '198.51.100.0/24', except: ['198.51.100.10/32'] } }], ports: [{ protocol: 'TCP', port: 9000, endPort: 9010 }] }],
      }),
    );
    expect(send(rules, intruder, '198.51.100.20', 'tcp', 9005).verdict).toBe('accept');
    expect(send(rules, intruder, '198.51.100.20', 'tcp', 9011).verdict).toBe('drop');
    expect(send(rules, intruder, '198.51.100.20', 'udp', 9005).verdict).toBe('drop');
    expect(send(rules, intruder, SINK, 'tcp', 9005).verdict).toBe('drop');
  });

  it('a port rule without a peer allows that port anywhere (the EG3 mistake)', () => {
    const rules = input(defaultDeny, policy('bm-app', 'dns-anywhere', { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ protocol: 'UDP', port: 53 }] }] }));
    expect(send(rules, intruder, SINK, 'udp', 53).verdict).toBe('accept');
    expect(send(rules, intruder, SINK, 'tcp', 53).verdict).toBe('drop');
  });

  it('matches namespaceSelector alone, and namespaceSelector with podSelector together', () => {
    const fromRogueNs = policy('bm-app', 'from-rogue-ns', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'bm-rogue' } } }] }] });
    expect(send(input(fromRogueNs), rogue, db.ip, 'tcp', 5432).verdict).toBe('accept');
    expect(send(input(fromRogueNs), intruder, db.ip, 'tcp', 5432).verdict).toBe('drop');
    const both = policy('bm-app', 'both', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['y'] }] } }] }] });
    expect(send(input(both), rogue, db.ip, 'tcp', 5432).verdict).toBe('drop');
    const exists = policy('bm-app', 'exists', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchExpressions: [{ key: 'tier', operator: 'Exists' }] } }] }] });
    expect(send(input(exists), rogue, db.ip, 'tcp', 5432).verdict).toBe('accept');
  });

  it('resolves an egress named port on each destination pod', () => {
    const rules = input(defaultDeny, policy('bm-app', 'to-pg', { podSelector: { matchLabels: { app: 'intruder' } }, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: {} }], ports: [{ port: 'pg' }] }] }));
    const egressOnly = { ...rules, policies: rules.policies.map((p) => (p.name === 'default-deny' ? { ...p, ingress: undefined } : p)) };
    expect(send(egressOnly, intruder, db.ip, 'tcp', 5432).verdict).toBe('accept');
    expect(send(egressOnly, intruder, api.ip, 'tcp', 5432).verdict).toBe('drop');
  });

  it('omitting policyTypes with no egress isolates ingress only', () => {
    const rules = input(policy('bm-app', 'ingress-only', { podSelector: {} }));
    expect(send(rules, intruder, SINK, 'tcp', 80).verdict).toBe('accept');
    expect(send(rules, rogue, db.ip, 'tcp', 5432).verdict).toBe('drop');
  });

  it('renders one atomic nft script with named counters and comments', () => {
    const text = renderRuleset(compileNodeRuleset(input(defaultDeny), 'w2'), { staleCounters: ['drop-9-eg'] });
    expect(text.startsWith('table inet breachmatrix {}\nflush table inet breachmatrix\n')).toBe(true);
    expect(text).toContain('counter drop-4-eg {');
    expect(text).toContain('iifname "veth4" jump eg-4');
    expect(text).toContain('counter name "drop-4-eg" drop comment "bm:deny ns=bm-app pod=intruder dir=egress policy=bm-app/default-deny"');
    expect(text.trimEnd().endsWith('delete counter inet breachmatrix drop-9-eg')).toBe(true);
  });
});

describe('parseNetworkPolicy', () => {
  it('rejects a malformed CIDR naming the field', () => {
    const bad = policy('bm-app', 'bad', { podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/33' } }] }] });
    expect(() => parseNetworkPolicy(bad)).toThrow(BadInputError);
    expect(() => parseNetworkPolicy(bad)).toThrow(/NetworkPolicy bm-app\/bad egress\[0\]\.to\[0\]\.ipBlock\.cidr/);
  });

  it('rejects unknown fields and endPort without a numeric port', () => {
    expect(() => parseNetworkPolicy(policy('bm-app', 'x', { podSelector: {}, egres: [] }))).toThrow(BadInputError);
    expect(() => parseNetworkPolicy(policy('bm-app', 'x', { podSelector: {}, egress: [{ ports: [{ port: 'http', endPort: 90 }] }] }))).toThrow(/endPort needs a numeric port/);
  });
});

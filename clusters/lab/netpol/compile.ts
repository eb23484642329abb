import { formatDenyComment } from '../../../core/evidence/nft-counters.ts';
import { selectorMatches } from './label-selector.ts';
import type { LabNetworkPolicy, PolicyPeer, PolicyPort, PolicyRule } from './network-policy.ts';
import { LAB_NFT_TABLE, type NftChain, type NftMatch, type NftRule, type NftRuleset } from './nft-model.ts';

export interface NetpolPort {
  readonly name?: string;
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
}

/** A pod as the compiler sees it. `id` is unique per lab and names the pod's chains and counters. */
export interface NetpolPod {
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly ip: string;
  readonly node: string;
  readonly hostNetwork: boolean;
  readonly labels: Readonly<Record<string, string>>;
  readonly ports: readonly NetpolPort[];
  /** Node-side interface; absent for hostNetwork pods (no NetworkPolicy applies to them, as on Calico/Cilium). */
  readonly veth?: string;
}

export interface NetpolInput {
  readonly policies: readonly LabNetworkPolicy[];
  readonly pods: readonly NetpolPod[];
  readonly namespaces: ReadonlyMap<string, Readonly<Record<string, string>>>;
}

type Direction = 'egress' | 'ingress';

const PROTOCOLS = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp' } as const;

export function chainName(pod: NetpolPod, direction: Direction): string {
  return `${direction === 'egress' ? 'eg' : 'in'}-${pod.id}`;
}

/**
 * The set counting an ingress drop per source address: the pod's ingress counter is shared by every client, so
 * only the source's own element can tie a drop to one attempt (core/evidence/nft-counters.ts).
 */
export function sourceSetName(pod: NetpolPod): string {
  return `src-${pod.id}-in`;
}

export function counterName(pod: NetpolPod, direction: Direction): string {
  return `drop-${pod.id}-${direction === 'egress' ? 'eg' : 'in'}`;
}

/** Policies that select the pod and isolate it in this direction. */
function isolating(input: NetpolInput, pod: NetpolPod, direction: Direction): LabNetworkPolicy[] {
  return input.policies.filter(
    (policy) =>
      policy.namespace === pod.namespace &&
      (direction === 'egress' ? policy.egress : policy.ingress) !== undefined &&
      selectorMatches(policy.podSelector, pod.labels),
  );
}

/** Pods a selector peer names (host-network pods are never selected: their address is the node's). */
function peerPods(input: NetpolInput, policy: LabNetworkPolicy, peer: PolicyPeer): NetpolPod[] {
  return input.pods.filter((candidate) => {
    if (candidate.hostNetwork) return false;
    if (peer.namespaceSelector === undefined) {
      if (candidate.namespace !== policy.namespace) return false;
    } else if (!selectorMatches(peer.namespaceSelector, input.namespaces.get(candidate.namespace) ?? {})) {
      return false;
    }
    return peer.podSelector === undefined || selectorMatches(peer.podSelector, candidate.labels);
  });
}

function ipToNumber(ip: string): number {
  return ip.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
}

export function cidrContains(cidr: string, ip: string): boolean {
  const [base = '', bits = '32'] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  const start = Math.floor(ipToNumber(base) / size) * size;
  const value = ipToNumber(ip);
  return value >= start && value < start + size;
}

function inBlock(block: NonNullable<PolicyPeer['ipBlock']>, ip: string): boolean {
  return cidrContains(block.cidr, ip) && !block.except.some((except) => cidrContains(except, ip));
}

/** Numeric port matches grouped by protocol; named ports are resolved by the caller. */
function portMatches(ports: readonly PolicyPort[]): NftMatch[][] {
  const byProtocol = new Map<PolicyPort['protocol'], (number | readonly [number, number])[] | 'all'>();
  for (const port of ports) {
    if (typeof port.port === 'string') continue;
    const current = byProtocol.get(port.protocol) ?? [];
    if (port.port === undefined || current === 'all') {
      byProtocol.set(port.protocol, 'all');
      continue;
    }
    current.push(port.endPort === undefined ? port.port : [port.port, port.endPort]);
    byProtocol.set(port.protocol, current);
  }
  return [...byProtocol.entries()].map(([protocol, list]) => [
    { kind: 'l4proto', protocol: PROTOCOLS[protocol] },
    ...(list === 'all' ? [] : [{ kind: 'dport' as const, ports: list }]),
  ]);
}

/** A named port resolved on one pod: the matching container ports with the rule's protocol. */
function resolveNamed(pod: NetpolPod, port: PolicyPort): NftMatch[][] {
  return pod.ports
    .filter((containerPort) => containerPort.name === port.port && containerPort.protocol === port.protocol)
    .map((containerPort) => [
      { kind: 'l4proto', protocol: PROTOCOLS[port.protocol] },
      { kind: 'dport', ports: [containerPort.port] },
    ]);
}

/**
 * Allow rules (verdict `return`: the packet goes on to the other direction's check) for one policy rule.
 * `self` is the pod the chain belongs to; `peerField` is daddr for egress, saddr for ingress.
 */
function compileRule(input: NetpolInput, policy: LabNetworkPolicy, rule: PolicyRule, self: NetpolPod, direction: Direction): NftRule[] {
  const peerField = direction === 'egress' ? 'daddr' : 'saddr';
  const ret = { kind: 'return' } as const;
  const numericPorts = rule.ports === 'any' ? [[]] : portMatches(rule.ports);
  const namedPorts = rule.ports === 'any' ? [] : rule.ports.filter((port) => typeof port.port === 'string');
  const rules: NftRule[] = [];

  // Peer address matches: one entry per ipBlock, one for all selector peers together, or none for "any".
  const peerMatches: NftMatch[][] = [];
  const selectorPods: NetpolPod[] = [];
  if (rule.peers === 'any') {
    peerMatches.push([]);
  } else {
    for (const peer of rule.peers) {
      if (peer.ipBlock !== undefined) {
        peerMatches.push([
          { kind: peerField, addresses: [peer.ipBlock.cidr], negate: false },
          ...(peer.ipBlock.except.length > 0 ? [{ kind: peerField, addresses: peer.ipBlock.except, negate: true } as const] : []),
        ]);
      } else {
        selectorPods.push(...peerPods(input, policy, peer));
      }
    }
    const ips = [...new Set(selectorPods.map((candidate) => candidate.ip))].sort();
    if (ips.length > 0) peerMatches.push([{ kind: peerField, addresses: ips, negate: false }]);
  }
  if (rule.ports === 'any' || numericPorts.length > 0) {
    for (const peer of peerMatches) for (const port of numericPorts) rules.push({ matches: [...peer, ...port], verdict: ret });
  }

  // Named ports resolve on the destination pod: the chain's own pod for ingress, each peer pod for egress.
  for (const port of namedPorts) {
    if (direction === 'ingress') {
      for (const peer of peerMatches) for (const resolved of resolveNamed(self, port)) rules.push({ matches: [...peer, ...resolved], verdict: ret });
      continue;
    }
    const destinations =
      rule.peers === 'any'
        ? input.pods.filter((candidate) => !candidate.hostNetwork)
        : [
            ...selectorPods,
            ...input.pods.filter(
              (candidate) =>
                !candidate.hostNetwork &&
                rule.peers !== 'any' &&
                rule.peers.some((peer) => peer.ipBlock !== undefined && inBlock(peer.ipBlock, candidate.ip)),
            ),
          ];
    const seen = new Set<string>();
    for (const destination of destinations) {
      if (seen.has(destination.ip)) continue;
      seen.add(destination.ip);
      for (const resolved of resolveNamed(destination, port)) {
        rules.push({ matches: [{ kind: 'daddr', addresses: [destination.ip], negate: false }, ...resolved], verdict: ret });
      }
    }
  }
  return rules;
}

function podChain(input: NetpolInput, pod: NetpolPod, direction: Direction, policies: readonly LabNetworkPolicy[]): NftChain {
  const rules: NftRule[] = [];
  for (const policy of policies) {
    for (const rule of (direction === 'egress' ? policy.egress : policy.ingress) ?? []) {
      rules.push(...compileRule(input, policy, rule, pod, direction));
    }
  }
  // Before the drop, and as a rule of its own: an `ip saddr` key would restrict the drop itself to IPv4.
  if (direction === 'ingress') rules.push({ matches: [], recordSourceIn: sourceSetName(pod), verdict: { kind: 'continue' } });
  rules.push({
    matches: [],
    counter: counterName(pod, direction),
    verdict: { kind: 'drop' },
    comment: formatDenyComment({
      namespace: pod.namespace,
      pod: pod.name,
      direction,
      policies: policies.map((policy) => `${policy.namespace}/${policy.name}`),
    }),
  });
  return { name: chainName(pod, direction), rules };
}

/**
 * The ruleset of one node: egress of its pods is checked where packets leave their veth (forward and input
 * hooks: to other hosts and to the node itself), ingress where packets enter a local pod's veth. Established
 * and related packets pass first. Traffic the node itself originates is not filtered (node → own pods is
 * allowed, as with Calico and Cilium). A pod no policy isolates has no chain: everything is allowed.
 */
export function compileNodeRuleset(input: NetpolInput, node: string): NftRuleset {
  const local = input.pods.filter((pod) => pod.node === node && !pod.hostNetwork && pod.veth !== undefined);
  const established: NftRule = { matches: [{ kind: 'ct-state', states: ['established', 'related'] }], verdict: { kind: 'accept' } };
  const forward: NftRule[] = [established];
  const inputRules: NftRule[] = [established];
  const chains: NftChain[] = [];
  const counters: string[] = [];
  const sourceSets: string[] = [];
  for (const direction of ['egress', 'ingress'] as const) {
    for (const pod of local) {
      const policies = isolating(input, pod, direction);
      if (policies.length === 0) continue;
      const chain = podChain(input, pod, direction, policies);
      chains.push(chain);
      counters.push(counterName(pod, direction));
      if (direction === 'ingress') sourceSets.push(sourceSetName(pod));
      const iface = pod.veth ?? '';
      const jump: NftRule = {
        matches: [{ kind: direction === 'egress' ? 'iifname' : 'oifname', name: iface }],
        verdict: { kind: 'jump', chain: chain.name },
      };
      forward.push(jump);
      if (direction === 'egress') inputRules.push(jump);
    }
  }
  return {
    family: 'inet',
    table: LAB_NFT_TABLE,
    counters,
    sourceSets,
    chains: [{ name: 'forward', hook: 'forward', rules: forward }, { name: 'input', hook: 'input', rules: inputRules }, ...chains],
  };
}

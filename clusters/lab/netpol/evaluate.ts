import { cidrContains } from './compile.ts';
import type { NftChain, NftMatch, NftRuleset } from './nft-model.ts';

/** A packet as a node's filter hooks see it, for checking a compiled ruleset's semantics without a kernel. */
export interface Packet {
  readonly hook: 'forward' | 'input';
  readonly iifname?: string;
  readonly oifname?: string;
  readonly saddr: string;
  readonly daddr: string;
  readonly protocol: 'tcp' | 'udp' | 'sctp' | 'icmp';
  readonly dport?: number;
  readonly established?: boolean;
}

export interface Decision {
  readonly verdict: 'accept' | 'drop';
  /** The counter of the rule that dropped it. */
  readonly counter?: string;
  readonly comment?: string;
}

function matches(match: NftMatch, packet: Packet): boolean {
  switch (match.kind) {
    case 'iifname':
      return packet.iifname === match.name;
    case 'oifname':
      return packet.oifname === match.name;
    case 'ct-state':
      return packet.established === true;
    case 'saddr':
    case 'daddr': {
      const address = match.kind === 'saddr' ? packet.saddr : packet.daddr;
      const hit = match.addresses.some((item) => (item.includes('/') ? cidrContains(item, address) : item === address));
      return match.negate ? !hit : hit;
    }
    case 'l4proto':
      return packet.protocol === match.protocol;
    case 'dport':
      return (
        packet.dport !== undefined &&
        match.ports.some((port) => (typeof port === 'number' ? port === packet.dport : packet.dport !== undefined && packet.dport >= port[0] && packet.dport <= port[1]))
      );
  }
}

type Outcome = { readonly kind: 'continue' } | { readonly kind: 'final'; readonly decision: Decision };

function run(ruleset: NftRuleset, chain: NftChain, packet: Packet, depth: number): Outcome {
  if (depth > 16) throw new RangeError('jump depth exceeded');
  for (const rule of chain.rules) {
    if (!rule.matches.every((match) => matches(match, packet))) continue;
    switch (rule.verdict.kind) {
      case 'accept':
        return { kind: 'final', decision: { verdict: 'accept' } };
      case 'drop':
        return {
          kind: 'final',
          decision: {
            verdict: 'drop',
            ...(rule.counter === undefined ? {} : { counter: rule.counter }),
            ...(rule.comment === undefined ? {} : { comment: rule.comment }),
          },
        };
      case 'return':
        return { kind: 'continue' };
      case 'jump': {
        const target = ruleset.chains.find((candidate) => candidate.name === (rule.verdict.kind === 'jump' ? rule.verdict.chain : ''));
        if (target === undefined) throw new Error(`jump to a missing chain`);
        const outcome = run(ruleset, target, packet, depth + 1);
        if (outcome.kind === 'final') return outcome;
        break;
      }
    }
  }
  return { kind: 'continue' };
}

/** What the node's base chain for the packet's hook decides (policy accept when nothing drops). */
export function evaluate(ruleset: NftRuleset, packet: Packet): Decision {
  const base = ruleset.chains.find((chain) => chain.hook === packet.hook);
  if (base === undefined) return { verdict: 'accept' };
  const outcome = run(ruleset, base, packet, 0);
  return outcome.kind === 'final' ? outcome.decision : { verdict: 'accept' };
}

/** A typed model of the nftables ruleset the lab loads into one node namespace; rendered by render.ts. */
export type NftMatch =
  | { readonly kind: 'iifname'; readonly name: string }
  | { readonly kind: 'oifname'; readonly name: string }
  | { readonly kind: 'ct-state'; readonly states: readonly ('established' | 'related')[] }
  | { readonly kind: 'saddr' | 'daddr'; readonly addresses: readonly string[]; readonly negate: boolean }
  | { readonly kind: 'l4proto'; readonly protocol: 'tcp' | 'udp' | 'sctp' }
  | { readonly kind: 'dport'; readonly ports: readonly (number | readonly [number, number])[] };

export type NftVerdict =
  | { readonly kind: 'accept' }
  | { readonly kind: 'drop' }
  | { readonly kind: 'return' }
  /** Go on with the next rule (a rule that only records, e.g. a source address into a set). */
  | { readonly kind: 'continue' }
  | { readonly kind: 'jump'; readonly chain: string };

export interface NftRule {
  readonly matches: readonly NftMatch[];
  readonly verdict: NftVerdict;
  /** Named counter object the rule counts into. */
  readonly counter?: string;
  /** Per-source counter set the rule adds the packet's source address to (counted per element). */
  readonly recordSourceIn?: string;
  readonly comment?: string;
}

export interface NftChain {
  readonly name: string;
  /** Base chains hook into the node's forward or input path; others are jumped to. */
  readonly hook?: 'forward' | 'input';
  readonly rules: readonly NftRule[];
}

export interface NftRuleset {
  readonly family: 'inet';
  readonly table: string;
  readonly counters: readonly string[];
  /** Dynamic sets of IPv4 source addresses, each element with its own counter (per-source drop evidence). */
  readonly sourceSets: readonly string[];
  readonly chains: readonly NftChain[];
}

export const LAB_NFT_TABLE = 'breachmatrix';

import type { NftMatch, NftRule, NftRuleset, NftVerdict } from './nft-model.ts';

function quote(text: string): string {
  return `"${text.replace(/["\\]/g, '')}"`;
}

function set(items: readonly string[]): string {
  return items.length === 1 ? (items[0] ?? '') : `{ ${items.join(', ')} }`;
}

function renderMatch(match: NftMatch): string {
  switch (match.kind) {
    case 'iifname':
      return `iifname ${quote(match.name)}`;
    case 'oifname':
      return `oifname ${quote(match.name)}`;
    case 'ct-state':
      return `ct state ${match.states.join(',')}`;
    case 'saddr':
    case 'daddr':
      return `ip ${match.kind} ${match.negate ? '!= ' : ''}${set(match.addresses)}`;
    case 'l4proto':
      return `meta l4proto ${match.protocol}`;
    case 'dport':
      return `th dport ${set(match.ports.map((port) => (typeof port === 'number' ? String(port) : `${port[0]}-${port[1]}`)))}`;
  }
}

function renderVerdict(verdict: NftVerdict): string {
  return verdict.kind === 'jump' ? `jump ${verdict.chain}` : verdict.kind;
}

export function renderRule(rule: NftRule): string {
  const parts = rule.matches.map(renderMatch);
  if (rule.recordSourceIn !== undefined) parts.push(`update @${rule.recordSourceIn} { ip saddr }`);
  if (rule.counter !== undefined) parts.push(`counter name ${quote(rule.counter)}`);
  parts.push(renderVerdict(rule.verdict));
  if (rule.comment !== undefined) parts.push(`comment ${quote(rule.comment)}`);
  return parts.join(' ');
}

export interface RenderOptions {
  /** Chains and counters loaded before that this ruleset no longer has: deleted after the flush. */
  readonly staleChains?: readonly string[];
  readonly staleCounters?: readonly string[];
  readonly staleSourceSets?: readonly string[];
}

/**
 * `nft -f` text that atomically replaces the table's rules. `flush table` keeps named counters, so a pod's drop
 * counter survives every recompile (another pod starting must not erase an attempt's evidence); so do the
 * elements of a set, hence the per-source counters of an ingress drop.
 */
export function renderRuleset(ruleset: NftRuleset, options: RenderOptions = {}): string {
  const table = `${ruleset.family} ${ruleset.table}`;
  const lines = [`table ${table} {}`, `flush table ${table}`, `table ${table} {`];
  for (const counter of ruleset.counters) lines.push(`  counter ${counter} {`, '  }');
  for (const sourceSet of ruleset.sourceSets) lines.push(`  set ${sourceSet} { type ipv4_addr; size 65535; flags dynamic; counter; }`);
  for (const chain of ruleset.chains) {
    lines.push(`  chain ${chain.name} {`);
    if (chain.hook !== undefined) lines.push(`    type filter hook ${chain.hook} priority filter; policy accept;`);
    for (const rule of chain.rules) lines.push(`    ${renderRule(rule)}`);
    lines.push('  }');
  }
  lines.push('}');
  for (const chain of options.staleChains ?? []) lines.push(`delete chain ${table} ${chain}`);
  for (const counter of options.staleCounters ?? []) lines.push(`delete counter ${table} ${counter}`);
  for (const sourceSet of options.staleSourceSets ?? []) lines.push(`delete set ${table} ${sourceSet}`);
  return `${lines.join('\n')}\n`;
}

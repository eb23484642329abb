import type { EvidenceItem, FlowDescriptor } from '../domain/evidence.ts';

/** One filter rule with its packet counter, from `iptables-save -c` or `iptables -L -v -x -n`. */
export interface CounterRule {
  readonly chain: string;
  /** Calico's rule id from the `cali:…` comment, else the rule's position in its chain. */
  readonly key: string;
  readonly packets: number;
  readonly target: string;
  readonly source?: string;
  readonly destination?: string;
  readonly protocol?: string;
  readonly destinationPort?: number;
  readonly comments: readonly string[];
  /** The rule line as printed. */
  readonly raw: string;
}

function words(line: string): string[] {
  return line.match(/"(?:[^"\\]|\\.)*"|\S+/g)?.map((word) => (word.startsWith('"') ? word.slice(1, -1) : word)) ?? [];
}

/** Calico's rule id (its `cali:` comment), else the rule's position in its chain, counted as the lines are read. */
function ruleKey(chain: string, comments: readonly string[], positions: Map<string, number>): string {
  const position = (positions.get(chain) ?? 0) + 1;
  positions.set(chain, position);
  return comments.find((comment) => comment.startsWith('cali:')) ?? `#${position}`;
}

function parseSaveLine(line: string, positions: Map<string, number>): CounterRule | undefined {
  const match = /^\[(\d+):(\d+)\]\s+-A\s+(\S+)\s*(.*)$/.exec(line.trim());
  if (match === null) return undefined;
  const [, packets = '0', , chain = '', rest = ''] = match;
  const args = words(rest);
  const comments: string[] = [];
  let target = '';
  let source: string | undefined;
  let destination: string | undefined;
  let protocol: string | undefined;
  let destinationPort: number | undefined;
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index];
    const next = args[index + 1];
    if (arg === '--comment' && next !== undefined) comments.push(next);
    if ((arg === '-j' || arg === '-g') && next !== undefined) target = next;
    if (arg === '-s' && next !== undefined) source = next;
    if (arg === '-d' && next !== undefined) destination = next;
    if (arg === '-p' && next !== undefined) protocol = next;
    if ((arg === '--dport' || arg === '--dports') && next !== undefined && /^\d+$/.test(next)) destinationPort = Number(next);
  }
  return {
    chain,
    key: ruleKey(chain, comments, positions),
    packets: Number(packets),
    target,
    source,
    destination,
    protocol,
    destinationPort,
    comments,
    raw: line,
  };
}

/** ` 1164K 70M DROP all -- * * 0.0.0.0/0 1.2.3.4/8 /* cali:5MnL… *\/` under `Chain cali-po-…`; needs -x for exact counts. */
function parseListLine(line: string, chain: string, positions: Map<string, number>): CounterRule | undefined {
  const match = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*(.*)$/.exec(line);
  if (match === null) return undefined;
  const [, packets = '0', , target = '', protocol = '', , , , source = '', destination = '', rest = ''] = match;
  const comments = [...rest.matchAll(/\/\*\s*(.*?)\s*\*\//g)].map((comment) => comment[1] ?? '');
  const port = /dpts?:(\d+)(?:\s|$)/.exec(rest);
  return {
    chain,
    key: ruleKey(chain, comments, positions),
    packets: Number(packets),
    target,
    source: source === '0.0.0.0/0' ? undefined : source,
    destination: destination === '0.0.0.0/0' ? undefined : destination,
    protocol: protocol === 'all' || protocol === '0' ? undefined : protocol,
    destinationPort: port === null ? undefined : Number(port[1]),
    comments,
    raw: line,
  };
}

/** Reads either dump format; other lines (tables, policies, headers) are skipped. */
export function parseCounterDump(dump: string): CounterRule[] {
  const rules: CounterRule[] = [];
  const positions = new Map<string, number>();
  let chain: string | undefined;
  for (const line of dump.split('\n')) {
    const header = /^Chain (\S+)/.exec(line);
    if (header !== null) {
      chain = header[1];
      continue;
    }
    const rule = line.trimStart().startsWith('[') ? parseSaveLine(line, positions) : chain === undefined ? undefined : parseListLine(line, chain, positions);
    if (rule !== undefined) rules.push(rule);
  }
  return rules;
}

function ipv4ToNumber(ip: string): number | undefined {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((part) => !Number.isInteger(part) || part < 0 || part > 255)) return undefined;
  return parts.reduce((total, part) => total * 256 + part, 0);
}

export function cidrContains(cidr: string, ip: string): boolean {
  const [network = '', bits = '32'] = cidr.split('/');
  const base = ipv4ToNumber(network);
  const address = ipv4ToNumber(ip);
  if (base === undefined || address === undefined) return cidr === ip;
  const size = 2 ** (32 - Number(bits));
  return Math.floor(base / size) === Math.floor(address / size);
}

const DEFAULT_DENY = 'Drop if no policies passed packet';

/** A Calico policy drop: an explicit Deny in a policy chain, or the endpoint's default deny. */
function isPolicyDrop(rule: CounterRule): boolean {
  if (rule.target !== 'DROP' && rule.target !== 'REJECT') return false;
  if (rule.comments.includes(DEFAULT_DENY)) return true;
  return rule.chain.startsWith('cali-pi-') || rule.chain.startsWith('cali-po-');
}

function fitsFlow(rule: CounterRule, flow: FlowDescriptor, interfaces: readonly string[] | undefined): boolean {
  const endpointChain = /^cali-[tf]w-(.+)$/.exec(rule.chain);
  if (endpointChain !== null && interfaces !== undefined && !interfaces.includes(endpointChain[1] ?? '')) return false;
  if (rule.source !== undefined && flow.sourceIp !== undefined && !cidrContains(rule.source, flow.sourceIp)) return false;
  if (rule.destination !== undefined && flow.destinationIp !== undefined && !cidrContains(rule.destination, flow.destinationIp)) {
    return false;
  }
  if (rule.destinationPort !== undefined && flow.destinationPort !== undefined && rule.destinationPort !== flow.destinationPort) {
    return false;
  }
  if (rule.protocol !== undefined) {
    const wanted = flow.protocol === 'http' ? 'tcp' : flow.protocol === 'dns' ? undefined : flow.protocol;
    if (wanted !== undefined && rule.protocol !== wanted) return false;
  }
  return true;
}

export interface CalicoCounterOptions {
  /** The dump taken just before the attempt. */
  readonly before: string;
  /** The dump taken just after it. */
  readonly after: string;
  readonly flow: FlowDescriptor;
  /**
   * Calico interface names (`cali1234…`) of the attempt's source and destination pods: per-endpoint chains
   * (`cali-fw-…`, `cali-tw-…`) of other pods are then ignored. Without them any endpoint's default deny counts.
   */
  readonly interfaces?: readonly string[];
  /**
   * The Calico interface of the attempt's own pod. Only a drop in its from-workload chain (`cali-fw-<it>`) is this
   * attempt's: policy chains and a destination's to-workload chain count every client's packets, so a rise there
   * is only `observed` — it may be another attempt's drop.
   */
  readonly sourceInterface?: string;
}

/**
 * Calico's iptables counters → evidence for layer `cni`: a policy drop rule whose packet counter rose
 * between the two dumps and whose addresses and port (when it names any) fit the flow is a denial.
 * Counters carry no time and no flow of their own: take the dumps right around one attempt.
 */
export function parseCalicoCounters(options: CalicoCounterOptions): EvidenceItem[] {
  const before = new Map(parseCounterDump(options.before).map((rule) => [`${rule.chain} ${rule.key}`, rule.packets]));
  const items: EvidenceItem[] = [];
  for (const rule of parseCounterDump(options.after)) {
    if (!isPolicyDrop(rule) || !fitsFlow(rule, options.flow, options.interfaces)) continue;
    const increase = rule.packets - (before.get(`${rule.chain} ${rule.key}`) ?? 0);
    if (increase <= 0) continue;
    const what = rule.comments.includes(DEFAULT_DENY) ? 'default deny (no policy passed the packet)' : 'policy Deny rule';
    const dropped = `${what} in ${rule.chain} dropped ${increase} more packet${increase === 1 ? '' : 's'}`;
    const own = options.sourceInterface !== undefined && rule.chain === `cali-fw-${options.sourceInterface}`;
    items.push({
      layer: 'cni',
      source: 'calico-counter',
      verdict: own ? 'denied' : 'observed',
      raw: rule.raw,
      rule: rule.chain,
      detail: own ? dropped : `${dropped}; the counter is shared by every client of the chain, so it may be another attempt's drop`,
      matched: own ? ['source-interface'] : [],
    });
  }
  return items;
}

import type { EvidenceItem, FlowDescriptor, TimeWindow } from '../domain/evidence.ts';
import { matchFlow, type FlowRecord } from './match-flow.ts';

/**
 * Evidence from the lab's nftables drop counters (layer `cni`, source `nft-counter`).
 *
 * Comment convention of every lab drop rule (written by clusters/lab/netpol, read here):
 *   `bm:deny ns=<namespace> pod=<pod> dir=<egress|ingress> policy=<ns/name>[,<ns/name>…]`
 * `policy` lists the NetworkPolicies that isolate the pod in that direction (none of which allowed the packet);
 * a list too long for nft's comment limit ends with `,+N` (N more). Each pod has its own drop rule and named
 * counter per direction: an egress counter belongs to one source pod. An ingress counter is shared by every client
 * of the destination, so an ingress drop counts only through the chain's per-source set (`update @src-… { ip saddr }`
 * just before the drop, one counter per source address): a drop is credited to the attempt whose source it was.
 */
export const NFT_DENY_PREFIX = 'bm:deny';
/** nft keeps at most this many bytes of a rule comment. */
export const NFT_COMMENT_MAX = 128;

export interface DenyComment {
  readonly namespace: string;
  readonly pod: string;
  readonly direction: 'egress' | 'ingress';
  readonly policies: readonly string[];
}

export function formatDenyComment(comment: DenyComment): string {
  const head = `${NFT_DENY_PREFIX} ns=${comment.namespace} pod=${comment.pod} dir=${comment.direction} policy=`;
  const kept: string[] = [];
  for (let index = 0; index < comment.policies.length; index++) {
    const policy = comment.policies[index] ?? '';
    const rest = comment.policies.length - index - 1;
    const candidate = [...kept, policy].join(',');
    const suffix = rest > 0 ? `,+${rest}` : '';
    if ((head + candidate + suffix).length > NFT_COMMENT_MAX - 1) {
      return `${head}${kept.join(',')},+${comment.policies.length - kept.length}`;
    }
    kept.push(policy);
  }
  return head + kept.join(',');
}

export function parseDenyComment(text: string): DenyComment | undefined {
  const match = /^bm:deny ns=(\S+) pod=(\S+) dir=(egress|ingress) policy=(\S*)$/.exec(text);
  if (match === null) return undefined;
  const [, namespace, pod, direction, policies] = match;
  if (namespace === undefined || pod === undefined || policies === undefined) return undefined;
  return {
    namespace,
    pod,
    direction: direction === 'ingress' ? 'ingress' : 'egress',
    policies: policies === '' ? [] : policies.split(',').filter((policy) => !/^\+\d+$/.test(policy)),
  };
}

/** One lab drop rule with its counter, as read from `nft -j list ruleset` of one node. */
export interface NftDropCounter extends DenyComment {
  /** Unique per lab: node + counter name. */
  readonly key: string;
  readonly node: string;
  readonly chain: string;
  readonly counterName: string;
  readonly packets: number;
  readonly bytes: number;
  /** The rule as nft knows it, with its counter: what a reader can check against `nft list ruleset`. */
  readonly raw: string;
  /** For an ingress drop: the one source address these packets came from (an element of the chain's source set). */
  readonly sourceIp?: string;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses `nft -j list ruleset` output and returns every `bm:deny` rule with its (named or inline) counter. */
export function parseNftDropCounters(json: string, node: string): NftDropCounter[] {
  const document: unknown = JSON.parse(json);
  const entries = isObject(document) && Array.isArray(document['nftables']) ? (document['nftables'] as unknown[]) : [];
  const named = new Map<string, { packets: number; bytes: number }>();
  for (const entry of entries) {
    const counter = isObject(entry) ? entry['counter'] : undefined;
    if (isObject(counter) && typeof counter['name'] === 'string') {
      named.set(`${String(counter['table'])}/${counter['name']}`, {
        packets: Number(counter['packets'] ?? 0),
        bytes: Number(counter['bytes'] ?? 0),
      });
    }
  }
  const sourceSets = new Map<string, { ip: string; packets: number; bytes: number }[]>();
  for (const entry of entries) {
    const set = isObject(entry) ? entry['set'] : undefined;
    if (!isObject(set) || typeof set['name'] !== 'string') continue;
    const elements = Array.isArray(set['elem']) ? (set['elem'] as unknown[]) : [];
    sourceSets.set(
      `${String(set['table'])}/${set['name']}`,
      elements.flatMap((element) => {
        const inner = isObject(element) ? element['elem'] : undefined;
        if (!isObject(inner) || typeof inner['val'] !== 'string' || !isObject(inner['counter'])) return [];
        return [{ ip: inner['val'], packets: Number(inner['counter']['packets'] ?? 0), bytes: Number(inner['counter']['bytes'] ?? 0) }];
      }),
    );
  }
  // The source set a chain records into (the rule before its drop): chain → set.
  const chainSourceSet = new Map<string, string>();
  for (const entry of entries) {
    const rule = isObject(entry) ? entry['rule'] : undefined;
    if (!isObject(rule)) continue;
    for (const expression of Array.isArray(rule['expr']) ? (rule['expr'] as unknown[]) : []) {
      const update = isObject(expression) ? expression['set'] : undefined;
      if (isObject(update) && update['op'] === 'update' && typeof update['set'] === 'string') {
        chainSourceSet.set(`${String(rule['table'])}/${String(rule['chain'])}`, `${String(rule['table'])}/${update['set'].replace(/^@/, '')}`);
      }
    }
  }
  const found: NftDropCounter[] = [];
  for (const entry of entries) {
    const rule = isObject(entry) ? entry['rule'] : undefined;
    if (!isObject(rule) || typeof rule['comment'] !== 'string') continue;
    const comment = parseDenyComment(rule['comment']);
    if (comment === undefined) continue;
    const expressions = Array.isArray(rule['expr']) ? (rule['expr'] as unknown[]) : [];
    let counterName = '';
    let packets = 0;
    let bytes = 0;
    for (const expression of expressions) {
      if (!isObject(expression) || !('counter' in expression)) continue;
      const counter = expression['counter'];
      if (typeof counter === 'string') {
        counterName = counter;
        const values = named.get(`${String(rule['table'])}/${counter}`);
        packets = values?.packets ?? 0;
        bytes = values?.bytes ?? 0;
      } else if (isObject(counter)) {
        counterName = `${String(rule['chain'])}#${String(rule['handle'])}`;
        packets = Number(counter['packets'] ?? 0);
        bytes = Number(counter['bytes'] ?? 0);
      }
    }
    if (counterName === '') continue;
    const raw =
      `${node}: table ${String(rule['family'])} ${String(rule['table'])} chain ${String(rule['chain'])} ` +
      `handle ${String(rule['handle'])}: counter ${counterName} packets ${packets} bytes ${bytes} drop ` +
      `comment "${rule['comment']}"`;
    const common = { ...comment, node, chain: String(rule['chain']), counterName };
    const setKey = chainSourceSet.get(`${String(rule['table'])}/${String(rule['chain'])}`);
    const perSource = setKey === undefined ? undefined : sourceSets.get(setKey);
    if (comment.direction === 'ingress' && perSource !== undefined) {
      for (const element of perSource) {
        found.push({
          ...common,
          key: `${node}/${counterName}/${element.ip}`,
          packets: element.packets,
          bytes: element.bytes,
          sourceIp: element.ip,
          raw: `${raw}; set ${setKey?.split('/')[1] ?? ''} element ${element.ip} counter packets ${element.packets} bytes ${element.bytes}`,
        });
      }
      continue;
    }
    found.push({ ...common, key: `${node}/${counterName}`, packets, bytes, raw });
  }
  return found;
}

export interface CounterContext {
  /** IP of a pod by `namespace/name`, so an ingress counter can be matched on the flow's destination. */
  readonly podIps: ReadonlyMap<string, string>;
  readonly window: TimeWindow;
}

/**
 * Evidence items for drop counters that grew since `baseline` (packets by counter key; absent = 0, a new pod's
 * counter or source) and that belong to the flow: the egress counter of the flow's source pod, or the per-source
 * ingress counter of its destination pod for the flow's own source address. A shared ingress counter never counts.
 */
export function nftCounterEvidence(
  counters: readonly NftDropCounter[],
  baseline: ReadonlyMap<string, number>,
  flow: FlowDescriptor,
  context: CounterContext,
): EvidenceItem[] {
  const items: EvidenceItem[] = [];
  for (const counter of counters) {
    const before = baseline.get(counter.key) ?? 0;
    if (counter.packets <= before) continue;
    const podIp = context.podIps.get(`${counter.namespace}/${counter.pod}`);
    const record: FlowRecord =
      counter.direction === 'egress'
        ? { sourcePod: counter.pod, sourceNamespace: counter.namespace, ...(podIp === undefined ? {} : { sourceIp: podIp }) }
        : { ...(podIp === undefined ? {} : { destinationIp: podIp }), ...(counter.sourceIp === undefined ? {} : { sourceIp: counter.sourceIp }) };
    const matched = matchFlow(record, flow, context.window);
    if (matched === undefined) continue;
    const grew = counter.packets - before;
    const from = counter.sourceIp === undefined ? '' : ` from ${counter.sourceIp}`;
    items.push({
      layer: 'cni',
      source: 'nft-counter',
      verdict: 'denied',
      raw: counter.raw,
      detail: `${grew} packet(s)${from} dropped on ${counter.node}: ${counter.direction} of ${counter.namespace}/${counter.pod}, allowed by none of its NetworkPolicies`,
      rule: counter.policies.join(','),
      at: context.window.to.toISOString(),
      matched,
    });
  }
  return items;
}

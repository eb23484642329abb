import { z } from 'zod';
import type { KubeObject } from '../../../core/domain/cluster.ts';
import { BadInputError } from '../../../core/domain/errors.ts';
import { formatZodIssues } from './zod-message.ts';

const selectorSchema = z
  .object({
    matchLabels: z.record(z.string(), z.string()).optional(),
    matchExpressions: z
      .array(
        z.object({
          key: z.string(),
          operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
          values: z.array(z.string()).optional(),
        }),
      )
      .optional(),
  })
  .strict();

const peerSchema = z
  .object({
    podSelector: selectorSchema.optional(),
    namespaceSelector: selectorSchema.optional(),
    ipBlock: z.object({ cidr: z.string(), except: z.array(z.string()).optional() }).strict().optional(),
  })
  .strict();

const portSchema = z
  .object({
    protocol: z.enum(['TCP', 'UDP', 'SCTP']).optional(),
    port: z.union([z.number().int().min(1).max(65_535), z.string().min(1)]).optional(),
    endPort: z.number().int().min(1).max(65_535).optional(),
  })
  .strict();

const specSchema = z
  .object({
    podSelector: selectorSchema,
    policyTypes: z.array(z.enum(['Ingress', 'Egress'])).optional(),
    ingress: z.array(z.object({ from: z.array(peerSchema).optional(), ports: z.array(portSchema).optional() }).strict()).optional(),
    egress: z.array(z.object({ to: z.array(peerSchema).optional(), ports: z.array(portSchema).optional() }).strict()).optional(),
  })
  .strict();

export type LabelSelector = z.infer<typeof selectorSchema>;

export interface PolicyPeer {
  readonly podSelector?: LabelSelector;
  readonly namespaceSelector?: LabelSelector;
  readonly ipBlock?: { readonly cidr: string; readonly except: readonly string[] };
}

export interface PolicyPort {
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
  /** Undefined: every port of the protocol. A string is a named container port. */
  readonly port?: number | string;
  readonly endPort?: number;
}

/** One ingress or egress rule; `any` where the field was omitted or empty (which Kubernetes reads as "all"). */
export interface PolicyRule {
  readonly peers: readonly PolicyPeer[] | 'any';
  readonly ports: readonly PolicyPort[] | 'any';
}

export interface LabNetworkPolicy {
  readonly namespace: string;
  readonly name: string;
  readonly podSelector: LabelSelector;
  /** Present when the policy isolates selected pods for ingress; [] = deny all ingress. */
  readonly ingress?: readonly PolicyRule[];
  readonly egress?: readonly PolicyRule[];
}

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

function checkCidr(cidr: string, where: string): void {
  const match = CIDR.exec(cidr);
  const valid = match !== null && match.slice(1, 5).every((octet) => Number(octet) <= 255) && Number(match[5]) <= 32;
  if (!valid) throw new BadInputError(`"${cidr}" is not an IPv4 CIDR (the lab is IPv4 only)`, where, 'a.b.c.d/n');
}

/** Reads and validates a `networking.k8s.io/v1` NetworkPolicy; errors name the policy and the field. */
export function parseNetworkPolicy(object: KubeObject): LabNetworkPolicy {
  const namespace = object.metadata.namespace ?? '';
  const where = `NetworkPolicy ${namespace}/${object.metadata.name}`;
  if (namespace === '') throw new BadInputError('metadata.namespace is missing', where, 'a namespace name');
  const parsed = specSchema.safeParse(object['spec']);
  if (!parsed.success) throw new BadInputError(formatZodIssues(parsed.error), `${where} spec`, 'networking.k8s.io/v1 NetworkPolicy fields');
  const spec = parsed.data;
  const peers = (list: readonly z.infer<typeof peerSchema>[] | undefined, field: string): PolicyPeer[] | 'any' => {
    if (list === undefined || list.length === 0) return 'any';
    return list.map((peer, index) => {
      const at = `${where} ${field}[${index}]`;
      if (peer.ipBlock !== undefined && (peer.podSelector !== undefined || peer.namespaceSelector !== undefined)) {
        throw new BadInputError('ipBlock cannot be combined with a selector in one peer', at, 'ipBlock alone, or podSelector and/or namespaceSelector');
      }
      if (peer.ipBlock === undefined && peer.podSelector === undefined && peer.namespaceSelector === undefined) {
        throw new BadInputError('empty peer', at, 'podSelector, namespaceSelector or ipBlock');
      }
      if (peer.ipBlock !== undefined) {
        checkCidr(peer.ipBlock.cidr, `${at}.ipBlock.cidr`);
        for (const except of peer.ipBlock.except ?? []) checkCidr(except, `${at}.ipBlock.except`);
        return { ipBlock: { cidr: peer.ipBlock.cidr, except: peer.ipBlock.except ?? [] } };
      }
      return {
        ...(peer.podSelector === undefined ? {} : { podSelector: peer.podSelector }),
        ...(peer.namespaceSelector === undefined ? {} : { namespaceSelector: peer.namespaceSelector }),
      };
    });
  };
  const ports = (list: readonly z.infer<typeof portSchema>[] | undefined, field: string): PolicyPort[] | 'any' => {
    if (list === undefined || list.length === 0) return 'any';
    return list.map((port, index) => {
      if (port.endPort !== undefined && typeof port.port !== 'number') {
        throw new BadInputError('endPort needs a numeric port', `${where} ${field}.ports[${index}]`, 'port: <number>, endPort >= port');
      }
      if (port.endPort !== undefined && typeof port.port === 'number' && port.endPort < port.port) {
        throw new BadInputError(`endPort ${port.endPort} is below port ${port.port}`, `${where} ${field}.ports[${index}]`, 'endPort >= port');
      }
      return {
        protocol: port.protocol ?? 'TCP',
        ...(port.port === undefined ? {} : { port: port.port }),
        ...(port.endPort === undefined ? {} : { endPort: port.endPort }),
      };
    });
  };
  const types = spec.policyTypes ?? (spec.egress !== undefined ? ['Ingress', 'Egress'] : ['Ingress']);
  return {
    namespace,
    name: object.metadata.name,
    podSelector: spec.podSelector,
    ...(types.includes('Ingress')
      ? { ingress: (spec.ingress ?? []).map((rule, i) => ({ peers: peers(rule.from, `ingress[${i}].from`), ports: ports(rule.ports, `ingress[${i}]`) })) }
      : {}),
    ...(types.includes('Egress')
      ? { egress: (spec.egress ?? []).map((rule, i) => ({ peers: peers(rule.to, `egress[${i}].to`), ports: ports(rule.ports, `egress[${i}]`) })) }
      : {}),
  };
}

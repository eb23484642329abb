import { z } from 'zod';
import type { KubeObject } from '../../../core/domain/cluster.ts';
import { BadInputError } from '../../../core/domain/errors.ts';

/**
 * Typed views of the Istio objects the lab sidecar enforces, read from the same plain objects the kind
 * provider applies. Fields the lab cannot model (`when`, CUSTOM/AUDIT actions) are refused loudly rather
 * than silently ignored, so a lab cell never claims an enforcement it did not do.
 */

/** Istio's root namespace: policies here without a selector apply to the whole mesh. */
export const ROOT_NAMESPACE = 'istio-system';

export const MTLS_MODES = ['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT'] as const;
export type MtlsMode = (typeof MTLS_MODES)[number];

export interface PeerAuthenticationView {
  readonly namespace: string;
  readonly name: string;
  readonly selector?: Readonly<Record<string, string>>;
  readonly mode: MtlsMode;
  readonly portLevel: ReadonlyMap<number, MtlsMode>;
}

export interface SourceView {
  readonly principals?: readonly string[];
  readonly notPrincipals?: readonly string[];
  readonly namespaces?: readonly string[];
  readonly notNamespaces?: readonly string[];
}

export interface OperationView {
  readonly ports?: readonly number[];
  readonly notPorts?: readonly number[];
  readonly methods?: readonly string[];
  readonly notMethods?: readonly string[];
  readonly paths?: readonly string[];
  readonly notPaths?: readonly string[];
}

export interface RuleView {
  readonly from?: readonly SourceView[];
  readonly to?: readonly OperationView[];
}

export interface AuthorizationPolicyView {
  readonly namespace: string;
  readonly name: string;
  readonly selector?: Readonly<Record<string, string>>;
  readonly action: 'ALLOW' | 'DENY';
  readonly rules: readonly RuleView[];
}

export interface SidecarView {
  readonly namespace: string;
  readonly name: string;
  readonly selector?: Readonly<Record<string, string>>;
  readonly outboundMode?: 'ALLOW_ANY' | 'REGISTRY_ONLY';
}

const labels = z.record(z.string(), z.string());
const strings = z.array(z.string()).optional();
const selectorSchema = z.object({ matchLabels: labels.optional() }).optional();
const modeSchema = z.enum(MTLS_MODES);

const peerAuthSpec = z.object({
  selector: selectorSchema,
  mtls: z.object({ mode: modeSchema.optional() }).optional(),
  portLevelMtls: z.record(z.string().regex(/^\d+$/), z.object({ mode: modeSchema.optional() })).optional(),
});

const authzSpec = z.object({
  selector: selectorSchema,
  action: z.enum(['ALLOW', 'DENY', 'AUDIT', 'CUSTOM']).optional(),
  rules: z
    .array(
      z
        .object({
          from: z
            .array(
              z.object({
                source: z
                  .object({
                    principals: strings,
                    notPrincipals: strings,
                    namespaces: strings,
                    notNamespaces: strings,
                  })
                  .strict(),
              }),
            )
            .optional(),
          to: z
            .array(
              z.object({
                operation: z
                  .object({
                    ports: strings,
                    notPorts: strings,
                    methods: strings,
                    notMethods: strings,
                    paths: strings,
                    notPaths: strings,
                  })
                  .strict(),
              }),
            )
            .optional(),
        })
        .strict(),
    )
    .optional(),
});

const sidecarSpec = z.object({
  workloadSelector: z.object({ labels: labels.optional() }).optional(),
  outboundTrafficPolicy: z.object({ mode: z.enum(['ALLOW_ANY', 'REGISTRY_ONLY']).optional() }).optional(),
});

function where(object: KubeObject): string {
  return `${object.kind} ${object.metadata.namespace ?? '(no namespace)'}/${object.metadata.name}`;
}

function parseSpec<T>(schema: z.ZodType<T>, object: KubeObject): T {
  const result = schema.safeParse(object['spec'] ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue === undefined ? '' : issue.path.join('.');
    throw new BadInputError(
      `spec.${path}: ${issue?.message ?? 'invalid'}`,
      where(object),
      'the fields the lab sidecar models (see clusters/lab/sidecar/istio-objects.ts)',
    );
  }
  return result.data;
}

function ports(values: readonly string[] | undefined, object: KubeObject): number[] | undefined {
  return values?.map((value) => {
    const port = Number(value);
    if (!/^\d+$/.test(value) || port < 1 || port > 65535) {
      throw new BadInputError(`"${value}" is not a port`, where(object), 'port numbers as strings');
    }
    return port;
  });
}

function namespaceOf(object: KubeObject): string {
  const namespace = object.metadata.namespace;
  if (namespace === undefined || namespace === '') {
    throw new BadInputError('has no metadata.namespace', where(object), 'a namespace');
  }
  return namespace;
}

function isKind(object: KubeObject, kind: string): boolean {
  return object.kind === kind && /^(security|networking)\.istio\.io\//.test(object.apiVersion);
}

export function peerAuthentications(objects: readonly KubeObject[]): PeerAuthenticationView[] {
  return objects
    .filter((object) => isKind(object, 'PeerAuthentication'))
    .map((object) => {
      const spec = parseSpec(peerAuthSpec, object);
      const portLevel = new Map<number, MtlsMode>();
      for (const [port, value] of Object.entries(spec.portLevelMtls ?? {})) {
        portLevel.set(Number(port), value.mode ?? 'UNSET');
      }
      const selector = spec.selector?.matchLabels;
      return {
        namespace: namespaceOf(object),
        name: object.metadata.name,
        ...(selector === undefined ? {} : { selector }),
        mode: spec.mtls?.mode ?? 'UNSET',
        portLevel,
      };
    });
}

export function authorizationPolicies(objects: readonly KubeObject[]): AuthorizationPolicyView[] {
  return objects
    .filter((object) => isKind(object, 'AuthorizationPolicy'))
    .map((object) => {
      const spec = parseSpec(authzSpec, object);
      const action = spec.action ?? 'ALLOW';
      if (action !== 'ALLOW' && action !== 'DENY') {
        throw new BadInputError(`action ${action} is not modelled by the lab sidecar`, where(object), 'ALLOW, DENY');
      }
      const selector = spec.selector?.matchLabels;
      return {
        namespace: namespaceOf(object),
        name: object.metadata.name,
        ...(selector === undefined ? {} : { selector }),
        action,
        rules: (spec.rules ?? []).map((rule) => ({
          ...(rule.from === undefined ? {} : { from: rule.from.map((entry) => entry.source) }),
          ...(rule.to === undefined
            ? {}
            : {
                to: rule.to.map((entry) => {
                  const { ports: p, notPorts: np, ...rest } = entry.operation;
                  const parsed = ports(p, object);
                  const parsedNot = ports(np, object);
                  return {
                    ...rest,
                    ...(parsed === undefined ? {} : { ports: parsed }),
                    ...(parsedNot === undefined ? {} : { notPorts: parsedNot }),
                  };
                }),
              }),
        })),
      };
    });
}

export function sidecars(objects: readonly KubeObject[]): SidecarView[] {
  return objects
    .filter((object) => isKind(object, 'Sidecar'))
    .map((object) => {
      const spec = parseSpec(sidecarSpec, object);
      const selector = spec.workloadSelector?.labels;
      const mode = spec.outboundTrafficPolicy?.mode;
      return {
        namespace: namespaceOf(object),
        name: object.metadata.name,
        ...(selector === undefined ? {} : { selector }),
        ...(mode === undefined ? {} : { outboundMode: mode }),
      };
    });
}

/** A `matchLabels` selector: every listed label must be present with that value. */
export function selects(selector: Readonly<Record<string, string>> | undefined, podLabels: Readonly<Record<string, string>>): boolean {
  if (selector === undefined) return true;
  return Object.entries(selector).every(([key, value]) => podLabels[key] === value);
}

/** Which workload a policy is being resolved for. */
export interface WorkloadRef {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * outboundTrafficPolicy for a workload: a selecting Sidecar in its namespace, else the namespace-wide one,
 * else the root namespace's default, else the mesh default ALLOW_ANY.
 */
export function outboundMode(objects: readonly KubeObject[], workload: WorkloadRef): 'ALLOW_ANY' | 'REGISTRY_ONLY' {
  const all = sidecars(objects);
  const inNamespace = all.filter((s) => s.namespace === workload.namespace);
  const chosen =
    inNamespace.find((s) => s.selector !== undefined && selects(s.selector, workload.labels)) ??
    inNamespace.find((s) => s.selector === undefined) ??
    all.find((s) => s.namespace === ROOT_NAMESPACE && s.selector === undefined);
  return chosen?.outboundMode ?? 'ALLOW_ANY';
}

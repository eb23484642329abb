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
  readonly hosts?: readonly string[];
  readonly notHosts?: readonly string[];
}

export interface RuleView {
  readonly from?: readonly SourceView[];
  readonly to?: readonly OperationView[];
}

export interface PolicyTargetView {
  readonly group: string;
  readonly kind: string;
  readonly name: string;
}

export interface AuthorizationPolicyView {
  readonly namespace: string;
  readonly name: string;
  readonly selector?: Readonly<Record<string, string>>;
  /** Set when the policy is attached with `targetRefs`/`targetRef`: it then applies to no sidecar. */
  readonly targetRefs?: readonly PolicyTargetView[];
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
const selectorSchema = z.strictObject({ matchLabels: labels.optional() }).optional();
const modeSchema = z.enum(MTLS_MODES);

/**
 * A field upstream Istio has and the lab does not model: accepted by the schema only to be refused by name, so a
 * user learns the lab skipped nothing silently. Unknown fields are refused by the strict objects themselves.
 */
function notModelled(what: string) {
  return z
    .unknown()
    .optional()
    .superRefine((value, context) => {
      if (value !== undefined) context.addIssue({ code: 'custom', message: `${what} is not modelled by the lab sidecar` });
    });
}

const peerAuthSpec = z.strictObject({
  selector: selectorSchema,
  mtls: z.strictObject({ mode: modeSchema.optional() }).optional(),
  portLevelMtls: z.record(z.string().regex(/^\d+$/), z.strictObject({ mode: modeSchema.optional() })).optional(),
});

/**
 * Where a policy is attached instead of a selector (security.istio.io/v1 `targetRefs`, and the deprecated singular
 * `targetRef`): https://istio.io/latest/docs/reference/config/security/authorization-policy/ lists Gateway,
 * GatewayClass, Service and ServiceEntry.
 */
const TARGET_KINDS = ['Gateway', 'GatewayClass', 'Service', 'ServiceEntry'] as const;
const targetRefSchema = z.strictObject({
  group: z.string().optional(),
  kind: z.enum(TARGET_KINDS),
  name: z.string().min(1),
  namespace: z.string().optional(),
});

/**
 * security.istio.io/v1 AuthorizationPolicy, every field of the reference: the modelled ones parsed, the others
 * refused by name (`when`, `ipBlocks`, `requestPrincipals`, `provider`, …), anything else unknown.
 */
const authzSpec = z.strictObject({
  selector: selectorSchema,
  targetRef: targetRefSchema.optional(),
  targetRefs: z.array(targetRefSchema).optional(),
  action: z.enum(['ALLOW', 'DENY', 'AUDIT', 'CUSTOM']).optional(),
  provider: notModelled('provider (CUSTOM authorization)'),
  rules: z
    .array(
      z.strictObject({
        from: z
          .array(
            z.strictObject({
              source: z.strictObject({
                principals: strings,
                notPrincipals: strings,
                namespaces: strings,
                notNamespaces: strings,
                requestPrincipals: notModelled('requestPrincipals (JWT)'),
                notRequestPrincipals: notModelled('notRequestPrincipals (JWT)'),
                serviceAccounts: notModelled('serviceAccounts'),
                notServiceAccounts: notModelled('notServiceAccounts'),
                ipBlocks: notModelled('ipBlocks'),
                notIpBlocks: notModelled('notIpBlocks'),
                remoteIpBlocks: notModelled('remoteIpBlocks'),
                notRemoteIpBlocks: notModelled('notRemoteIpBlocks'),
              }),
            }),
          )
          .optional(),
        to: z
          .array(
            z.strictObject({
              operation: z.strictObject({
                ports: strings,
                notPorts: strings,
                methods: strings,
                notMethods: strings,
                paths: strings,
                notPaths: strings,
                hosts: strings,
                notHosts: strings,
              }),
            }),
          )
          .optional(),
        when: notModelled('when (conditions)'),
      }),
    )
    .optional(),
});

const sidecarSpec = z.strictObject({
  workloadSelector: z.strictObject({ labels: labels.optional() }).optional(),
  outboundTrafficPolicy: z
    .strictObject({
      mode: z.enum(['ALLOW_ANY', 'REGISTRY_ONLY']).optional(),
      egressProxy: notModelled('outboundTrafficPolicy.egressProxy'),
    })
    .optional(),
  ingress: notModelled('ingress listeners'),
  egress: notModelled('egress listeners'),
  inboundConnectionPool: notModelled('inboundConnectionPool'),
});

function where(object: KubeObject): string {
  return `${object.kind} ${object.metadata.namespace ?? '(no namespace)'}/${object.metadata.name}`;
}

function fieldPath(path: readonly PropertyKey[]): string {
  return ['spec', ...path].map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('').replace(/^\./, '');
}

function parseSpec<T>(schema: z.ZodType<T>, object: KubeObject): T {
  const result = schema.safeParse(object['spec'] ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    const field =
      issue === undefined ? 'spec' : issue.code === 'unrecognized_keys' ? fieldPath([...issue.path, issue.keys[0] ?? '']) : fieldPath(issue.path);
    const message = issue === undefined ? 'invalid' : issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message;
    throw new BadInputError(
      `${field}: ${message}`,
      where(object),
      `the fields the lab sidecar models (clusters/lab/README.md, "Known differences")`,
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
      const targets = [...(spec.targetRef === undefined ? [] : [spec.targetRef]), ...(spec.targetRefs ?? [])];
      const attachments = [spec.selector !== undefined, spec.targetRef !== undefined, (spec.targetRefs ?? []).length > 0].filter(Boolean);
      if (attachments.length > 1) {
        // istio/istio pkg/config/validation: "only one of targetRefs or workloadSelector can be set".
        throw new BadInputError('sets more than one of selector, targetRef and targetRefs', where(object), 'one of them, as upstream validation requires');
      }
      const selector = spec.selector?.matchLabels;
      return {
        namespace: namespaceOf(object),
        name: object.metadata.name,
        ...(selector === undefined ? {} : { selector }),
        ...(targets.length === 0
          ? {}
          : { targetRefs: targets.map((target) => ({ group: target.group ?? '', kind: target.kind, name: target.name })) }),
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

/**
 * What the lab accepted but enforces nowhere, one sentence per object: AuthorizationPolicies attached with
 * `targetRefs` bind to a Gateway or to a waypoint, which a sidecar never is (as upstream). Every Istio object is
 * parsed here, so an unknown or unmodelled field anywhere is refused at once.
 */
export function istioObjectNotes(objects: readonly KubeObject[]): string[] {
  peerAuthentications(objects);
  sidecars(objects);
  return authorizationPolicies(objects)
    .filter((policy) => policy.targetRefs !== undefined)
    .map(
      (policy) =>
        `AuthorizationPolicy ${policy.namespace}/${policy.name} is attached with targetRefs (${(policy.targetRefs ?? [])
          .map((target) => `${target.kind}/${target.name}`)
          .join(', ')}): it applies to no sidecar, as upstream`,
    );
}

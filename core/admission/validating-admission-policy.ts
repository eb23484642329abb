import type { V1Pod } from '@kubernetes/client-node';
import { z } from 'zod';
import type { KubeObject, PodRequester } from '../domain/cluster.ts';
import { BadInputError } from '../domain/errors.ts';
import { SCENE } from '../../manifests/scene.ts';
import { celValue, compileCel, type CompiledCel } from './cel-expression.ts';
import type { AdmissionDecision } from './admission-decision.ts';

/**
 * ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1) as the API server evaluates it for pod creation
 * (https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/), with a real CEL
 * implementation (@bufbuild/cel) and the API server's denial wording, from the apiserver's
 * staging/src/k8s.io/apiserver/pkg/admission/plugin/ sources:
 * - policy/validating/dispatcher.go (`ValidatingAdmissionPolicy '%s' with binding '%s' denied request: %s`, wrapped by
 *   admission.NewForbidden as `pods "<name>" is forbidden: …`; `failed to configure binding: %w` for a missing param),
 *   https://github.com/kubernetes/kubernetes/blob/master/staging/src/k8s.io/apiserver/pkg/admission/plugin/policy/validating/dispatcher.go
 * - policy/validating/validator.go (`failed expression: <expr>` when a validation has no message),
 *   https://github.com/kubernetes/kubernetes/blob/master/staging/src/k8s.io/apiserver/pkg/admission/plugin/policy/validating/validator.go
 * - cel/filter.go (`expression '%v' resulted in error: %v` for an evaluation error),
 *   https://github.com/kubernetes/kubernetes/blob/master/staging/src/k8s.io/apiserver/pkg/admission/plugin/cel/filter.go
 * Modelled: pod CREATE, paramKind v1 ConfigMap, paramRef by name (namespace or the pod's), namespaceSelector,
 * failurePolicy Fail, validationActions [Deny]. Every other field is refused at apply (strict schemas below).
 * `request.userInfo` is the requester the caller names (manifests/scene.ts `requesters`): the evaluator
 * authenticates no one and models no RBAC, it only tells admission who asked, as the API server would.
 */
const VAP_API_VERSION = 'admissionregistration.k8s.io/v1';

const resourceRule = z
  .object({
    apiGroups: z.array(z.literal('')).min(1),
    apiVersions: z.array(z.literal('v1')).min(1),
    operations: z.array(z.enum(['CREATE', 'UPDATE', '*'])).min(1),
    resources: z.array(z.literal('pods')).min(1),
  })
  .strict();

const policySpec = z
  .object({
    failurePolicy: z.literal('Fail').optional(),
    paramKind: z.object({ apiVersion: z.literal('v1'), kind: z.literal('ConfigMap') }).strict().optional(),
    matchConstraints: z.object({ resourceRules: z.array(resourceRule).min(1) }).strict(),
    validations: z
      .array(z.object({ expression: z.string().min(1), message: z.string().optional(), reason: z.string().optional() }).strict())
      .min(1),
  })
  .strict();

const labelSelector = z
  .object({
    matchLabels: z.record(z.string(), z.string()).optional(),
    matchExpressions: z
      .array(
        z
          .object({ key: z.string(), operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']), values: z.array(z.string()).optional() })
          .strict(),
      )
      .optional(),
  })
  .strict();
type LabelSelector = z.infer<typeof labelSelector>;

const bindingSpec = z
  .object({
    policyName: z.string().min(1),
    paramRef: z
      // parameterNotFoundAction has no default: the API server requires it whenever paramRef is set (validateParamRef in
      // https://github.com/kubernetes/kubernetes/blob/master/pkg/apis/admissionregistration/validation/validation.go).
      .object({ name: z.string().min(1), namespace: z.string().optional(), parameterNotFoundAction: z.enum(['Allow', 'Deny']) })
      .strict()
      .optional(),
    validationActions: z.tuple([z.literal('Deny')]),
    matchResources: z.object({ namespaceSelector: labelSelector.optional() }).strict().optional(),
  })
  .strict();

interface EvaluatedPolicy {
  readonly name: string;
  readonly hasParams: boolean;
  /** Whether its matchConstraints select pod CREATE (the only operation evaluated). */
  readonly matchesCreate: boolean;
  readonly validations: readonly { readonly expression: CompiledCel; readonly message?: string }[];
}

interface StoredBinding {
  readonly name: string;
  readonly spec: z.infer<typeof bindingSpec>;
}

function parseSpec<T>(schema: z.ZodType<T>, object: KubeObject): T {
  const result = schema.safeParse(object['spec']);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => `${issue.path.join('.') || 'spec'}: ${issue.message}`).join('; ');
    throw new BadInputError(`the admission evaluator does not model this ${object.kind}: ${issues}`, `apply ${object.kind} ${object.metadata.name}`, 'see core/admission/validating-admission-policy.ts');
  }
  return result.data;
}

export function isAdmissionPolicyObject(object: KubeObject): boolean {
  return object.apiVersion === VAP_API_VERSION && (object.kind === 'ValidatingAdmissionPolicy' || object.kind === 'ValidatingAdmissionPolicyBinding');
}

function parsePolicy(object: KubeObject): EvaluatedPolicy {
  const spec = parseSpec(policySpec, object);
  return {
    name: object.metadata.name,
    hasParams: spec.paramKind !== undefined,
    matchesCreate: spec.matchConstraints.resourceRules.some((rule) => rule.operations.includes('CREATE') || rule.operations.includes('*')),
    validations: spec.validations.map((validation, index) => ({
      expression: compileCel(validation.expression, `ValidatingAdmissionPolicy ${object.metadata.name} spec.validations[${index}]`),
      ...(validation.message === undefined ? {} : { message: validation.message }),
    })),
  };
}

function configMapData(object: KubeObject): Readonly<Record<string, string>> {
  const result = z.record(z.string(), z.string()).optional().safeParse(object['data']);
  if (!result.success) throw new BadInputError('ConfigMap data must map strings to strings', `apply ConfigMap ${object.metadata.name}`, 'string values');
  const extra = Object.keys(object).filter((key) => !['apiVersion', 'kind', 'metadata', 'data'].includes(key));
  if (extra.length > 0) throw new BadInputError(`the admission evaluator does not model ConfigMap fields ${extra.join(', ')}`, `apply ConfigMap ${object.metadata.name}`, 'data');
  return result.data ?? {};
}

function selects(selector: LabelSelector | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (selector === undefined) return true;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const present = key in labels;
    const value = labels[key];
    if (operator === 'In' && !(present && value !== undefined && values.includes(value))) return false;
    if (operator === 'NotIn' && present && value !== undefined && values.includes(value)) return false;
    if (operator === 'Exists' && !present) return false;
    if (operator === 'DoesNotExist' && present) return false;
  }
  return true;
}

function forbidden(pod: V1Pod, policy: string, binding: string, message: string): AdmissionDecision {
  return {
    allowed: false,
    message: `pods "${pod.metadata?.name ?? ''}" is forbidden: ValidatingAdmissionPolicy '${policy}' with binding '${binding}' denied request: ${message}`,
  };
}

interface AdmissionRequest {
  readonly pod: V1Pod;
  readonly namespace: string;
  readonly namespaceLabels: Readonly<Record<string, string>>;
  readonly requester: PodRequester;
}

/** authentication.k8s.io/v1 UserInfo as admission sees it (username and groups; no uid or extra modelled). */
function requestUser(requester: PodRequester): { username: string; groups: string[] } {
  const user = requester === 'harness' ? SCENE.requesters.harness : SCENE.requesters.podCreator;
  return { username: user.username, groups: [...user.groups] };
}

/** The API server's ValidatingAdmissionPolicy plugin for pod CREATE: policies, bindings and the ConfigMaps params may name. */
export class AdmissionPolicyEvaluator {
  private readonly policies = new Map<string, EvaluatedPolicy>();
  private readonly bindings = new Map<string, StoredBinding>();
  private readonly configMaps = new Map<string, Readonly<Record<string, string>>>();

  /** Parse without storing, so `apply` can refuse a bad object before anything changes. */
  static validate(object: KubeObject): void {
    if (object.kind === 'ValidatingAdmissionPolicy') parsePolicy(object);
    else if (object.kind === 'ValidatingAdmissionPolicyBinding') parseSpec(bindingSpec, object);
    else configMapData(object);
  }

  /** Store a policy, binding or ConfigMap; false for any other object. */
  accept(object: KubeObject): boolean {
    if (object.apiVersion === VAP_API_VERSION && object.kind === 'ValidatingAdmissionPolicy') {
      this.policies.set(object.metadata.name, parsePolicy(object));
      return true;
    }
    if (object.apiVersion === VAP_API_VERSION && object.kind === 'ValidatingAdmissionPolicyBinding') {
      this.bindings.set(object.metadata.name, { name: object.metadata.name, spec: parseSpec(bindingSpec, object) });
      return true;
    }
    if (object.apiVersion === 'v1' && object.kind === 'ConfigMap') {
      const data = configMapData(object);
      this.configMaps.set(`${object.metadata.namespace ?? ''}/${object.metadata.name}`, data);
      return true;
    }
    return false;
  }

  /** Bindings in name order (the API server reports the first denial it collects). */
  admit(pod: V1Pod, namespace: string, namespaceLabels: Readonly<Record<string, string>>, requester: PodRequester = 'harness'): AdmissionDecision {
    const bindings = [...this.bindings.values()].sort((a, b) => a.name.localeCompare(b.name));
    for (const binding of bindings) {
      const policy = this.policies.get(binding.spec.policyName);
      // A binding whose policy does not exist does nothing, as in the API server; nor does one not matching CREATE.
      if (policy === undefined || !policy.matchesCreate) continue;
      if (!selects(binding.spec.matchResources?.namespaceSelector, namespaceLabels)) continue;
      const denial = this.evaluate(policy, binding, { pod, namespace, namespaceLabels, requester });
      if (denial !== undefined) return denial;
    }
    return { allowed: true };
  }

  private evaluate(policy: EvaluatedPolicy, binding: StoredBinding, request: AdmissionRequest): AdmissionDecision | undefined {
    const { pod, namespace, namespaceLabels, requester } = request;
    let params: Readonly<Record<string, string>> | null = null;
    const ref = binding.spec.paramRef;
    if (policy.hasParams && ref !== undefined) {
      const found = this.configMaps.get(`${ref.namespace ?? namespace}/${ref.name}`);
      if (found === undefined) {
        if (ref.parameterNotFoundAction === 'Allow') return undefined;
        return forbidden(pod, policy.name, binding.name, `failed to configure binding: no params found for policy binding with \`Deny\` parameterNotFoundAction`);
      }
      params = found;
    }
    const where = `admit pod ${namespace}/${pod.metadata?.name ?? ''}`;
    const bindings = {
      object: celValue(pod, where),
      oldObject: null,
      params: params === null ? null : celValue({ apiVersion: 'v1', kind: 'ConfigMap', data: params }, where),
      namespaceObject: celValue({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: namespaceLabels } }, where),
      request: celValue(
        {
          kind: { group: '', version: 'v1', kind: 'Pod' },
          resource: { group: '', version: 'v1', resource: 'pods' },
          name: pod.metadata?.name ?? '',
          namespace,
          operation: 'CREATE',
          userInfo: requestUser(requester),
        },
        where,
      ),
    };
    for (const validation of policy.validations) {
      const outcome = validation.expression.evaluate(bindings);
      // failurePolicy Fail (the only one modelled): an evaluation error denies.
      if (!outcome.ok) return forbidden(pod, policy.name, binding.name, `expression '${validation.expression.source}' resulted in error: ${outcome.error}`);
      if (outcome.value !== true) return forbidden(pod, policy.name, binding.name, validation.message ?? `failed expression: ${validation.expression.source}`);
    }
    return undefined;
  }
}

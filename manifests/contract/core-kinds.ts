import { z } from 'zod';
import type { KubeObject } from '../../core/domain/cluster.ts';
import type { ValidationResult } from './crd-schemas.ts';

/**
 * Core kinds have no vendored upstream schema (only CRDs do), so they are checked structurally: strict zod
 * schemas of exactly the fields the builders use, with the API's types and value sets. An unknown or misspelled
 * field fails, as it would under kubectl's strict field validation.
 */
const dns1123Label = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).max(63);
const dns1123Subdomain = z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/).max(253);
const labelValue = z.string().regex(/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/).max(63);
const labelKey = z.string().regex(/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/);
const labels = z.record(labelKey, labelValue);
const port = z.int().min(1).max(65535);

function metadata(namespaced: boolean) {
  return z.strictObject({
    name: namespaced ? dns1123Subdomain : dns1123Label,
    ...(namespaced ? { namespace: dns1123Label } : {}),
    labels: labels.optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  });
}

const namespace = z.strictObject({ apiVersion: z.literal('v1'), kind: z.literal('Namespace'), metadata: metadata(false) });

const serviceAccount = z.strictObject({ apiVersion: z.literal('v1'), kind: z.literal('ServiceAccount'), metadata: metadata(true) });

const capability = z.string().regex(/^[A-Z_]+$/);
const securityContext = z.strictObject({
  runAsUser: z.int().min(0).optional(),
  runAsGroup: z.int().min(0).optional(),
  privileged: z.boolean().optional(),
  capabilities: z.strictObject({ add: z.array(capability).optional(), drop: z.array(capability).optional() }).optional(),
});
const envVar = z.strictObject({ name: z.string().min(1), value: z.string() });
const container = z.strictObject({
  name: dns1123Label,
  image: z.string().min(1),
  command: z.array(z.string()).min(1),
  env: z.array(envVar).optional(),
  securityContext: securityContext.optional(),
  ports: z.array(z.strictObject({ containerPort: port, hostPort: port.optional() })).optional(),
});
const pod = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Pod'),
  metadata: metadata(true),
  spec: z.strictObject({
    serviceAccountName: dns1123Subdomain.optional(),
    hostNetwork: z.boolean().optional(),
    hostPID: z.boolean().optional(),
    // core/v1 DNSPolicy: host-network pods need ClusterFirstWithHostNet to use cluster DNS.
    dnsPolicy: z.enum(['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None']).optional(),
    nodeName: dns1123Subdomain.optional(),
    initContainers: z.array(container).optional(),
    terminationGracePeriodSeconds: z.int().min(0).optional(),
    restartPolicy: z.enum(['Always', 'OnFailure', 'Never']).optional(),
    activeDeadlineSeconds: z.int().min(1).optional(),
    containers: z.array(container).min(1),
  }),
});

const servicePort = z.strictObject({
  name: dns1123Label.optional(),
  port,
  targetPort: z.union([port, dns1123Label]).optional(),
  nodePort: z.int().min(30000).max(32767).optional(),
  protocol: z.enum(['TCP', 'UDP', 'SCTP']).optional(),
  appProtocol: z.string().optional(),
});
const service = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Service'),
  metadata: metadata(true),
  spec: z
    .strictObject({
      type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']).optional(),
      selector: labels,
      ports: z.array(servicePort).min(1),
      externalTrafficPolicy: z.enum(['Cluster', 'Local']).optional(),
    })
    .refine((spec) => spec.type === 'NodePort' || spec.ports.every((p) => p.nodePort === undefined), 'nodePort needs type NodePort'),
});

const labelSelector = z.strictObject({ matchLabels: labels.optional() });
const peer = z
  .strictObject({
    podSelector: labelSelector.optional(),
    namespaceSelector: labelSelector.optional(),
    ipBlock: z.strictObject({ cidr: z.cidrv4().or(z.cidrv6()), except: z.array(z.string()).optional() }).optional(),
  })
  .refine((p) => p.ipBlock === undefined || (p.podSelector === undefined && p.namespaceSelector === undefined), 'ipBlock excludes selectors');
const policyPort = z.strictObject({ protocol: z.enum(['TCP', 'UDP', 'SCTP']), port: z.union([port, dns1123Label]), endPort: port.optional() });
const networkPolicy = z.strictObject({
  apiVersion: z.literal('networking.k8s.io/v1'),
  kind: z.literal('NetworkPolicy'),
  metadata: metadata(true),
  spec: z.strictObject({
    podSelector: labelSelector,
    policyTypes: z.array(z.enum(['Ingress', 'Egress'])).min(1),
    ingress: z.array(z.strictObject({ from: z.array(peer).optional(), ports: z.array(policyPort).optional() })).optional(),
    egress: z.array(z.strictObject({ to: z.array(peer).optional(), ports: z.array(policyPort).optional() })).optional(),
  }),
});

/**
 * admissionregistration.k8s.io/v1, the fields the hardened builders use, from the API reference
 * https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/validating-admission-policy-v1/ and
 * https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/validating-admission-policy-binding-v1/ .
 */
const namedRuleWithOperations = z.strictObject({
  apiGroups: z.array(z.string()).min(1),
  apiVersions: z.array(z.string()).min(1),
  operations: z.array(z.enum(['*', 'CREATE', 'UPDATE', 'DELETE', 'CONNECT'])).min(1),
  resources: z.array(z.string()).min(1),
  scope: z.enum(['Cluster', 'Namespaced', '*']).optional(),
});
const statusReason = z.enum(['Unauthorized', 'Forbidden', 'Invalid', 'RequestEntityTooLarge']);
const validatingAdmissionPolicy = z.strictObject({
  apiVersion: z.literal('admissionregistration.k8s.io/v1'),
  kind: z.literal('ValidatingAdmissionPolicy'),
  metadata: metadata(false).extend({ name: dns1123Subdomain }),
  spec: z.strictObject({
    failurePolicy: z.enum(['Fail', 'Ignore']).optional(),
    paramKind: z.strictObject({ apiVersion: z.string().min(1), kind: z.string().min(1) }).optional(),
    matchConstraints: z.strictObject({ resourceRules: z.array(namedRuleWithOperations).min(1) }),
    validations: z
      .array(z.strictObject({ expression: z.string().min(1).max(5 * 1024), message: z.string().optional(), reason: statusReason.optional() }))
      .min(1),
  }),
});
const expressionSelector = z.strictObject({
  matchLabels: labels.optional(),
  matchExpressions: z
    .array(z.strictObject({ key: labelKey, operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']), values: z.array(labelValue).optional() }))
    .optional(),
});
const validatingAdmissionPolicyBinding = z.strictObject({
  apiVersion: z.literal('admissionregistration.k8s.io/v1'),
  kind: z.literal('ValidatingAdmissionPolicyBinding'),
  metadata: metadata(false).extend({ name: dns1123Subdomain }),
  spec: z.strictObject({
    policyName: dns1123Subdomain,
    paramRef: z
      .strictObject({ name: dns1123Subdomain, namespace: dns1123Label.optional(), parameterNotFoundAction: z.enum(['Allow', 'Deny']) })
      .optional(),
    validationActions: z.array(z.enum(['Deny', 'Warn', 'Audit'])).min(1),
    matchResources: z.strictObject({ namespaceSelector: expressionSelector.optional() }).optional(),
  }),
});
const configMap = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('ConfigMap'),
  metadata: metadata(true),
  data: z.record(z.string().regex(/^[-._a-zA-Z0-9]+$/), z.string()).optional(),
});

/** rbac.authorization.k8s.io/v1, https://kubernetes.io/docs/reference/kubernetes-api/authorization-resources/role-v1/ and role-binding-v1/. */
const rbacGroup = z.literal('rbac.authorization.k8s.io');
const policyRule = z.strictObject({
  apiGroups: z.array(z.string()).min(1),
  resources: z.array(z.string().min(1)).min(1),
  verbs: z.array(z.string().regex(/^([a-z]+|\*)$/)).min(1),
  resourceNames: z.array(z.string()).optional(),
});
const role = z.strictObject({ apiVersion: z.literal('rbac.authorization.k8s.io/v1'), kind: z.literal('Role'), metadata: metadata(true), rules: z.array(policyRule) });
const roleBinding = z.strictObject({
  apiVersion: z.literal('rbac.authorization.k8s.io/v1'),
  kind: z.literal('RoleBinding'),
  metadata: metadata(true),
  roleRef: z.strictObject({ apiGroup: rbacGroup, kind: z.enum(['Role', 'ClusterRole']), name: dns1123Subdomain }),
  subjects: z
    .array(
      z.union([
        z.strictObject({ apiGroup: rbacGroup, kind: z.enum(['User', 'Group']), name: z.string().min(1) }),
        z.strictObject({ kind: z.literal('ServiceAccount'), name: dns1123Subdomain, namespace: dns1123Label }),
      ]),
    )
    .min(1),
});

const CORE_SCHEMAS: Readonly<Record<string, z.ZodType>> = {
  'admissionregistration.k8s.io/v1|ValidatingAdmissionPolicy': validatingAdmissionPolicy,
  'admissionregistration.k8s.io/v1|ValidatingAdmissionPolicyBinding': validatingAdmissionPolicyBinding,
  'v1|ConfigMap': configMap,
  'rbac.authorization.k8s.io/v1|Role': role,
  'rbac.authorization.k8s.io/v1|RoleBinding': roleBinding,
  'v1|Namespace': namespace,
  'v1|ServiceAccount': serviceAccount,
  'v1|Pod': pod,
  'v1|Service': service,
  'networking.k8s.io/v1|NetworkPolicy': networkPolicy,
};

export function isCoreKind(object: Pick<KubeObject, 'apiVersion' | 'kind'>): boolean {
  return `${object.apiVersion}|${object.kind}` in CORE_SCHEMAS;
}

export function validateCoreKind(object: unknown): ValidationResult {
  const key = typeof object === 'object' && object !== null && 'apiVersion' in object && 'kind' in object ? `${String(object.apiVersion)}|${String(object.kind)}` : '?';
  const schema = CORE_SCHEMAS[key];
  if (schema === undefined) return { ok: false, errors: [`no structural schema for ${key}`] };
  const parsed = schema.safeParse(object);
  if (parsed.success) return { ok: true };
  return { ok: false, errors: parsed.error.issues.map((issue) => `/${issue.path.join('/')} ${issue.message}`) };
}

import type { KubeObject } from '../../../core/domain/cluster.ts';
import { BadInputError } from '../../../core/domain/errors.ts';
import {
  authorizationPolicies,
  ROOT_NAMESPACE,
  selects,
  type AuthorizationPolicyView,
  type OperationView,
  type SourceView,
  type WorkloadRef,
} from './istio-objects.ts';

/**
 * The lab's AuthorizationPolicy engine (security.istio.io/v1, ALLOW and DENY). Policies are compiled into
 * rules made of AND-ed conditions (disjunctive normal form); the same compiled form is evaluated here (pure,
 * unit-tested) and rendered to HAProxy ACLs by haproxy-config.ts, so the proxy enforces exactly what is
 * tested. Semantics follow Istio: DENY before ALLOW; when any ALLOW policy selects the workload a request
 * matching none of them is denied (`[none]`); values inside one field are OR-ed, fields AND-ed, `from` and
 * `to` entries OR-ed; strings — principals, namespaces, methods and paths alike — match exactly, by prefix
 * (`abc*`), suffix (`*abc`) or presence (`*`): Istio builds every one of them with the same string matcher
 * (istio/istio pilot/pkg/security/authz/matcher/string.go `StringMatcherWithPrefix`, header.go `HeaderMatcher` for
 * `:method`). Hosts match the `:authority` header ignoring case (header.go `HostMatcher` builds every host pattern
 with `ignore_case: true`: the CVE-2021-39155 fix, https://istio.io/latest/news/security/istio-security-2021-008/).
 Ports match exactly. A policy bound with `targetRefs` applies to no sidecar (istio-objects.ts).
 * On a TCP port HTTP-only fields (methods, paths) cannot be checked: an ALLOW operation using them never
 * matches, a DENY rule drops them and so matches more (Istio's documented "more restrictive" behaviour).
 */

export type ConditionField = 'principal' | 'namespace' | 'port' | 'method' | 'path' | 'host';

export interface Condition {
  readonly field: ConditionField;
  readonly negate: boolean;
  /** Istio string patterns (or port numbers as strings); any one matching satisfies the condition. */
  readonly patterns: readonly string[];
}

/** One way a rule can match: every condition must hold. */
export type Term = readonly Condition[];

export interface CompiledRule {
  /** Envoy's policy id, e.g. `ns[bm-app]-policy[api-allow]-rule[0]`. */
  readonly id: string;
  readonly terms: readonly Term[];
}

export interface CompiledPolicy {
  readonly action: 'ALLOW' | 'DENY';
  readonly rules: readonly CompiledRule[];
}

export type TrafficKind = 'http' | 'tcp';

/** What the proxy knows about one inbound request or connection. */
export interface RequestFacts {
  /** `cluster.local/ns/N/sa/S` from the peer's certificate; empty for plaintext. */
  readonly principal: string;
  readonly port: number;
  /** Present for HTTP; `path` already normalised and the request already admitted (path-normalization.ts). */
  readonly http?: { readonly method: string; readonly path: string; readonly host?: string };
}

export type AuthorizationDecision =
  | { readonly allowed: true; readonly matched?: string }
  | { readonly allowed: false; readonly policy: string; readonly details: string };

/** Characters allowed in a pattern: enough for principals, namespaces, methods and paths, nothing that could break out of an ACL line. */
const SAFE_PATTERN = /^[A-Za-z0-9._~:/@%+!$&()*,;=-]+$/;

function checkPattern(pattern: string, where: string): void {
  if (!SAFE_PATTERN.test(pattern)) {
    throw new BadInputError(`pattern "${pattern}" has characters the lab sidecar does not accept`, where, 'URI characters without quotes, spaces, # or \\');
  }
  const stars = pattern.split('*').length - 1;
  if (stars > 1 || (stars === 1 && pattern !== '*' && !pattern.startsWith('*') && !pattern.endsWith('*'))) {
    throw new BadInputError(`pattern "${pattern}" puts * in the middle`, where, 'exact, prefix*, *suffix or *');
  }
}

/** Istio's string match: exact, `prefix*`, `*suffix`, or `*` = any non-empty value. */
export function istioStringMatch(pattern: string, value: string): boolean {
  if (pattern === '*') return value !== '';
  if (pattern.startsWith('*')) return value.endsWith(pattern.slice(1));
  if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1));
  return value === pattern;
}

/** Istio's host match (`hosts`, `notHosts`): the same patterns, case-insensitive. */
export function istioHostMatch(pattern: string, value: string): boolean {
  return istioStringMatch(pattern.toLowerCase(), value.toLowerCase());
}

/** `cluster.local/ns/bm-app/sa/frontend` → `bm-app`. */
export function namespaceOfPrincipal(principal: string): string {
  return /^[^/]+\/ns\/([^/]+)\/sa\//.exec(principal)?.[1] ?? '';
}

export function policyId(policy: Pick<AuthorizationPolicyView, 'namespace' | 'name'>, rule: number): string {
  return `ns[${policy.namespace}]-policy[${policy.name}]-rule[${rule}]`;
}

/**
 * The AuthorizationPolicies that apply to a workload's sidecar: its namespace's and the root namespace's, by selector.
 * Policies bound with `targetRefs` (a Gateway, or a Service for its waypoint) never do.
 */
export function applicablePolicies(objects: readonly KubeObject[], workload: WorkloadRef): AuthorizationPolicyView[] {
  return authorizationPolicies(objects).filter(
    (policy) =>
      policy.targetRefs === undefined &&
      (policy.namespace === workload.namespace || policy.namespace === ROOT_NAMESPACE) &&
      selects(policy.selector, workload.labels),
  );
}

function condition(field: ConditionField, values: readonly (string | number)[] | undefined, negate: boolean, where: string): Condition[] {
  if (values === undefined) return [];
  const patterns = values.map(String);
  for (const pattern of patterns) checkPattern(pattern, where);
  return [{ field, negate, patterns }];
}

function sourceConditions(source: SourceView, where: string): Condition[] {
  return [
    ...condition('principal', source.principals, false, where),
    ...condition('principal', source.notPrincipals, true, where),
    ...condition('namespace', source.namespaces, false, where),
    ...condition('namespace', source.notNamespaces, true, where),
  ];
}

function hasHttpFields(operation: OperationView): boolean {
  return [operation.methods, operation.notMethods, operation.paths, operation.notPaths, operation.hosts, operation.notHosts].some(
    (v) => v !== undefined,
  );
}

/** Conditions of one operation, or `undefined` when it can never match this kind of traffic. */
function operationConditions(operation: OperationView, action: 'ALLOW' | 'DENY', kind: TrafficKind, where: string): Condition[] | undefined {
  const portConditions = [
    ...condition('port', operation.ports, false, where),
    ...condition('port', operation.notPorts, true, where),
  ];
  if (kind === 'tcp' && hasHttpFields(operation)) {
    return action === 'ALLOW' ? undefined : portConditions;
  }
  return [
    ...portConditions,
    ...condition('method', operation.methods, false, where),
    ...condition('method', operation.notMethods, true, where),
    ...condition('path', operation.paths, false, where),
    ...condition('path', operation.notPaths, true, where),
    ...condition('host', operation.hosts, false, where),
    ...condition('host', operation.notHosts, true, where),
  ];
}

/** Compiles one policy for one kind of traffic into DNF terms per rule. */
export function compilePolicy(policy: AuthorizationPolicyView, kind: TrafficKind): CompiledPolicy {
  const where = `AuthorizationPolicy ${policy.namespace}/${policy.name}`;
  const rules = policy.rules.map((rule, index): CompiledRule => {
    const sources: Condition[][] = rule.from === undefined ? [[]] : rule.from.map((s) => sourceConditions(s, where));
    const operations: Condition[][] =
      rule.to === undefined
        ? [[]]
        : rule.to.flatMap((o) => {
            const conditions = operationConditions(o, policy.action, kind, where);
            return conditions === undefined ? [] : [conditions];
          });
    const terms = sources.flatMap((source) => operations.map((operation) => [...source, ...operation]));
    return { id: policyId(policy, index), terms };
  });
  return { action: policy.action, rules };
}

function conditionHolds(condition: Condition, facts: RequestFacts): boolean {
  let value: string;
  switch (condition.field) {
    case 'principal':
      value = facts.principal;
      break;
    case 'namespace':
      value = namespaceOfPrincipal(facts.principal);
      break;
    case 'port':
      value = String(facts.port);
      break;
    case 'method':
      value = facts.http?.method ?? '';
      break;
    case 'path':
      value = facts.http?.path ?? '';
      break;
    case 'host':
      value = facts.http?.host ?? '';
      break;
  }
  const matches = condition.field === 'host' ? istioHostMatch : istioStringMatch;
  const hit = condition.field === 'port' ? condition.patterns.includes(value) : condition.patterns.some((pattern) => matches(pattern, value));
  return condition.negate ? !hit : hit;
}

export function termHolds(term: Term, facts: RequestFacts): boolean {
  return term.every((c) => conditionHolds(c, facts));
}

function firstMatch(policies: readonly CompiledPolicy[], facts: RequestFacts): string | undefined {
  for (const policy of policies) {
    for (const rule of policy.rules) {
      if (rule.terms.some((term) => termHolds(term, facts))) return rule.id;
    }
  }
  return undefined;
}

/** Envoy's `response_code_details` for an RBAC denial. */
export function rbacDeniedDetails(policy: string): string {
  return `rbac_access_denied_matched_policy[${policy}]`;
}

/** DENY first, then ALLOW; with ALLOW policies present, no match means denied by `[none]`. */
export function decide(policies: readonly CompiledPolicy[], facts: RequestFacts): AuthorizationDecision {
  const denied = firstMatch(policies.filter((p) => p.action === 'DENY'), facts);
  if (denied !== undefined) return { allowed: false, policy: denied, details: rbacDeniedDetails(denied) };
  const allows = policies.filter((p) => p.action === 'ALLOW');
  if (allows.length === 0) return { allowed: true };
  const allowed = firstMatch(allows, facts);
  if (allowed !== undefined) return { allowed: true, matched: allowed };
  return { allowed: false, policy: 'none', details: rbacDeniedDetails('none') };
}

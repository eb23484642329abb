import type { EvidenceItem, FlowDescriptor } from '../domain/evidence.ts';
import { splitLines } from './match-flow.ts';

export interface PodSecurityRejection {
  readonly pod: string;
  /** `baseline:latest`, `restricted:v1.24`… */
  readonly level: string;
  readonly violations: readonly string[];
}

/** Splits `a (x, y), b` at the commas outside parentheses. */
function topLevelItems(text: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if (char === '(') depth += 1;
    if (char === ')') depth = Math.max(0, depth - 1);
    if (char === ',' && depth === 0) {
      items.push(current.trim());
      current = '';
      continue;
    }
    current += char;
  }
  if (current.trim() !== '') items.push(current.trim());
  return items;
}

/**
 * Reads the API server's PodSecurity rejection, as kubectl or the client library relays it:
 * `pods "x" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true), …`.
 */
export function parsePodSecurityRejection(message: string): PodSecurityRejection | undefined {
  const match = /pods? "([^"]+)" is forbidden: violates PodSecurity "([^"]+)": (.*)$/.exec(message.trim());
  if (match === null) return undefined;
  const [, pod = '', level = '', rest = ''] = match;
  return { pod, level, violations: topLevelItems(rest) };
}

export interface AdmissionPolicyRejection {
  readonly resource: string;
  readonly name: string;
  readonly policy: string;
  /** Absent in the API server's form for a denial without a binding. */
  readonly binding?: string;
  readonly message: string;
}

/**
 * Reads a ValidatingAdmissionPolicy denial as the API server words it
 * (https://github.com/kubernetes/kubernetes/blob/master/staging/src/k8s.io/apiserver/pkg/admission/plugin/policy/validating/dispatcher.go,
 * wrapped by admission.NewForbidden): `pods "x" is forbidden: ValidatingAdmissionPolicy 'p' with binding 'b' denied request: <message>`.
 */
export function parseAdmissionPolicyRejection(message: string): AdmissionPolicyRejection | undefined {
  const match = /^(?:.*?: )?([a-z0-9.]+) "([^"]+)" is forbidden: ValidatingAdmissionPolicy '([^']+)'(?: with binding '([^']+)')? denied request: (.+)$/.exec(message.trim());
  if (match === null) return undefined;
  const [, resource = '', name = '', policy = '', binding, rest = ''] = match;
  return { resource, name, policy, ...(binding === undefined ? {} : { binding }), message: rest };
}

function policyEvidence(line: string, flow: FlowDescriptor): EvidenceItem | undefined {
  const rejection = parseAdmissionPolicyRejection(line);
  if (rejection === undefined || rejection.resource !== 'pods') return undefined;
  if (flow.sourcePod !== undefined && flow.sourcePod !== rejection.name) return undefined;
  const bound = rejection.binding === undefined ? '' : ` (binding ${rejection.binding})`;
  return {
    layer: 'admission',
    source: 'admission',
    verdict: 'denied',
    raw: line,
    rule: `ValidatingAdmissionPolicy ${rejection.policy}`,
    detail: `ValidatingAdmissionPolicy "${rejection.policy}"${bound} rejected pod ${rejection.name}: ${rejection.message}`,
  };
}

/**
 * Admission rejections (PodSecurity or ValidatingAdmissionPolicy) → evidence for layer `admission`, denied, the
 * level or policy as `rule` and the violations in `detail`. A message names the pod, so it matches the flow by `sourcePod` when the flow has one.
 */
export function parseAdmissionMessages(raw: string, flow: FlowDescriptor): EvidenceItem[] {
  const items: EvidenceItem[] = [];
  for (const line of splitLines(raw)) {
    const byPolicy = policyEvidence(line, flow);
    if (byPolicy !== undefined) {
      items.push(byPolicy);
      continue;
    }
    const rejection = parsePodSecurityRejection(line);
    if (rejection === undefined) continue;
    if (flow.sourcePod !== undefined && flow.sourcePod !== rejection.pod) continue;
    items.push({
      layer: 'admission',
      source: 'admission',
      verdict: 'denied',
      raw: line,
      rule: `PodSecurity ${rejection.level}`,
      detail: `PodSecurity "${rejection.level}" rejected pod ${rejection.pod}: ${rejection.violations.join('; ')}`,
    });
  }
  return items;
}

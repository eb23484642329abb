import type { V1Pod } from '@kubernetes/client-node';
import type { AttackDefinition, AttemptPlan, Expectation, Fix, SuccessCriterion } from '../../core/domain/attack.ts';
import type { StackTraits } from '../../core/domain/profile.ts';
import { PLANNING_ADDRESSES } from '../../core/runner/planning-addresses.ts';
import { DEPLOYER_VALIDATIONS, HARDENED_ADMISSION, HARDENED_VALIDATIONS } from '../../manifests/policies/hardened-admission-policies.ts';
import { CLUSTER_DNS_PATTERNS } from '../../manifests/policies/cilium-policies.ts';
import { SIDECAR_EGRESS_HOSTS } from '../../manifests/policies/istio-policies.ts';
import { SCENE } from '../../manifests/scene.ts';
import { baseEnv } from './plans.ts';

/** docs/catalogue.md, relative to the repository root, and the command that rewrites it. */
export const CATALOGUE_DOC_PATH = 'docs/catalogue.md';
export const CATALOGUE_DOC_COMMAND = 'npm run docs:catalogue';

/** The canary the document's plans carry; a run gives every attempt its own. */
const DOC_CANARY = 'bm0000000000000000';

const SUCCESS_TEXT: Record<SuccessCriterion, string> = {
  'sink-canary': "the attack worked only if the sink recorded this attempt's canary",
  'client-signal': "the client's own signal decides (connected, HTTP status, timeout, reset, admission denied)",
  'packet-capture': "the sniffer's capture decides: the canary a permitted client sent meanwhile, seen in plaintext, is allowed; packets of that flow without it are blocked by the layer that encrypted them",
};

/** Markdown table cell / list text: pipes escaped, one line, `<` kept only for `<https://…>` autolinks. */
function text(value: string): string {
  return value
    .replace(/\s+/g, ' ')
    .replace(/\|/g, '\\|')
    .replace(/\*/g, '\\*')
    .replace(/<(?!https:\/\/)/g, '&lt;');
}

function code(value: string): string {
  return `\`${value.replace(/`/g, "'")}\``;
}

function expectedText(expectation: Expectation): string {
  if (expectation.outcome === 'blocked') {
    return `blocked by ${expectation.blockedBy ?? '?'}${expectation.signal === undefined ? '' : ` (${expectation.signal})`}`;
  }
  return expectation.outcome === 'not-applicable' ? 'not applicable' : 'allowed';
}

/** What about the pod matters to the attack: where it runs, as whom, with which privileges. */
function podText(pod: V1Pod): string {
  const spec = pod.spec;
  const container = spec?.containers[0];
  const security = container?.securityContext;
  const traits = [
    `${pod.metadata?.namespace ?? '?'} pod, service account ${spec?.serviceAccountName ?? 'default'}`,
    // A label equal to the pod's own name only makes it selectable per attempt; the rest are claims (app=frontend).
    ...Object.entries(pod.metadata?.labels ?? {}).filter(([, value]) => value !== pod.metadata?.name).map(([key, value]) => `label ${key}=${value}`),
    ...Object.entries(pod.metadata?.annotations ?? {}).map(([key, value]) => `annotation ${key}: ${value}`),
    ...(security?.runAsUser === undefined ? [] : [`runAsUser ${security.runAsUser}`]),
    ...(security?.runAsGroup === undefined ? [] : [`runAsGroup ${security.runAsGroup}`]),
    ...(security?.capabilities?.add === undefined ? [] : [`adds ${security.capabilities.add.join(', ')}`]),
    ...(security?.privileged === true ? ['privileged'] : []),
    ...(spec?.hostNetwork === true ? ['hostNetwork'] : []),
    ...(spec?.hostPID === true ? ['hostPID'] : []),
    ...(spec?.nodeName === undefined ? [] : [`on node ${spec.nodeName}`]),
  ];
  return traits.join('; ');
}

function planText(planned: AttemptPlan): string {
  const { flow } = planned;
  const destination = `${flow.destinationName ?? flow.destinationIp ?? '(several)'}${flow.destinationPort === undefined ? '' : `:${flow.destinationPort}`}`;
  const common = new Set(Object.keys(baseEnv(DOC_CANARY)));
  const env = Object.entries(planned.env).filter(([key]) => !common.has(key));
  const parts = [
    `${code(planned.script)}${planned.placement === 'init-container' ? ' in an init container' : ''}`,
    `${flow.protocol} to ${code(destination)}`,
    `from ${text(podText(planned.pod))}`,
    ...(planned.requester === 'pod-creator' ? [`created by the pod creator ${code(SCENE.requesters.podCreator.username)}, not the deployer`] : []),
    ...(env.length === 0 ? [] : [env.map(([key, value]) => code(`${key}=${value}`)).join(' ')]),
  ];
  return parts.join(' · ');
}

/** One line per distinct plan, naming the stacks it applies to when they differ. */
function plansBlock(label: string, plans: ReadonlyMap<string, string[]>, stackCount: number): string[] {
  if (plans.size === 0) return [`- **${label}**: none (not applicable on every stack)`];
  if (plans.size === 1) {
    const [[line, stacks]] = [...plans.entries()] as [[string, string[]]];
    return [`- **${label}**${stacks.length === stackCount ? '' : ` (${stacks.join(', ')})`}: ${line}`];
  }
  return [`- **${label}**:`, ...[...plans.entries()].map(([line, stacks]) => `  - ${stacks.join(', ')}: ${line}`)];
}

function fixText(fix: Fix): string {
  return `${fix.layer} — ${text(fix.feature)}: ${text(fix.policy)} ([${text(fix.source.title)}](${fix.source.url}))`;
}

/** The fixes on the stacks where the attack is expected allowed, one group per distinct set of fixes. */
function fixesBlock(fixes: ReadonlyMap<string, string[]>): string[] {
  if (fixes.size === 0) return ['- **Fixes**: none needed (expected blocked or not applicable on every stack)'];
  const lines = ['- **Fixes** (on the stacks where it is expected allowed):'];
  for (const [joined, stacks] of fixes) {
    lines.push(`  - ${stacks.join(', ')}:`, ...joined.split('\n').map((line) => `    - ${line}`));
  }
  return lines;
}

function group(into: Map<string, string[]>, key: string, stack: string): void {
  const stacks = into.get(key) ?? [];
  stacks.push(stack);
  into.set(key, stacks);
}

function attackSection(attack: AttackDefinition, stacks: readonly StackTraits[]): string[] {
  const attempts = new Map<string, string[]>();
  const controls = new Map<string, string[]>();
  const fixes = new Map<string, string[]>();
  const sources: string[] = [];
  const rows: string[] = [];
  for (const stack of stacks) {
    const expectation = attack.expect(stack);
    if (!sources.includes(expectation.source)) sources.push(expectation.source);
    const sourceId = `S${sources.indexOf(expectation.source) + 1}`;
    rows.push(`| ${stack.profileId} | ${expectedText(expectation)} | ${expectation.certainty} | ${sourceId} | ${text(expectation.note ?? '')} |`);
    if (expectation.outcome === 'allowed') group(fixes, attack.fixes(stack).map(fixText).join('\n'), stack.profileId);
    if (attack.notApplicable(stack) !== undefined) continue;
    const context = { stack, canary: DOC_CANARY, addresses: PLANNING_ADDRESSES };
    group(attempts, planText(attack.attempt(context)), stack.profileId);
    const control = attack.control(context);
    group(controls, `${control.kind}, proven by ${control.proof} · ${planText(control)}`, stack.profileId);
  }
  const applicable = stacks.filter((stack) => attack.notApplicable(stack) === undefined).length;
  return [
    `### ${attack.id}: ${text(attack.title)}`,
    '',
    `- **Family**: ${attack.family}`,
    `- **Severity**: ${attack.severity.level} — ${text(attack.severity.reason)}`,
    `- **Technique**: ${text(attack.technique)}`,
    `- **Preconditions**: ${attack.preconditions.length === 0 ? 'none beyond the scene' : attack.preconditions.map(text).join('; ')}`,
    `- **Success criterion**: ${attack.success}: ${SUCCESS_TEXT[attack.success]}`,
    ...plansBlock('Attempt', attempts, applicable),
    ...plansBlock('Control', controls, applicable),
    ...fixesBlock(fixes),
    '- **References**:',
    ...attack.references.map((reference) => `  - [${text(reference.title)}](${reference.url})`),
    '',
    '| Stack | Expected | Certainty | Source | Note |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
    ...sources.map((source, index) => `- S${index + 1}: ${text(source)}`),
    '',
  ];
}

function messages(validations: readonly { readonly message?: string }[]): string[] {
  return validations.map((validation) => `  - ${text(validation.message ?? '')}`);
}

/** What `--policy-set hardened` adds per layer, and what it leaves out with the reason. */
function hardenedLayers(): string[] {
  return [
    '- **admission** (every stack): ValidatingAdmissionPolicy `' + HARDENED_ADMISSION.policy + '` and `' + HARDENED_ADMISSION.deployerPolicy + '`, bound to ' +
      HARDENED_ADMISSION.namespaces.map(code).join(' and ') + ' with per-namespace params ConfigMaps; they refuse:',
    ...messages(HARDENED_VALIDATIONS),
    ...messages(DEPLOYER_VALIDATIONS),
    '  The lab evaluates the same objects with a real CEL implementation and answers in the API server\'s words.',
    `- **cni, Cilium**: DNS to kube-dns only for the cluster's Service names (${CLUSTER_DNS_PATTERNS.map(code).join(', ')}); any other name is refused by Cilium's DNS proxy. Node and API-server access stay denied by entity (\`toEntities\`); nothing may leave the scene, so there is no CIDR allowance to rewrite as \`toFQDNs\`.`,
    `- **cni, Calico**: a GlobalNetworkPolicy ordered before every NetworkPolicy logs and denies egress to the metadata address ${code(`${SCENE.metadata.ip}/32`)}. Calico Open Source cannot name destinations by DNS name (domain-based policy is Calico Cloud/Enterprise), so EG2 stays allowed there.`,
    '- **cni, kindnet**: NetworkPolicy only; nothing to add.',
    `- **mesh**: path normalisation \`DECODE_AND_MERGE_SLASHES\` (Istio's security best practices; kind renders it into istiod's meshConfig, the lab sidecar applies it); on kind, the namespace Sidecar narrows egress hosts to ${SIDECAR_EGRESS_HOSTS.map(code).join(', ')} under REGISTRY_ONLY (the lab's sidecar model does not take Sidecar egress listeners).`,
    '- **Not in the hardened set yet, and why**: an egress gateway as the only way out (the scene lets nothing leave, so there is nothing to funnel); an ambient waypoint for every Service with ztunnel rules admitting only the waypoint (it moves the L7 rules onto the Gateway and changes the path of every pod-IP control, to be validated on a kind cluster first); PSA `restricted` (no scene pod sets runAsNonRoot, a seccomp profile and drops ALL capabilities, so restricted would refuse the scene itself; bm-privileged needs privileges by design).',
  ];
}

/** Every cell whose hardened expectation differs from the baseline one (outcome or blocking layer). */
function hardenedChanges(attacks: readonly AttackDefinition[], stacks: readonly StackTraits[], hardened: readonly StackTraits[]): string[] {
  const rows: string[] = [];
  for (const attack of attacks) {
    stacks.forEach((stack, index) => {
      const after = hardened[index];
      if (after === undefined) return;
      const was = attack.expect(stack);
      const now = attack.expect(after);
      if (was.outcome === now.outcome && was.blockedBy === now.blockedBy) return;
      rows.push(`| ${attack.id} | ${after.profileId} | ${expectedText(was)} | ${expectedText(now)} | ${now.certainty} | ${text(now.source)} |`);
    });
  }
  return rows;
}

function hardenedSection(attacks: readonly AttackDefinition[], stacks: readonly StackTraits[], hardened: readonly StackTraits[]): string[] {
  const rows = hardenedChanges(attacks, stacks, hardened);
  return [
    '## Under --policy-set hardened',
    '',
    "`--policy-set hardened` measures what each stack stops with its own strongest documented controls; its columns carry the id suffix `+hardened`. Per layer:",
    '',
    ...hardenedLayers(),
    '',
    `The ${rows.length} expectations the hardened set changes (every other cell expects what the baseline expects):`,
    '',
    '| Attack | Stack | Baseline | Hardened | Certainty | Source |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ];
}

/** The whole document, from the catalogue's code: same input, same bytes. */
export function renderCatalogueDoc(attacks: readonly AttackDefinition[], stacks: readonly StackTraits[], hardened: readonly StackTraits[]): string {
  const families = [...new Set(attacks.map((attack) => attack.family))];
  const lines = [
    '# Attack catalogue',
    '',
    `<!-- Generated from attack-pods/catalogue by \`${CATALOGUE_DOC_COMMAND}\` (bin/gen-catalogue-doc.ts). Do not edit: a test fails when this file is stale. -->`,
    '',
    `${attacks.length} attacks, each expected on ${stacks.length} stacks (${stacks.map((stack) => stack.profileId).join(', ')}).`,
    '',
    'How to read an entry:',
    '',
    '- **Expected** is what the catalogue predicts; the run measures and reports every difference. `blocked by <layer>` names',
    '  the layer that must stop it and, where the claim is that specific, the client signal (`timeout` for a silent drop,',
    '  `reset`, `refused`, `admission-denied`).',
    '- **Certainty**: `documented` (an upstream page, issue or source file says so), `inferred` (follows from documented',
    '  behaviour), `version-dependent` (holds for some releases only). **Source** cites the upstream documents.',
    '- **Attempt** and **Control**: the script (attack-pods/scripts/), the flow and the pod it runs in. The control walks the',
    "  attempt's path from a permitted client, or the same attacker to a permitted target; a failed control makes the cell",
    "  `inconclusive`, never `blocked`. Addresses here are documentation placeholders (RFC 5737) and the canary is",
    `  ${code(DOC_CANARY)}; a run uses the live scene's addresses and a fresh canary per attempt.`,
    '- **Severity** (critical, high, medium, low) says how bad it is when the attack works, with the reason. **Fixes**',
    '  name, for every stack where the attack is expected allowed, the layer, the feature and the policy that would close',
    '  it, each with its upstream source; reports show them on every ALLOWED cell.',
    "- **Evidence**: a `blocked` cell is credited to a layer by that layer's own record of this attempt's flow (Calico",
    '  counters and log lines, Hubble flows, Envoy and ztunnel access logs, the admission message, the lab\'s nftables',
    '  counters and proxy log: core/evidence/); without it the layer is `inferred`.',
    '',
    '## Contents',
    '',
    '| Id | Family | Title | Severity | Success |',
    '| --- | --- | --- | --- | --- |',
    ...attacks.map((attack) => `| [${attack.id}](#${anchor(attack)}) | ${attack.family} | ${text(attack.title)} | ${attack.severity.level} | ${attack.success} |`),
    '',
  ];
  for (const family of families) {
    lines.push(`## ${family}`, '');
    for (const attack of attacks.filter((candidate) => candidate.family === family)) lines.push(...attackSection(attack, stacks));
  }
  lines.push(...hardenedSection(attacks, stacks, hardened));
  return `${lines.join('\n').replace(/\n+$/, '')}\n`;
}

/** GitHub's heading anchor for `### <id>: <title>`. */
function anchor(attack: AttackDefinition): string {
  return `${attack.id}: ${attack.title}`
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

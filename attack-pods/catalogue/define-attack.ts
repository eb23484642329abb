import type { AttackDefinition, AttemptContext, AttemptPlan, Expectation } from '../../core/domain/attack.ts';
import type { ControlPlan } from '../../core/domain/control.ts';
import type { StackTraits } from '../../core/domain/profile.ts';
import { blocked, notApplicableExpectation } from './expectation-builders.ts';
import { REF } from './references.ts';

/** What an attack file writes: the definition's descriptive fields as they are, its behaviour as plain functions. */
export interface AttackSpec extends Pick<AttackDefinition, 'id' | 'family' | 'title' | 'technique' | 'preconditions' | 'references' | 'success'> {
  /** The upstream citation behind the attack (claim and title <url>), the source of not-applicable expectations. */
  readonly source: string;
  readonly notApplicable?: (stack: StackTraits) => string | undefined;
  readonly attempt: (context: AttemptContext) => AttemptPlan;
  readonly control: (context: AttemptContext) => ControlPlan;
  /** Only asked for stacks the attack applies to. */
  readonly expect: (stack: StackTraits) => Expectation;
  /** `packet-capture` attacks: the permitted client the sniffer listens to (core/domain/attack.ts). */
  readonly victim?: (context: AttemptContext) => AttemptPlan;
}

/** An attack as its file defines it; its severity and fixes come from its family's advice.ts (see advice.ts). */
export type UnratedAttack = Omit<AttackDefinition, 'severity' | 'fixes'>;

/** An AttackDefinition whose `expect` is `not-applicable` (with the reason) exactly when `notApplicable` says so. */
export function defineAttack(spec: AttackSpec): UnratedAttack {
  const notApplicable = (stack: StackTraits): string | undefined => spec.notApplicable?.(stack);
  return {
    id: spec.id,
    family: spec.family,
    title: spec.title,
    technique: spec.technique,
    preconditions: spec.preconditions,
    references: spec.references,
    success: spec.success,
    notApplicable,
    attempt: spec.attempt,
    control: spec.control,
    ...(spec.victim === undefined ? {} : { victim: spec.victim }),
    expect(stack: StackTraits): Expectation {
      const reason = notApplicable(stack);
      return reason === undefined ? spec.expect(stack) : notApplicableExpectation(reason, spec.source);
    },
  };
}

/** What differs between the two runs of an attack that needs privileges. */
export interface PrivilegedAttackSpec extends Omit<AttackSpec, 'id' | 'attempt' | 'control' | 'expect'> {
  readonly id: string;
  /** Namespace of the unprivileged run (PSA baseline enforced there). */
  readonly baselineNamespace: string;
  /** The attempt in a given namespace; the same spec is used in both runs. */
  readonly attemptIn: (context: AttemptContext, namespace: string, variantId: string) => AttemptPlan;
  /** The positive control on the attempt's path (core/domain/control.ts). */
  readonly controlIn: (context: AttemptContext, variantId: string) => ControlPlan;
  /** The data plane's answer, for the run in bm-privileged. */
  readonly expectPrivileged: (stack: StackTraits) => Expectation;
}

/**
 * Attacks that need privileges run twice: `<ID>` in its usual namespace under PSA baseline, where admission must
 * refuse the pod, and `<ID>-priv` in bm-privileged (PSA privileged, same mesh labels and default-deny as bm-app)
 * to measure the data plane. Assumption: bm-app and bm-rogue enforce baseline on every stack (true for the default
 * profiles, where sidecar mode uses istio-cni; with `istioCni: false` bm-app cannot enforce baseline).
 */
export function definePrivilegedPair(spec: PrivilegedAttackSpec, privilegedNamespace: string): [UnratedAttack, UnratedAttack] {
  const base = {
    family: spec.family,
    technique: spec.technique,
    references: [...spec.references, REF.podSecurityStandards],
    success: spec.success,
    source: spec.source,
    ...(spec.notApplicable === undefined ? {} : { notApplicable: spec.notApplicable }),
  };
  const baselineId = spec.id;
  const privilegedId = `${spec.id}-priv`;
  const baseline = defineAttack({
    ...base,
    id: baselineId,
    title: `${spec.title} (PSA baseline namespace)`,
    preconditions: [...spec.preconditions, `${spec.baselineNamespace} enforces Pod Security baseline`],
    attempt: (context) => spec.attemptIn(context, spec.baselineNamespace, baselineId),
    control: (context) => spec.controlIn(context, baselineId),
    expect: () =>
      blocked(
        'admission',
        'admission-denied',
        `Pod Security baseline refuses the privileged pod spec at admission — ${REF.podSecurityStandards.cite}`,
        'documented',
        'assumes the namespace enforces baseline (default profiles: sidecar mode uses istio-cni)',
      ),
  });
  const privileged = defineAttack({
    ...base,
    id: privilegedId,
    title: `${spec.title} (privileged namespace)`,
    preconditions: [...spec.preconditions, `${privilegedNamespace} is PSA privileged, a mesh member with bm-app's default-deny`],
    attempt: (context) => spec.attemptIn(context, privilegedNamespace, privilegedId),
    control: (context) => spec.controlIn(context, privilegedId),
    expect: spec.expectPrivileged,
  });
  return [baseline, privileged];
}

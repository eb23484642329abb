import type { AttackDefinition, AttackFamily, AttemptContext, Expectation, SuccessCriterion } from '../../domain/attack.ts';

/** The address a synthetic packet-capture attack listens to (port 8080). */
export const SYNTHETIC_CAPTURED_IP = '10.244.9.9';
import type { StackTraits } from '../../domain/profile.ts';
import { pod } from '../../../manifests/pod-builder.ts';

export interface SyntheticAttackSpec {
  readonly id: string;
  readonly family?: AttackFamily;
  readonly success?: SuccessCriterion;
  readonly expected: Expectation;
  readonly notApplicable?: string;
}

/**
 * A minimal attack for runner tests: its attempt pod is named `<id>-attempt-…` and its control `<id>-control-…`,
 * so a memory-cluster replay can script each by name. It runs no real script.
 */
export function syntheticAttack(spec: SyntheticAttackSpec): AttackDefinition {
  const lower = spec.id.toLowerCase();
  return {
    id: spec.id,
    family: spec.family ?? 'egress-exfiltration',
    title: `synthetic ${spec.id}`,
    technique: 'replayed by the memory cluster',
    preconditions: [],
    references: [{ title: 'test', url: 'https://example.invalid/test' }],
    success: spec.success ?? 'client-signal',
    notApplicable: (_stack: StackTraits) => spec.notApplicable,
    attempt: (context) => ({
      pod: pod(`${lower}-attempt-${context.canary.slice(-6)}`, 'bm-app').build(),
      script: 'synthetic.sh',
      env: { CANARY: context.canary },
      placement: 'exec',
      flow: {
        protocol: 'tcp',
        sourcePod: `${lower}-attempt-${context.canary.slice(-6)}`,
        ...(spec.success === 'packet-capture' ? { destinationIp: SYNTHETIC_CAPTURED_IP, destinationPort: 8080 } : {}),
      },
    }),
    control: (context) => ({
      pod: pod(`${lower}-control-${context.canary.slice(-6)}`, 'bm-app').build(),
      script: 'synthetic.sh',
      env: { CANARY: context.canary },
      placement: 'exec',
      flow: { protocol: 'tcp', sourcePod: `${lower}-control-${context.canary.slice(-6)}` },
      kind: 'same-source',
      proof: 'client-signal',
      techniqueRemoved: [],
    }),
    // A packet-capture attack's victim: `<id>-victim-…`, to the address the attempt captures.
    ...(spec.success === 'packet-capture'
      ? {
          victim: (context: AttemptContext) => ({
            pod: pod(`${lower}-victim-${context.canary.slice(-6)}`, 'bm-app').build(),
            script: 'synthetic.sh',
            env: { CANARY: context.canary },
            placement: 'exec' as const,
            flow: { protocol: 'http' as const, destinationIp: SYNTHETIC_CAPTURED_IP, destinationPort: 8080 },
          }),
        }
      : {}),
    expect: () => spec.expected,
    severity: { level: 'low', reason: 'synthetic attack for runner tests' },
    fixes: () => [],
  };
}

export const EXPECT_BLOCKED_BY_CNI: Expectation = { outcome: 'blocked', blockedBy: 'cni', certainty: 'documented', source: 'test' };
export const EXPECT_ALLOWED: Expectation = { outcome: 'allowed', certainty: 'documented', source: 'test' };

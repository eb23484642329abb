import type { AttackDefinition } from '../../core/domain/attack.ts';
import { ADMISSION_ADVICE } from './admission/advice.ts';
import { AMBIENT_BYPASS_ADVICE } from './ambient-bypass/advice.ts';
import type { UnratedAttack } from './define-attack.ts';
import { EAVESDROPPING_ADVICE } from './eavesdropping/advice.ts';
import { EGRESS_EXFILTRATION_ADVICE } from './egress-exfiltration/advice.ts';
import type { AdviceTable, AttackAdvice } from './fix-builders.ts';
import { HOST_NETWORK_ADVICE } from './host-network/advice.ts';
import { LATERAL_MOVEMENT_ADVICE } from './lateral-movement/advice.ts';
import { MTLS_IDENTITY_ADVICE } from './mtls-identity/advice.ts';
import { SIDECAR_BYPASS_ADVICE } from './sidecar-bypass/advice.ts';

/** Severity and fixes of every attack, keyed by attack id (one table per family). */
export const ATTACK_ADVICE: AdviceTable = {
  ...SIDECAR_BYPASS_ADVICE,
  ...AMBIENT_BYPASS_ADVICE,
  ...EGRESS_EXFILTRATION_ADVICE,
  ...HOST_NETWORK_ADVICE,
  ...LATERAL_MOVEMENT_ADVICE,
  ...MTLS_IDENTITY_ADVICE,
  ...ADMISSION_ADVICE,
  ...EAVESDROPPING_ADVICE,
};

export function adviceFor(attackId: string): AttackAdvice | undefined {
  return Object.hasOwn(ATTACK_ADVICE, attackId) ? ATTACK_ADVICE[attackId] : undefined;
}

/** The attack with its severity and fixes; an attack without advice fails the catalogue's load, not a report. */
export function withAdvice(attack: UnratedAttack): AttackDefinition {
  const advice = adviceFor(attack.id);
  if (advice === undefined) throw new Error(`attack ${attack.id} has no severity/fix entry in its family's advice.ts`);
  return { ...attack, severity: advice.severity, fixes: advice.fixes };
}

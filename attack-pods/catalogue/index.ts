import { ATTACK_FAMILIES, type AttackDefinition, type AttackFamily } from '../../core/domain/attack.ts';
import { BadInputError } from '../../core/domain/errors.ts';
import { HN1 } from './admission/hn1.ts';
import { withAdvice } from './advice.ts';
import { AM1 } from './ambient-bypass/am1.ts';
import { AM2 } from './ambient-bypass/am2.ts';
import { AM3 } from './ambient-bypass/am3.ts';
import { AM3_MESH } from './ambient-bypass/am3-mesh.ts';
import { AM4, AM4_PRIV } from './ambient-bypass/am4.ts';
import { AM4_MARK, AM4_MARK_MESH } from './ambient-bypass/am4-mark.ts';
import { AM5, AM5_PRIV } from './ambient-bypass/am5.ts';
import { AM6 } from './ambient-bypass/am6.ts';
import { AM7 } from './ambient-bypass/am7.ts';
import { EV1 } from './eavesdropping/ev1.ts';
import { EV2 } from './eavesdropping/ev2.ts';
import { EG1 } from './egress-exfiltration/eg1.ts';
import { EG2 } from './egress-exfiltration/eg2.ts';
import { EG3 } from './egress-exfiltration/eg3.ts';
import { EG4 } from './egress-exfiltration/eg4.ts';
import { EG5 } from './egress-exfiltration/eg5.ts';
import { EG6 } from './egress-exfiltration/eg6.ts';
import { EG7 } from './egress-exfiltration/eg7.ts';
import { EG8 } from './egress-exfiltration/eg8.ts';
import { HN2, HN2_PRIV } from './host-network/hn2.ts';
import { HN3 } from './host-network/hn3.ts';
import { HN3_NODEPORT } from './host-network/hn3-nodeport.ts';
import { HN4, HN4_PRIV } from './host-network/hn4.ts';
import { HN5, HN5_PRIV } from './host-network/hn5.ts';
import { HN6 } from './host-network/hn6.ts';
import { HN7 } from './host-network/hn7.ts';
import { LM1 } from './lateral-movement/lm1.ts';
import { LM3 } from './lateral-movement/lm3.ts';
import { LM4 } from './lateral-movement/lm4.ts';
import { LM5 } from './lateral-movement/lm5.ts';
import { LM2 } from './mtls-identity/lm2.ts';
import { SC8 } from './mtls-identity/sc8.ts';
import { SC9 } from './mtls-identity/sc9.ts';
import { SC13 } from './mtls-identity/sc13.ts';
import { SC14 } from './mtls-identity/sc14.ts';
import { SC1 } from './sidecar-bypass/sc1.ts';
import { SC10 } from './sidecar-bypass/sc10.ts';
import { SC11 } from './sidecar-bypass/sc11.ts';
import { SC12 } from './sidecar-bypass/sc12.ts';
import { SC15 } from './sidecar-bypass/sc15.ts';
import { SC2, SC2_PRIV } from './sidecar-bypass/sc2.ts';
import { SC3 } from './sidecar-bypass/sc3.ts';
import { SC3_NOINJECT } from './sidecar-bypass/sc3-noinject.ts';
import { SC4 } from './sidecar-bypass/sc4.ts';
import { SC5 } from './sidecar-bypass/sc5.ts';
import { SC6 } from './sidecar-bypass/sc6.ts';
import { SC7 } from './sidecar-bypass/sc7.ts';

/**
 * The whole catalogue, by family (each privileged or added variant right after its attack); docs/catalogue.md follows
 * it. Each attack carries its severity and fixes from its family's advice.ts.
 */
export const ATTACKS: readonly AttackDefinition[] = [
  SC1, SC2, SC2_PRIV, SC3, SC3_NOINJECT, SC4, SC5, SC6, SC7, SC8, SC9, SC10, SC11, SC12, SC13, SC14, SC15,
  AM1, AM2, AM3, AM3_MESH, AM4, AM4_PRIV, AM4_MARK, AM4_MARK_MESH, AM5, AM5_PRIV, AM6, AM7,
  EG1, EG2, EG3, EG4, EG5, EG6, EG7, EG8,
  HN1, HN2, HN2_PRIV, HN3, HN3_NODEPORT, HN4, HN4_PRIV, HN5, HN5_PRIV, HN6, HN7,
  LM1, LM2, LM3, LM4, LM5,
  EV1, EV2,
].map(withAdvice);

function isFamily(value: string): value is AttackFamily {
  return (ATTACK_FAMILIES as readonly string[]).includes(value);
}

/**
 * Attacks by id (case-insensitive) or family, in catalogue order, without duplicates. No selector means the
 * whole catalogue. An unknown selector is bad input listing every id and family.
 */
export function findAttacks(selectors: readonly string[]): AttackDefinition[] {
  if (selectors.length === 0) return [...ATTACKS];
  const chosen = new Set<AttackDefinition>();
  for (const raw of selectors) {
    const selector = raw.trim();
    if (isFamily(selector)) {
      for (const attack of ATTACKS) if (attack.family === selector) chosen.add(attack);
      continue;
    }
    const attack = ATTACKS.find((candidate) => candidate.id.toLowerCase() === selector.toLowerCase());
    if (attack === undefined) {
      throw new BadInputError(
        `unknown attack or family "${raw}"`,
        '--attack',
        `ids: ${ATTACKS.map((candidate) => candidate.id).join(', ')}; families: ${ATTACK_FAMILIES.join(', ')}`,
      );
    }
    chosen.add(attack);
  }
  return ATTACKS.filter((attack) => chosen.has(attack));
}

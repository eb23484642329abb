import type { BlockingLayer } from '../domain/layer.ts';
import type { EvidenceItem, EvidenceSource, EvidenceVerdict } from '../domain/evidence.ts';
import { isoAt, type MatchedField } from './match-flow.ts';

/** What a parser read in one matching record: the verdict, a readable detail and the rule it names, if any. */
export interface Judgement {
  readonly verdict: EvidenceVerdict;
  readonly detail: string;
  readonly rule?: string;
}

/**
 * The evidence item for one matching log line; `rule` and `at` are set only when the line gave them, `matched` names
 * the fields the line shared with the attempt's flow.
 */
export function judgedItem(
  layer: BlockingLayer,
  source: EvidenceSource,
  raw: string,
  judgement: Judgement,
  at: Date | undefined,
  matched: readonly MatchedField[],
): EvidenceItem {
  return {
    layer,
    source,
    verdict: judgement.verdict,
    raw,
    detail: judgement.detail,
    ...(judgement.rule === undefined ? {} : { rule: judgement.rule }),
    ...(at === undefined ? {} : { at: isoAt(at) }),
    matched,
  };
}

import type { AttackFamily, Expectation } from './attack.ts';
import type { EvidenceItem } from './evidence.ts';
import type { BlockingLayer } from './layer.ts';
import type { ProviderName } from './profile.ts';
import type { ClientSignal } from './signal.ts';

export const OUTCOMES = ['allowed', 'blocked', 'inconclusive', 'not-applicable', 'error'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export type Confidence = 'confirmed' | 'inferred';

export interface ControlResult {
  readonly passed: boolean;
  readonly signal: ClientSignal;
  readonly detail?: string;
  /** How many times the control ran (it is retried before a cell is called inconclusive). */
  readonly tries?: number;
}

export interface CellTimings {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly controlMs: number;
  readonly attemptMs: number;
  readonly evidenceMs: number;
}

/** The result of one attack on one profile: one line of results.jsonl, one cell of the matrix. */
export interface Cell {
  readonly schemaVersion: 1;
  readonly runId: string;
  readonly provider: ProviderName;
  readonly profileId: string;
  readonly attackId: string;
  readonly family: AttackFamily;
  readonly title: string;
  readonly outcome: Outcome;
  readonly signal?: ClientSignal;
  readonly blockedBy?: BlockingLayer;
  readonly confidence?: Confidence;
  /** Every layer record found for this attempt, including those of layers not credited. */
  readonly evidence: readonly EvidenceItem[];
  readonly expected: Expectation;
  /** Whether the observation matched the expectation (outcome and, when expected, the blocking layer). */
  readonly asExpected: boolean;
  readonly control?: ControlResult;
  /** Why the cell is not-applicable, inconclusive or error; free text. */
  readonly reason?: string;
  /** How many times the attempt ran (retries on a failed control). */
  readonly attempts: number;
  readonly canary?: string;
  readonly timings: CellTimings;
}

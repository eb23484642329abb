import type { AttackFamily, Expectation } from './attack.ts';
import type { ControlKind, FlowSummary } from './control.ts';
import type { CellDepth } from './depth.ts';
import type { EvidenceItem } from './evidence.ts';
import type { BlockingLayer } from './layer.ts';
import type { ProviderName } from './profile.ts';
import type { ReadableSchemaVersion } from './results.ts';
import type { ClientSignal } from './signal.ts';

/**
 * `not-run`: the attempt was in flight when the run was interrupted (or its result could not be trusted because
 * teardown had begun): nothing was measured. It is never a verdict, never blocked, never counted unexpected.
 */
export const OUTCOMES = ['allowed', 'blocked', 'inconclusive', 'not-applicable', 'error', 'not-run'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export type Confidence = 'confirmed' | 'inferred';

/** The positive control: which path it walked and what came of it (schema 2; version-1 cells lack the path). */
export interface ControlResult extends Partial<FlowSummary> {
  readonly kind?: ControlKind;
  /** `passed` or `failed`, the same as `passed` in words. */
  readonly result?: 'passed' | 'failed';
  readonly passed: boolean;
  readonly signal: ClientSignal;
  readonly detail?: string;
  /** How many times the control ran (it is retried before a cell is called inconclusive). */
  readonly tries?: number;
  /**
   * Where its last try ran: `shared`, the run's client pod for this control pod spec (core/runner/control-clients.ts),
   * or `own`, a pod made for it (always for retries).
   */
  readonly client?: 'shared' | 'own';
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
  /** 2 when written by this harness; 1 for cells read from older results. */
  readonly schemaVersion: ReadableSchemaVersion;
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
  /** The attempt's own flow (schema 2), to read beside the control's. */
  readonly flow?: FlowSummary;
  readonly control?: ControlResult;
  /** Why the cell is not-applicable, inconclusive, error or not-run; free text. */
  readonly reason?: string;
  /** How many times the attempt ran (retries on a failed control). */
  readonly attempts: number;
  readonly canary?: string;
  readonly timings: CellTimings;
  /** Depth by ablation (`run --depth`), on cells of stacks with more than one policy group (core/depth). */
  readonly depth?: CellDepth;
}

/** Whether the cell holds a measurement (a verdict, an n/a or an error), as opposed to an interrupted attempt. */
export function wasMeasured(cell: Pick<Cell, 'outcome'>): boolean {
  return cell.outcome !== 'not-run';
}

/** A measured cell whose observation differs from its expectation. `not-run` cells are never unexpected. */
export function isUnexpected(cell: Pick<Cell, 'outcome' | 'asExpected'>): boolean {
  return wasMeasured(cell) && !cell.asExpected;
}

import { expect } from 'vitest';
import type { Cell } from '../domain/cell.ts';
import type { BlockingLayer } from '../domain/layer.ts';

function describeCell(cell: Cell): string {
  const layer = cell.blockedBy ? ` by ${cell.blockedBy} (${cell.confidence ?? 'inferred'})` : '';
  const why = cell.reason ? ` — ${cell.reason}` : '';
  return `${cell.attackId} on ${cell.profileId}: ${cell.outcome}${layer}, signal ${cell.signal ?? 'none'}${why}`;
}

function evidenceLines(cell: Cell): string {
  if (cell.evidence.length === 0) return '  (no layer recorded anything)';
  return cell.evidence.map((item) => `  [${item.layer}/${item.source}] ${item.raw}`).join('\n');
}

expect.extend({
  toBeBlockedBy(received: Cell, layer: BlockingLayer) {
    const pass = received.outcome === 'blocked' && received.blockedBy === layer;
    return {
      pass,
      message: () =>
        `expected ${received.attackId} to be ${this.isNot ? 'not ' : ''}blocked by ${layer}; observed ${describeCell(received)}\nexpectation source: ${received.expected.source}\nevidence:\n${evidenceLines(received)}`,
    };
  },
  toBeAllowed(received: Cell) {
    return {
      pass: received.outcome === 'allowed',
      message: () =>
        `expected ${received.attackId} to be ${this.isNot ? 'not ' : ''}allowed; observed ${describeCell(received)}\nexpectation source: ${received.expected.source}\nevidence:\n${evidenceLines(received)}`,
    };
  },
  toBeNotApplicable(received: Cell) {
    return {
      pass: received.outcome === 'not-applicable',
      message: () => `expected ${received.attackId} to be ${this.isNot ? '' : 'not '}applicable; observed ${describeCell(received)}`,
    };
  },
});

interface CellMatchers<R> {
  /** The attack was stopped, and attribution credited this layer. */
  toBeBlockedBy(layer: BlockingLayer): R;
  /** The attack worked (for exfiltration: the sink received the canary). */
  toBeAllowed(): R;
  toBeNotApplicable(): R;
}

declare module 'vitest' {
  // Vitest 5 declares Matchers<R, T>; our matchers return R like every built-in one.
  interface Matchers<R extends void | Promise<void> = void | Promise<void>, T = unknown> extends CellMatchers<R> {
    readonly __cellMatchersReceived?: T;
  }
}

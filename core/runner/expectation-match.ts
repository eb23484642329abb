import type { Expectation } from '../domain/attack.ts';
import type { Outcome } from '../domain/cell.ts';
import type { BlockingLayer } from '../domain/layer.ts';

/** Observation matches expectation: same outcome and, for an expected block, the same layer. */
export function matchesExpectation(
  observed: { readonly outcome: Outcome; readonly blockedBy?: BlockingLayer | undefined },
  expected: Expectation,
): boolean {
  switch (expected.outcome) {
    case 'not-applicable':
      return observed.outcome === 'not-applicable';
    case 'allowed':
      return observed.outcome === 'allowed';
    case 'blocked':
      return observed.outcome === 'blocked' && (expected.blockedBy === undefined || observed.blockedBy === expected.blockedBy);
  }
}

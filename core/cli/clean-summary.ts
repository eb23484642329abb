/** What `breachmatrix clean` did, never "nothing to clean" while a part of the sweep was skipped. */
export interface CleanOutcome {
  readonly removed: readonly string[];
  /** Parts that could not be swept and why (e.g. no Docker: kind clusters and containers were not looked at). */
  readonly skipped: readonly string[];
  readonly labOnly: boolean;
}

export function cleanSummary(outcome: CleanOutcome): string {
  const lines = outcome.removed.map((item) => `removed ${item}`);
  if (outcome.labOnly) lines.push('skipped the kind sweep (--lab-only)');
  for (const item of outcome.skipped) lines.push(`skipped the kind sweep of ${item}`);
  if (outcome.removed.length === 0) {
    const swept = outcome.labOnly || outcome.skipped.length > 0 ? 'the parts that were swept' : 'the lab or kind';
    lines.unshift(`nothing to clean in ${swept}`);
  }
  return `${lines.join('\n')}\n`;
}

import { describe, expect, it } from 'vitest';
import { cleanSummary } from './clean-summary.ts';

describe('clean summary', () => {
  it('says it skipped the kind sweep when Docker was not reachable, never a bare "nothing to clean"', () => {
    const text = cleanSummary({ removed: [], skipped: ['kind clusters: `kind get clusters` failed: not found', 'breachmatrix containers: `docker ps` failed: Cannot connect to the Docker daemon'], labOnly: false });
    expect(text).toBe(
      'nothing to clean in the parts that were swept\nskipped the kind sweep of kind clusters: `kind get clusters` failed: not found\nskipped the kind sweep of breachmatrix containers: `docker ps` failed: Cannot connect to the Docker daemon\n',
    );
  });

  it('lists what it removed, and says when --lab-only left kind alone', () => {
    expect(cleanSummary({ removed: ['netns bm-x'], skipped: [], labOnly: true })).toBe('removed netns bm-x\nskipped the kind sweep (--lab-only)\n');
    expect(cleanSummary({ removed: [], skipped: [], labOnly: false })).toBe('nothing to clean in the lab or kind\n');
  });
});

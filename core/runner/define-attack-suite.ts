import { describe, expect, inject, test } from 'vitest';
import type { AttackFamily } from '../domain/attack.ts';
import type { Cell } from '../domain/cell.ts';
import { requestCell } from './broker-client.ts';
import './cell-matchers.ts';
import './suite-context.ts';

declare module 'vitest' {
  interface TaskMeta {
    cell?: Cell;
  }
}

/**
 * One suite file per family calls this. For each profile, each selected attack becomes a concurrent test that asks
 * the runner for its cell and states the expectation with the cell matchers; the cell rides on the test's meta for
 * the reporter.
 */
export function defineAttackSuite(family: AttackFamily): void {
  const context = inject('breachmatrix');
  const attacks = context.attacks.filter((attack) => attack.family === family);

  for (const profileId of context.profileIds) {
    describe.concurrent(`${family} on ${profileId}`, () => {
      for (const attack of attacks) {
        test(`${attack.id} ${attack.title}`, async ({ task }) => {
          const cell = await requestCell(context.socketPath, { profileId, attackId: attack.id });
          // A cell of another profile or attack would put a verdict in the wrong place of the matrix.
          if (cell.profileId !== profileId || cell.attackId !== attack.id) throw new Error(`asked for ${attack.id} on ${profileId}, got ${cell.attackId} on ${cell.profileId}`);
          task.meta.cell = cell;
          const expected = cell.expected;
          if (expected.outcome === 'blocked') {
            if (expected.blockedBy === undefined) throw new Error(`${attack.id}: a blocked expectation must name its layer`);
            expect(cell).toBeBlockedBy(expected.blockedBy);
          } else if (expected.outcome === 'allowed') expect(cell).toBeAllowed();
          else expect(cell).toBeNotApplicable();
        });
      }
    });
  }
}

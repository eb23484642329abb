import type { Reporter, TestCase } from 'vitest/node';
import type { Cell } from '../domain/cell.ts';

/** Collects the cells the attack suites attached to their tests and forwards each to the progress display. */
export class CellReporter implements Reporter {
  private readonly cells: Cell[] = [];
  private readonly failures: string[] = [];
  private readonly onCell: (cell: Cell) => void;

  constructor(onCell: (cell: Cell) => void) {
    this.onCell = onCell;
  }

  onTestCaseResult(testCase: TestCase): void {
    const cell = testCase.meta().cell;
    if (cell !== undefined) {
      this.cells.push(cell);
      this.onCell(cell);
    }
    const result = testCase.result();
    if (result.state === 'failed' && cell === undefined) {
      // A test that failed without a cell means the harness itself broke (broker unreachable, etc.).
      this.failures.push(`${testCase.project.name} › ${testCase.fullName}: ${result.errors?.[0]?.message ?? 'failed'}`);
    }
  }

  collected(): readonly Cell[] {
    return [...this.cells];
  }

  harnessFailures(): readonly string[] {
    return [...this.failures];
  }
}

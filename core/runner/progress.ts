import type { Cell } from '../domain/cell.ts';

/** What the runner reports while it works; the CLI renders it for a terminal or as plain lines. */
export interface Progress {
  step(profileId: string, step: string): void;
  attackStarted(profileId: string, attackId: string): void;
  cell(cell: Cell): void;
  profileTotal(profileId: string, total: number): void;
  warn(message: string): void;
}

export const SILENT_PROGRESS: Progress = {
  step: () => {},
  attackStarted: () => {},
  cell: () => {},
  profileTotal: () => {},
  warn: () => {},
};

import { isUnexpected, type Cell } from '../domain/cell.ts';
import type { Progress } from '../runner/progress.ts';

interface ProfileState {
  step: string;
  done: number;
  total: number;
  unexpected: number;
  readonly started: number;
}

function paint(enabled: boolean, code: number, text: string): string {
  return enabled ? `\u001b[${code}m${text}\u001b[0m` : text;
}

function cellWord(cell: Cell): string {
  if (cell.outcome === 'blocked') return `blocked by ${cell.blockedBy ?? '?'} (${cell.confidence ?? 'inferred'})`;
  return cell.outcome;
}

/**
 * Progress for humans and for CI logs. On a TTY one status line per profile is redrawn in place; otherwise
 * (CI, pipes) every event is a plain line. Colour only on a TTY and never with NO_COLOR set.
 */
export class TerminalProgress implements Progress {
  private readonly out: NodeJS.WriteStream;
  private readonly live: boolean;
  private readonly color: boolean;
  private readonly profiles = new Map<string, ProfileState>();
  private drawnLines = 0;

  constructor(out: NodeJS.WriteStream = process.stderr, env: NodeJS.ProcessEnv = process.env) {
    this.out = out;
    this.live = out.isTTY === true && env.CI === undefined;
    this.color = out.isTTY === true && env.NO_COLOR === undefined;
  }

  private state(profileId: string): ProfileState {
    let state = this.profiles.get(profileId);
    if (state === undefined) {
      state = { step: 'waiting', done: 0, total: 0, unexpected: 0, started: performance.now() };
      this.profiles.set(profileId, state);
    }
    return state;
  }

  private elapsed(state: ProfileState): string {
    return `${((performance.now() - state.started) / 1000).toFixed(1)}s`;
  }

  private line(text: string): void {
    if (this.live) this.redraw(text);
    else this.out.write(`${text}\n`);
  }

  private redraw(message?: string): void {
    if (this.drawnLines > 0) this.out.write(`\u001b[${this.drawnLines}A\u001b[0J`);
    if (message !== undefined) this.out.write(`${message}\n`);
    const lines = [...this.profiles.entries()].map(([id, state]) => {
      const counts = state.total > 0 ? ` ${state.done}/${state.total}` : '';
      const bad = state.unexpected > 0 ? paint(this.color, 31, ` ${state.unexpected} unexpected`) : '';
      return `${paint(this.color, 1, id)}: ${state.step}${counts}${bad} ${paint(this.color, 2, this.elapsed(state))}`;
    });
    for (const text of lines) this.out.write(`${text}\n`);
    this.drawnLines = lines.length;
  }

  step(profileId: string, step: string): void {
    const state = this.state(profileId);
    state.step = step;
    if (this.live) this.redraw();
    else this.out.write(`[${profileId}] ${step} (${this.elapsed(state)})\n`);
  }

  profileTotal(profileId: string, total: number): void {
    this.state(profileId).total = total;
  }

  attackStarted(): void {}

  cell(cell: Cell): void {
    const state = this.state(cell.profileId);
    state.done += 1;
    if (isUnexpected(cell)) state.unexpected += 1;
    const mark = cell.outcome === 'not-run' ? paint(this.color, 33, 'not measured') : cell.asExpected ? paint(this.color, 32, 'as expected') : paint(this.color, 31, `UNEXPECTED (expected ${cell.expected.outcome}${cell.expected.blockedBy ? ` by ${cell.expected.blockedBy}` : ''})`);
    this.line(`[${cell.profileId}] ${cell.attackId} ${cellWord(cell)} — ${mark} ${state.done}/${state.total} ${this.elapsed(state)}`);
  }

  warn(message: string): void {
    this.line(paint(this.color, 33, `warning: ${message}`));
  }
}

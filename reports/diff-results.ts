import type { AttackFamily } from '../core/domain/attack.ts';
import type { Cell } from '../core/domain/cell.ts';
import { BadInputError } from '../core/domain/errors.ts';
import type { BlockingLayer } from '../core/domain/layer.ts';
import type { ProfileSummary } from '../core/domain/results.ts';
import { observedText } from './cell-label.ts';
import { markdownCell } from './markdown-summary.ts';
import type { RunResults } from './run-results.ts';

export const DIFF_KINDS = ['worse', 'better', 'changed', 'same'] as const;
export type DiffKind = (typeof DIFF_KINDS)[number];
export type FailOn = 'worse' | 'changed' | 'any';
export type Presence = 'both' | 'added' | 'removed';

export interface DiffOptions {
  /**
   * Match profiles by their stack (the id without an `@versionSet` suffix), so `cilium+istio-ambient` (pinned)
   * compares with `cilium+istio-ambient@next`. Default: match by exact id.
   */
  readonly matchByStack?: boolean;
}

export interface DiffEntry {
  /** The matched profile key (the id, or the stack when matching by stack). */
  readonly profileKey: string;
  readonly oldProfileId?: string;
  readonly newProfileId?: string;
  readonly attackId: string;
  readonly family: AttackFamily;
  readonly title: string;
  readonly kind: DiffKind;
  readonly presence: Presence;
  readonly old?: Cell;
  readonly new?: Cell;
  /** Why the entry is not `same`, e.g. `blocked → allowed`. */
  readonly reasons: readonly string[];
}

export interface ResultsDiff {
  readonly matchBy: 'id' | 'stack';
  readonly oldRuns: readonly string[];
  readonly newRuns: readonly string[];
  readonly entries: readonly DiffEntry[];
  readonly counts: Readonly<Record<DiffKind, number>>;
}

/** The profile id without a trailing `@versionSet`. */
export function stackKey(profileId: string): string {
  const at = profileId.lastIndexOf('@');
  return at > 0 ? profileId.slice(0, at) : profileId;
}

/**
 * How far along the path a layer stops traffic: earlier is better (admission before the pod exists, the CNI
 * before any proxy sees the packet). Sidecar and ztunnel are the same tier; `api` is not on the packet path.
 */
const LAYER_TIER: Readonly<Record<BlockingLayer, number | undefined>> = {
  admission: 0,
  cni: 1,
  'mesh-sidecar': 2,
  'mesh-ztunnel': 2,
  'mesh-waypoint': 3,
  api: undefined,
};

interface Verdict {
  readonly kind: DiffKind;
  readonly reasons: readonly string[];
}

function compareBlocked(before: Cell, after: Cell): Verdict {
  const worse: string[] = [];
  const better: string[] = [];
  const changed: string[] = [];
  const oldLayer = before.blockedBy;
  const newLayer = after.blockedBy;
  if (oldLayer !== newLayer) {
    const reason = `layer ${oldLayer ?? '?'} → ${newLayer ?? '?'}`;
    const oldTier = oldLayer === undefined ? undefined : LAYER_TIER[oldLayer];
    const newTier = newLayer === undefined ? undefined : LAYER_TIER[newLayer];
    if (newLayer === undefined) worse.push(`${reason} (layer lost)`);
    else if (oldTier === undefined || newTier === undefined || oldTier === newTier) changed.push(`${reason} (sideways)`);
    else if (newTier > oldTier) worse.push(`${reason} (later on the path)`);
    else better.push(`${reason} (earlier on the path)`);
  }
  if (before.confidence !== after.confidence) {
    const reason = `${before.confidence ?? 'unknown'} → ${after.confidence ?? 'unknown'}`;
    if (after.confidence === 'inferred' || after.confidence === undefined) worse.push(reason);
    else better.push(reason);
  }
  if (before.signal !== after.signal) changed.push(`signal ${before.signal ?? 'none'} → ${after.signal ?? 'none'}`);
  // Fail safe: any loss of protection or certainty makes the entry worse, whatever else improved.
  if (worse.length > 0) return { kind: 'worse', reasons: [...worse, ...better, ...changed] };
  if (better.length > 0) return { kind: 'better', reasons: [...better, ...changed] };
  if (changed.length > 0) return { kind: 'changed', reasons: changed };
  return { kind: 'same', reasons: [] };
}

/** No verdict: inconclusive, error, or not-run (an attempt an interrupt cut short — nothing was measured). */
function unknown(cell: Cell): boolean {
  return cell.outcome === 'inconclusive' || cell.outcome === 'error' || cell.outcome === 'not-run';
}

/** Classify one (profile, attack) present on both sides. */
export function compareCells(before: Cell, after: Cell): Verdict {
  const transition = `${before.outcome} → ${after.outcome}`;
  let verdict: Verdict;
  if (before.outcome === 'blocked' && after.outcome === 'blocked') verdict = compareBlocked(before, after);
  else if (before.outcome === 'blocked' && (after.outcome === 'allowed' || unknown(after))) verdict = { kind: 'worse', reasons: [transition] };
  else if (after.outcome === 'blocked' && (before.outcome === 'allowed' || unknown(before))) verdict = { kind: 'better', reasons: [transition] };
  else if (before.outcome !== after.outcome) verdict = { kind: 'changed', reasons: [transition] };
  else verdict = { kind: 'same', reasons: [] };

  const expectationMoved = before.expected.outcome !== after.expected.outcome || before.expected.blockedBy !== after.expected.blockedBy;
  if (!expectationMoved) return verdict;
  const reason = `expectation ${before.expected.outcome}${before.expected.blockedBy === undefined ? '' : ` by ${before.expected.blockedBy}`} → ${after.expected.outcome}${after.expected.blockedBy === undefined ? '' : ` by ${after.expected.blockedBy}`}`;
  return { kind: verdict.kind === 'same' ? 'changed' : verdict.kind, reasons: [...verdict.reasons, reason] };
}

function profileIndex(results: RunResults, byStack: boolean, side: string): Map<string, ProfileSummary> {
  const index = new Map<string, ProfileSummary>();
  for (const profile of results.profiles) {
    const key = byStack ? stackKey(profile.id) : profile.id;
    const clash = index.get(key);
    if (clash !== undefined) {
      throw new BadInputError(`profiles "${clash.id}" and "${profile.id}" both match stack "${key}"`, `${side} results`, 'one profile per stack when matching by stack');
    }
    index.set(key, profile);
  }
  return index;
}

/** Pre-upgrade validation: compare OLD and NEW results cell by cell. */
export function diffResults(before: RunResults, after: RunResults, options: DiffOptions = {}): ResultsDiff {
  const byStack = options.matchByStack === true;
  const oldProfiles = profileIndex(before, byStack, 'old');
  const newProfiles = profileIndex(after, byStack, 'new');
  const keyOf = (profileId: string): string => (byStack ? stackKey(profileId) : profileId);
  const oldCells = new Map(before.cells.map((cell) => [`${keyOf(cell.profileId)} ${cell.attackId}`, cell]));
  const newCells = new Map(after.cells.map((cell) => [`${keyOf(cell.profileId)} ${cell.attackId}`, cell]));

  // Old order first, then what only the new side has.
  const keys = [...new Set([...oldCells.keys(), ...newCells.keys()])];
  const entries = keys.map((key): DiffEntry => {
    const was = oldCells.get(key);
    const now = newCells.get(key);
    const sample = now ?? was;
    if (sample === undefined) throw new Error(`diff key ${key} has no cell on either side`);
    const profileKey = keyOf(sample.profileId);
    const base = {
      profileKey,
      ...(oldProfiles.has(profileKey) ? { oldProfileId: oldProfiles.get(profileKey)?.id } : {}),
      ...(newProfiles.has(profileKey) ? { newProfileId: newProfiles.get(profileKey)?.id } : {}),
      attackId: sample.attackId,
      family: sample.family,
      title: sample.title,
    };
    if (was === undefined) return { ...base, kind: 'changed', presence: 'added', new: sample, reasons: [`added: ${observedText(now)}`] };
    if (now === undefined) return { ...base, kind: 'changed', presence: 'removed', old: was, reasons: [`removed: was ${observedText(was)}`] };
    const verdict = compareCells(was, now);
    return { ...base, kind: verdict.kind, presence: 'both', old: was, new: now, reasons: verdict.reasons };
  });

  const counts = Object.fromEntries(DIFF_KINDS.map((kind) => [kind, entries.filter((entry) => entry.kind === kind).length])) as Record<DiffKind, number>;
  return {
    matchBy: byStack ? 'stack' : 'id',
    oldRuns: before.runs.map((run) => run.runId),
    newRuns: after.runs.map((run) => run.runId),
    entries,
    counts,
  };
}

/**
 * `--fail-on`: `worse` (default) fails on regressions; `changed` on sideways changes and cells only on one side;
 * `any` on every difference, improvements included.
 */
export function shouldFail(diff: ResultsDiff, failOn: readonly FailOn[] = ['worse']): boolean {
  return failOn.some((what) => {
    if (what === 'worse') return diff.counts.worse > 0;
    if (what === 'changed') return diff.counts.changed > 0;
    return diff.counts.worse + diff.counts.better + diff.counts.changed > 0;
  });
}

function profileLabel(entry: DiffEntry): string {
  const was = entry.oldProfileId ?? '—';
  const now = entry.newProfileId ?? '—';
  return was === now ? was : `${was} → ${now}`;
}

function transition(entry: DiffEntry): string {
  return `${entry.old === undefined ? '—' : observedText(entry.old)} → ${entry.new === undefined ? '—' : observedText(entry.new)}`;
}

const SECTIONS: readonly Exclude<DiffKind, 'same'>[] = ['worse', 'better', 'changed'];

function headline(diff: ResultsDiff): string {
  return `worse ${diff.counts.worse} · better ${diff.counts.better} · changed ${diff.counts.changed} · same ${diff.counts.same}`;
}

export function renderDiffText(diff: ResultsDiff): string {
  const lines = [
    `breachmatrix diff — old: ${diff.oldRuns.join(', ')} · new: ${diff.newRuns.join(', ')} · profiles matched by ${diff.matchBy}`,
    headline(diff),
  ];
  for (const kind of SECTIONS) {
    const entries = diff.entries.filter((entry) => entry.kind === kind);
    if (entries.length === 0) continue;
    lines.push('', `${kind.toUpperCase()} (${entries.length})`);
    for (const entry of entries) {
      lines.push(`  ${profileLabel(entry)}  ${entry.attackId} ${entry.title}: ${transition(entry)}  [${entry.reasons.join('; ')}]`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export function renderDiffMarkdown(diff: ResultsDiff): string {
  const lines = [
    '# breachmatrix diff',
    '',
    `Old: ${diff.oldRuns.map((run) => `\`${run}\``).join(', ')} · new: ${diff.newRuns.map((run) => `\`${run}\``).join(', ')} · profiles matched by ${diff.matchBy}`,
    '',
    `**${headline(diff)}**`,
  ];
  const icons: Readonly<Record<Exclude<DiffKind, 'same'>, string>> = { worse: '🔻', better: '🔺', changed: '🔁' };
  for (const kind of SECTIONS) {
    const entries = diff.entries.filter((entry) => entry.kind === kind);
    if (entries.length === 0) continue;
    lines.push('', `## ${icons[kind]} ${kind} (${entries.length})`, '', '| profile | attack | old → new | why |', '|---|---|---|---|');
    for (const entry of entries) {
      lines.push(`| ${markdownCell(profileLabel(entry))} | ${markdownCell(`${entry.attackId} ${entry.title}`)} | ${markdownCell(transition(entry))} | ${markdownCell(entry.reasons.join('; '))} |`);
    }
  }
  if (SECTIONS.every((kind) => diff.counts[kind] === 0)) lines.push('', 'No differences.');
  return `${lines.join('\n')}\n`;
}

import type { AttackFamily } from '../core/domain/attack.ts';
import type { Cell } from '../core/domain/cell.ts';
import { BadInputError } from '../core/domain/errors.ts';
import type { BlockingLayer } from '../core/domain/layer.ts';
import type { ProfileSummary } from '../core/domain/results.ts';
import { observedText } from './cell-label.ts';
import { compareDepth } from './diff-depth.ts';
import { markdownCell } from './markdown-summary.ts';
import { incompleteReasons } from './run-completeness.ts';
import type { RunResults } from './run-results.ts';
import { HARDENED_ID_SUFFIX, stackProfileId } from '../core/domain/profile.ts';

/** `missing`: the cell is in OLD and not in NEW — worse, never "changed": a vanished verdict protects nothing. */
export const DIFF_KINDS = ['worse', 'missing', 'better', 'changed', 'same'] as const;
export type DiffKind = (typeof DIFF_KINDS)[number];
export const DIFF_FAIL_ON = ['worse', 'changed', 'any'] as const;
export type FailOn = (typeof DIFF_FAIL_ON)[number];
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
  /** Why NEW is not a complete run (no end line, interrupted, failed profiles): fails `--fail-on worse`. */
  readonly newIncomplete: readonly string[];
  /** The same for OLD: printed, does not fail the gate (OLD is the baseline being replaced). */
  readonly oldIncomplete: readonly string[];
}

/** The profile id without its `@versionSet`; a `+hardened` column stays apart from the baseline one. */
export function stackKey(profileId: string): string {
  const hardened = profileId.endsWith(HARDENED_ID_SUFFIX);
  const id = stackProfileId(profileId);
  const at = id.lastIndexOf('@');
  const stack = at > 0 ? id.slice(0, at) : id;
  return hardened ? `${stack}${HARDENED_ID_SUFFIX}` : stack;
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

/** Worse depth makes any entry worse (fail safe); otherwise it ranks like the other reasons. */
function withDepth(verdict: Verdict, before: Cell, after: Cell): Verdict {
  const depth = compareDepth(before, after);
  if (depth === undefined) return verdict;
  const rank: readonly DiffKind[] = ['worse', 'better', 'changed', 'same'];
  const kind = rank.indexOf(depth.kind) < rank.indexOf(verdict.kind) ? depth.kind : verdict.kind;
  return { kind, reasons: [...verdict.reasons, depth.reason] };
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
  verdict = withDepth(verdict, before, after);

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
    if (now === undefined) return { ...base, kind: 'missing', presence: 'removed', old: was, reasons: [`missing in new: was ${observedText(was)}`] };
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
    newIncomplete: incompleteReasons(after),
    oldIncomplete: incompleteReasons(before),
  };
}

/**
 * `--fail-on`: `worse` (default) fails on regressions; `changed` on sideways changes and cells only NEW has;
 * `any` on every difference, improvements included. Whatever is asked for, the gate fails closed: cells of OLD
 * missing from NEW and an incomplete NEW run (no end line, interrupted, failed profiles) always fail it.
 */
export function shouldFail(diff: ResultsDiff, failOn: readonly FailOn[] = ['worse']): boolean {
  return failureReasons(diff, failOn).length > 0;
}

/** Why the gate fails, one line per reason (empty: it passes). No `--fail-on` at all (`none`) never fails. */
export function failureReasons(diff: ResultsDiff, failOn: readonly FailOn[] = ['worse']): string[] {
  if (failOn.length === 0) return [];
  const { counts } = diff;
  const asked = (what: FailOn): boolean => failOn.includes(what) || failOn.includes('any');
  const reasons = diff.newIncomplete.map((reason) => `new results are incomplete: ${reason}`);
  if (counts.missing > 0) reasons.push(`${counts.missing} cell(s) of old missing in new`);
  if (asked('worse') && counts.worse > 0) reasons.push(`${counts.worse} cell(s) worse`);
  if (asked('changed') && counts.changed > 0) reasons.push(`${counts.changed} cell(s) changed`);
  if (failOn.includes('any') && counts.better > 0) reasons.push(`${counts.better} cell(s) better`);
  return reasons;
}

function profileLabel(entry: DiffEntry): string {
  const was = entry.oldProfileId ?? '—';
  const now = entry.newProfileId ?? '—';
  return was === now ? was : `${was} → ${now}`;
}

function transition(entry: DiffEntry): string {
  return `${entry.old === undefined ? '—' : observedText(entry.old)} → ${entry.new === undefined ? '—' : observedText(entry.new)}`;
}

const SECTIONS: readonly Exclude<DiffKind, 'same'>[] = ['worse', 'missing', 'better', 'changed'];

function headline(diff: ResultsDiff): string {
  return DIFF_KINDS.map((kind) => `${kind} ${diff.counts[kind]}`).join(' · ');
}

function incompleteLines(diff: ResultsDiff): string[] {
  return [...diff.newIncomplete.map((reason) => `NEW INCOMPLETE: ${reason}`), ...diff.oldIncomplete.map((reason) => `old incomplete: ${reason}`)];
}

export function renderDiffText(diff: ResultsDiff): string {
  const lines = [
    `breachmatrix diff — old: ${diff.oldRuns.join(', ')} · new: ${diff.newRuns.join(', ')} · profiles matched by ${diff.matchBy}`,
    headline(diff),
    ...incompleteLines(diff),
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
  for (const line of incompleteLines(diff)) lines.push('', `> [!WARNING]`, `> ${markdownCell(line)}`);
  const icons: Readonly<Record<Exclude<DiffKind, 'same'>, string>> = { worse: '🔻', missing: '🕳️', better: '🔺', changed: '🔁' };
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

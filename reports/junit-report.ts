import type { Cell } from '../core/domain/cell.ts';
import type { ProfileErrorLine, ProfileSummary } from '../core/domain/results.ts';
import { expectedText, observedText } from './cell-label.ts';
import { cellStory } from './evidence-text.ts';
import { isFailedProfileCell, type ReportModel } from './report-model.ts';
import { SEE_BANNER } from './state-labels.ts';
import { renderXml, x, xText, type XmlElement } from './xml-node.ts';

function seconds(cell: Cell | undefined): number {
  return cell === undefined ? 0 : (cell.timings.controlMs + cell.timings.attemptMs + cell.timings.evidenceMs) / 1000;
}

function secondsText(value: number): string {
  return value.toFixed(3);
}

interface CaseResult {
  readonly children: readonly XmlElement[];
  readonly properties: Readonly<Record<string, string>>;
  readonly failed: boolean;
  readonly errored: boolean;
  readonly skipped: boolean;
}

function failureReason(errors: readonly ProfileErrorLine[]): string {
  return errors.map((error) => `${error.at} ${error.component}: ${error.message}`).join('\n');
}

function describeCell(cell: Cell | undefined, errors: readonly ProfileErrorLine[]): CaseResult {
  const none = { properties: {}, failed: false, errored: false, skipped: false };
  if (cell === undefined) {
    // A cell that never ran: the profile's infrastructure error explains it, else the run was cut short.
    const first = errors[0];
    if (first !== undefined) return { ...none, errored: true, children: [xText('error', { message: `not run: ${first.component}: ${first.message}`, type: 'profile-error' }, failureReason(errors))] };
    const reason = 'not run (the run was interrupted)';
    return { ...none, skipped: true, properties: { reason }, children: [x('skipped', { message: reason })] };
  }
  const properties = { observed: observedText(cell), expected: expectedText(cell.expected) };
  if (isFailedProfileCell(cell, errors)) {
    const first = errors[0];
    const message = `profile failed (${SEE_BANNER}): ${first === undefined ? 'no profile-error line' : `${first.component}: ${first.message}`}`;
    return { ...none, properties, errored: true, children: [xText('error', { message, type: 'profile-error' }, failureReason(errors))] };
  }
  const story = cellStory(cell);
  if (cell.outcome === 'not-run') {
    // Not measured (cut short by an interrupt): neither a pass nor a failure.
    const reason = cell.reason ?? 'interrupted while in flight';
    return { ...none, properties: { ...properties, reason }, skipped: true, children: [x('skipped', { message: `not run: ${reason}` }), xText('system-out', {}, `not run: ${reason}`)] };
  }
  if (cell.outcome === 'error') return { ...none, properties, errored: true, children: [xText('error', { message: cell.reason ?? 'the attempt failed', type: 'attempt-error' }, story)] };
  if (!cell.asExpected) {
    const message = `expected ${expectedText(cell.expected)} (${cell.expected.certainty}, source: ${cell.expected.source}); observed ${observedText(cell)}`;
    return { ...none, properties, failed: true, children: [xText('failure', { message, type: 'unexpected-outcome' }, story)] };
  }
  if (cell.outcome === 'not-applicable') {
    const reason = cell.reason ?? 'not applicable to this stack';
    return { ...none, properties: { ...properties, reason }, skipped: true, children: [x('skipped', { message: `not applicable: ${reason}` }), xText('system-out', {}, `not applicable: ${reason}`)] };
  }
  return { ...none, properties, children: [xText('system-out', {}, story)] };
}

function propertiesElement(properties: Readonly<Record<string, string>>): XmlElement[] {
  const entries = Object.entries(properties);
  return entries.length === 0 ? [] : [x('properties', {}, entries.map(([name, value]) => x('property', { name, value })))];
}

function profileProperties(profile: ProfileSummary): Record<string, string> {
  const properties: Record<string, string> = { cni: profile.cni, mesh: profile.mesh, provider: profile.provider, isLab: String(profile.isLab) };
  for (const [component, version] of Object.entries(profile.versions)) {
    if (typeof version === 'string') properties[`version.${component}`] = version;
  }
  return properties;
}

/**
 * `classname` is `<profile>.<family>`: unique per suite, so CI servers (Jenkins, GitLab) that key test history on
 * (classname, name) keep one history per stack. Dots in a profile id would read as packages: they become `_`.
 */
export function junitClassName(profileId: string, family: string): string {
  return `${profileId.replaceAll('.', '_')}.${family}`;
}

/**
 * junit.xml: one testsuite per profile (with its total `time`), one testcase per attack. Unexpected cells fail
 * with expected vs observed and the evidence as the body; not-applicable cells are skipped with the reason as the
 * `message`; and so are not-run cells (attempts cut short by an interrupt, with the reason); error cells are errors (a failed profile's cells carry its failure, once per case, never repeated
 * with the evidence).
 */
export function renderJunitReport(model: ReportModel): string {
  const totals = { tests: 0, failures: 0, errors: 0, skipped: 0, time: 0 };
  const suites = model.profiles.map((profile, index) => {
    const errors = model.profileErrors.get(profile.id) ?? [];
    const counts = { tests: 0, failures: 0, errors: 0, skipped: 0, time: 0 };
    const cases: XmlElement[] = [];
    for (const group of model.families) {
      for (const row of group.rows) {
        const cell = row.cells[index];
        const result = describeCell(cell, errors);
        const time = seconds(cell);
        counts.tests += 1;
        counts.time += time;
        if (result.failed) counts.failures += 1;
        if (result.errored) counts.errors += 1;
        if (result.skipped) counts.skipped += 1;
        cases.push(x('testcase', { classname: junitClassName(profile.id, group.family), name: `${row.attack.id} ${row.attack.title}`, time: cell === undefined ? undefined : secondsText(time) }, propertiesElement(result.properties), result.children));
      }
    }
    for (const key of ['tests', 'failures', 'errors', 'skipped', 'time'] as const) totals[key] += counts[key];
    const firstCell = model.results.cells.find((cell) => cell.profileId === profile.id);
    return x(
      'testsuite',
      { name: profile.id, tests: counts.tests, failures: counts.failures, errors: counts.errors, skipped: counts.skipped, timestamp: firstCell?.timings.startedAt.replace(/\.\d+Z$|Z$/, ''), time: secondsText(counts.time) },
      propertiesElement(profileProperties(profile)),
      cases,
    );
  });
  return renderXml(x('testsuites', { name: 'breachmatrix', tests: totals.tests, failures: totals.failures, errors: totals.errors, skipped: totals.skipped, time: secondsText(totals.time) }, suites));
}

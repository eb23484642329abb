import junitModule, { type Builder, type TestCase, type TestSuite as Suite } from 'junit-report-builder';
import type { Cell } from '../core/domain/cell.ts';
import type { ProfileErrorLine, ProfileSummary } from '../core/domain/results.ts';
import { expectedText, observedText } from './cell-label.ts';
import { cellStory } from './evidence-text.ts';
import type { ReportModel } from './report-model.ts';

// CommonJS: at run time the default import is the builder itself, while NodeNext types it as the module object.
const junitRoot: Builder = (junitModule as unknown as { default?: Builder }).default ?? (junitModule as unknown as Builder);

function seconds(cell: Cell): number {
  return (cell.timings.controlMs + cell.timings.attemptMs + cell.timings.evidenceMs) / 1000;
}

function describeCell(testCase: TestCase, cell: Cell | undefined, errors: readonly ProfileErrorLine[]): void {
  if (cell === undefined) {
    // A cell that never ran: the profile's infrastructure error explains it, else the run was cut short.
    const first = errors[0];
    if (first !== undefined) testCase.error(`not run: ${first.component}: ${first.message}`, 'profile-error', errors.map((error) => `${error.at} ${error.component}: ${error.message}`).join('\n'));
    else testCase.skipped().property('reason', 'not run (the run was interrupted)').standardOutput('not run (the run was interrupted)');
    return;
  }
  testCase.time(seconds(cell)).property('observed', observedText(cell)).property('expected', expectedText(cell.expected));
  const story = cellStory(cell);
  if (cell.outcome === 'not-run') {
    // Not measured: neither a pass nor a failure.
    const reason = cell.reason ?? 'interrupted while in flight';
    testCase.skipped().property('reason', reason).standardOutput(`not run: ${reason}`);
  } else if (cell.outcome === 'error') {
    testCase.error(cell.reason ?? 'the attempt failed', 'attempt-error', story);
  } else if (!cell.asExpected) {
    testCase
      .failure(`expected ${expectedText(cell.expected)} (${cell.expected.certainty}, source: ${cell.expected.source}); observed ${observedText(cell)}`, 'unexpected-outcome')
      .stacktrace(story);
  } else if (cell.outcome === 'not-applicable') {
    const reason = cell.reason ?? 'not applicable to this stack';
    testCase.skipped().property('reason', reason).standardOutput(`not applicable: ${reason}`);
  } else {
    testCase.standardOutput(story);
  }
}

function addProfileProperties(suite: Suite, profile: ProfileSummary): void {
  suite.property('cni', profile.cni).property('mesh', profile.mesh).property('provider', profile.provider).property('isLab', String(profile.isLab));
  for (const [component, version] of Object.entries(profile.versions)) {
    if (typeof version === 'string') suite.property(`version.${component}`, version);
  }
}

/**
 * junit.xml: one testsuite per profile, one testcase per attack (classname = family). Unexpected cells fail
 * with expected vs observed and the evidence as the body; not-applicable cells are skipped with the reason
 * (as a `reason` property and system-out: the builder has no skipped message), and so are not-run cells
 * (attempts cut short by an interrupt); error cells are errors.
 */
export function renderJunitReport(model: ReportModel): string {
  const builder = junitRoot.newBuilder();
  model.profiles.forEach((profile, index) => {
    const suite = builder.testSuite().name(profile.id);
    addProfileProperties(suite, profile);
    const firstCell = model.results.cells.find((cell) => cell.profileId === profile.id);
    if (firstCell !== undefined) suite.timestamp(firstCell.timings.startedAt);
    const errors = model.profileErrors.get(profile.id) ?? [];
    for (const group of model.families) {
      for (const row of group.rows) {
        const testCase = suite.testCase().className(group.family).name(`${row.attack.id} ${row.attack.title}`);
        describeCell(testCase, row.cells[index], errors);
      }
    }
  });
  return builder.build();
}

import { Command, Option } from 'commander';
import { EXIT } from '../../domain/errors.ts';
import { failOnValues } from '../option-parsers.ts';
import { checkOutDir } from '../out-dir.ts';

const FAIL_ON = ['unexpected', 'error', 'missing', 'any', 'none'] as const;
type FailOnFlag = (typeof FAIL_ON)[number];

export function reportCommand(): Command {
  return new Command('report')
    .description('re-render report.json, junit.xml, summary.md, report.html and report.sarif from one or more results.jsonl (merged)')
    .argument('<results...>', 'results.jsonl file(s); several are merged into one matrix (nightly jobs)')
    .option('--out <dir>', 'where the reports go', 'out')
    .addOption(
      new Option('--fail-on <what...>', 'exit 1 when the merged matrix has unexpected cells, error cells, or missing cells (a profile × attack of a run header without a cell line); any: all three')
        .choices(FAIL_ON)
        .default(['none']),
    )
    .action(async (results: string[], flags: { out: string; failOn: FailOnFlag[] }) => {
      const { readResults } = await import('../../../reports/read-results.ts');
      const { writeReports } = await import('../../../reports/write-reports.ts');
      const { REPORT_FAIL_ON, reportFailureReasons } = await import('../../../reports/report-gate.ts');
      const { buildReportModel } = await import('../../../reports/report-model.ts');
      const failOn = failOnValues(flags.failOn, REPORT_FAIL_ON);
      await checkOutDir(flags.out);
      const merged = await readResults(results);
      for (const warning of merged.warnings) process.stderr.write(`warning: ${warning}\n`);
      const written = await writeReports(flags.out, merged);
      process.stdout.write(`${written.files.join('\n')}\n`);
      const reasons = reportFailureReasons(buildReportModel(merged), failOn);
      for (const reason of reasons) process.stderr.write(`breachmatrix report: fails --fail-on ${failOn.join(',')}: ${reason}\n`);
      process.exitCode = reasons.length > 0 ? EXIT.unexpected : EXIT.ok;
    });
}

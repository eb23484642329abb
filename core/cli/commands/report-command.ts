import { Command } from 'commander';

export function reportCommand(): Command {
  return new Command('report')
    .description('re-render report.json, junit.xml, summary.md and report.html from one or more results.jsonl (merged)')
    .argument('<results...>', 'results.jsonl file(s); several are merged into one matrix (nightly jobs)')
    .option('--out <dir>', 'where the reports go', 'out')
    .action(async (results: string[], flags: { out: string }) => {
      const { readResults } = await import('../../../reports/read-results.ts');
      const { writeReports } = await import('../../../reports/write-reports.ts');
      const written = await writeReports(flags.out, await readResults(results));
      process.stdout.write(`${written.files.join('\n')}\n`);
    });
}

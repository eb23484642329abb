import { Command, Option } from 'commander';
import { EXIT } from '../../domain/errors.ts';
import { failOnValues } from '../option-parsers.ts';
import { writeOutputFile } from '../output-file.ts';

const FAIL_ON = ['worse', 'changed', 'any', 'none'] as const;
type FailOnFlag = (typeof FAIL_ON)[number];

export function diffCommand(): Command {
  return new Command('diff')
    .description('pre-upgrade validation: compare two runs; exit 1 when a cell got worse or went missing, or NEW is incomplete (see --fail-on)')
    .argument('<old>', 'results.jsonl of the current versions')
    .argument('<new>', 'results.jsonl of the candidate versions')
    .addOption(
      new Option('--fail-on <what...>', 'which differences fail the command; cells missing from NEW and an incomplete NEW run (no end line, interrupted, failed profile) fail every value but none')
        .choices(FAIL_ON)
        .default(['worse']),
    )
    .option('--match-by-stack', 'match profiles by CNI+mesh, ignoring an @versionSet suffix (pinned vs next)', false)
    .option('--markdown <file>', 'also write the diff as Markdown (e.g. for a job summary)')
    .action(async (oldPath: string, newPath: string, flags: { failOn: FailOnFlag[]; matchByStack: boolean; markdown?: string }) => {
      const { DIFF_FAIL_ON, diffResults, failureReasons, renderDiffMarkdown, renderDiffText } = await import('../../../reports/diff-results.ts');
      const { readResults } = await import('../../../reports/read-results.ts');
      const failOn = failOnValues(flags.failOn, DIFF_FAIL_ON);
      const diff = diffResults(await readResults([oldPath]), await readResults([newPath]), { matchByStack: flags.matchByStack });
      process.stdout.write(renderDiffText(diff));
      if (flags.markdown !== undefined) await writeOutputFile(flags.markdown, renderDiffMarkdown(diff), '--markdown');
      const reasons = failureReasons(diff, failOn);
      for (const reason of reasons) process.stderr.write(`breachmatrix diff: fails --fail-on ${failOn.join(',')}: ${reason}\n`);
      process.exitCode = reasons.length > 0 ? EXIT.unexpected : EXIT.ok;
    });
}

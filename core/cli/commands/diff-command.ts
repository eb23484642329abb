import { Command, Option } from 'commander';
import { writeFile } from 'node:fs/promises';
import { EXIT } from '../../domain/errors.ts';

const FAIL_ON = ['worse', 'changed', 'any', 'none'] as const;
type FailOn = (typeof FAIL_ON)[number];

export function diffCommand(): Command {
  return new Command('diff')
    .description('pre-upgrade validation: compare two runs; exit 1 when a cell got worse (see --fail-on)')
    .argument('<old>', 'results.jsonl of the current versions')
    .argument('<new>', 'results.jsonl of the candidate versions')
    .addOption(new Option('--fail-on <what...>', 'which differences fail the command').choices(FAIL_ON).default(['worse']))
    .option('--match-by-stack', 'match profiles by CNI+mesh, ignoring an @versionSet suffix (pinned vs next)', false)
    .option('--markdown <file>', 'also write the diff as Markdown (e.g. for a job summary)')
    .action(async (oldPath: string, newPath: string, flags: { failOn: FailOn[]; matchByStack: boolean; markdown?: string }) => {
      const { diffResults, renderDiffMarkdown, renderDiffText, shouldFail } = await import('../../../reports/diff-results.ts');
      const { readResults } = await import('../../../reports/read-results.ts');
      const diff = diffResults(await readResults([oldPath]), await readResults([newPath]), { matchByStack: flags.matchByStack });
      process.stdout.write(renderDiffText(diff));
      if (flags.markdown !== undefined) await writeFile(flags.markdown, renderDiffMarkdown(diff));
      const failOn = flags.failOn.filter((item): item is Exclude<FailOn, 'none'> => item !== 'none');
      process.exitCode = failOn.length > 0 && shouldFail(diff, failOn) ? EXIT.unexpected : EXIT.ok;
    });
}

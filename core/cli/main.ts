import { Command, CommanderError } from 'commander';
import { closeSpawnHost } from '../host/spawn-host.ts';
import { BadInputError, EXIT, InfrastructureError } from '../domain/errors.ts';
import { cleanCommand } from './commands/clean-command.ts';
import { diffCommand } from './commands/diff-command.ts';
import { doctorCommand } from './commands/doctor-command.ts';
import { listCommand } from './commands/list-command.ts';
import { planCommand } from './commands/plan-command.ts';
import { reportCommand } from './commands/report-command.ts';
import { runCommand } from './commands/run-command.ts';

export function buildProgram(version: string): Command {
  const program = new Command('breachmatrix')
    .description('For each known way out of a Kubernetes network policy: which layer of your stack stops it — or nothing.')
    .version(version)
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      '\nExit codes: 0 every cell as expected · 1 unexpected cells or regressions · 2 bad input · 3 infrastructure failure · 130 interrupted',
    );
  for (const command of [runCommand(), planCommand(), reportCommand(), diffCommand(), listCommand(), doctorCommand(), cleanCommand()]) {
    program.addCommand(command);
  }
  // Commander's own usage errors (unknown flag, bad choice, missing argument) are bad input: exit 2.
  program.exitOverride();
  for (const command of program.commands) command.exitOverride();
  return program;
}

/** Maps every failure to the documented exit codes; never a stack trace for a user mistake. */
export async function main(argv: readonly string[], version: string): Promise<number> {
  const program = buildProgram(version);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT.ok;
      return EXIT.badInput;
    }
    if (error instanceof BadInputError) {
      process.stderr.write(`breachmatrix: ${error.message}\n`);
      return EXIT.badInput;
    }
    if (error instanceof InfrastructureError) {
      process.stderr.write(`breachmatrix: infrastructure failure: ${error.message}\n`);
      return EXIT.infrastructure;
    }
    process.stderr.write(`breachmatrix: ${(error as Error).stack ?? String(error)}\n`);
    return EXIT.infrastructure;
  } finally {
    await closeSpawnHost();
  }
}

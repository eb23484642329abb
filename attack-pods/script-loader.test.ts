import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { BadInputError } from '../core/domain/errors.ts';
import { composeScript, SCRIPTS_DIR, scriptNames } from './script-loader.ts';

const run = promisify(execFile);

describe('composeScript', () => {
  it('is lib.sh followed by the script', () => {
    const composed = composeScript('http-probe.sh');
    const lib = readFileSync(`${SCRIPTS_DIR}lib.sh`, 'utf8');
    expect(composed.startsWith(lib)).toBe(true);
    expect(composed.endsWith(readFileSync(`${SCRIPTS_DIR}http-probe.sh`, 'utf8'))).toBe(true);
  });

  it.each(scriptNames())('%s is `sh -n` clean once composed', async (name) => {
    await expect(run('sh', ['-n', '-c', composeScript(name)])).resolves.toBeDefined();
  });

  it('refuses unknown names, the library and paths', () => {
    for (const name of ['nope.sh', 'lib.sh', '../lib.sh', 'http-probe']) {
      expect(() => composeScript(name)).toThrow(BadInputError);
    }
  });

});

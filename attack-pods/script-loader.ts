import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BadInputError } from '../core/domain/errors.ts';

/** Where the attack scripts live; they are static files shipped with the harness. */
export const SCRIPTS_DIR = fileURLToPath(new URL('./scripts/', import.meta.url));

const LIBRARY = 'lib.sh';
const cache = new Map<string, string>();

function readScript(name: string): string {
  const cached = cache.get(name);
  if (cached !== undefined) return cached;
  const text = readFileSync(`${SCRIPTS_DIR}${name}`, 'utf8');
  cache.set(name, text);
  return text;
}

/** Script names a plan may use: every `*.sh` under attack-pods/scripts/ except the library. */
export function scriptNames(): readonly string[] {
  return readdirSync(SCRIPTS_DIR)
    .filter((file) => file.endsWith('.sh') && file !== LIBRARY)
    .sort();
}

/**
 * The text the runner executes as `sh -c <composed>` with the plan's env (or puts into an init container):
 * lib.sh followed by the script. Files are read once and cached.
 */
export function composeScript(name: string): string {
  // Names come from attack definitions; refuse anything that is not a plain script file name.
  if (!/^[a-z0-9][a-z0-9-]*\.sh$/.test(name) || name === LIBRARY || !scriptNames().includes(name)) {
    throw new BadInputError(`unknown attack script "${name}"`, 'attack-pods/scripts', scriptNames().join(', '));
  }
  return `${readScript(LIBRARY)}\n# ---- ${name}\n${readScript(name)}`;
}

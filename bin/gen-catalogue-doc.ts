/**
 * Write docs/catalogue.md from the catalogue's code (every attack, its plans and its expectation per stack).
 * `npx tsx bin/gen-catalogue-doc.ts --help`; `npm run docs:catalogue` runs it. A test fails when the file is stale.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CATALOGUE_DOC_PATH, renderCatalogueDoc } from '../attack-pods/catalogue/catalogue-doc.ts';
import { ATTACKS } from '../attack-pods/catalogue/index.ts';
import { loadAllStackTraits } from '../core/config/testing/all-profiles.ts';

const USAGE = `Usage: npx tsx bin/gen-catalogue-doc.ts [--check]   (or: npm run docs:catalogue)

Renders ${CATALOGUE_DOC_PATH} from attack-pods/catalogue: every attack with its technique, preconditions,
references, success criterion, attempt and control, and its expectation on every kind profile and lab stack;
then what --policy-set hardened adds per layer and every expectation it changes.

  --check     write nothing; exit 1 when ${CATALOGUE_DOC_PATH} differs from what would be written
  -h, --help  this text`;

let values: { help?: boolean; check?: boolean };
try {
  ({ values } = parseArgs({ args: process.argv.slice(2), options: { help: { type: 'boolean', short: 'h' }, check: { type: 'boolean' } }, strict: true, allowPositionals: false }));
} catch (error) {
  process.stderr.write(`gen-catalogue-doc: ${(error as Error).message} (allowed: --check, --help)\n\n${USAGE}\n`);
  process.exit(2);
}
if (values.help === true) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const target = resolve(dirname(fileURLToPath(import.meta.url)), '..', CATALOGUE_DOC_PATH);
const rendered = renderCatalogueDoc(ATTACKS, await loadAllStackTraits(), await loadAllStackTraits('hardened'));
if (values.check === true) {
  const current = await readFile(target, 'utf8').catch(() => '');
  if (current !== rendered) {
    process.stderr.write(`${CATALOGUE_DOC_PATH} is stale: run \`npm run docs:catalogue\`\n`);
    process.exit(1);
  }
  process.stdout.write(`${CATALOGUE_DOC_PATH} is up to date\n`);
} else {
  await mkdir(dirname(target), { recursive: true, mode: 0o755 });
  await writeFile(target, rendered, { mode: 0o644 });
  process.stdout.write(`wrote ${target} (${ATTACKS.length} attacks)\n`);
}

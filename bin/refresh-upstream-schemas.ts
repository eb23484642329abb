/**
 * Re-download the vendored upstream files (test/fixtures/upstream) from their pinned releases and check or
 * update their checksums. Needs internet; never run by the tests. `npx tsx bin/refresh-upstream-schemas.ts --help`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { BadInputError } from '../core/domain/errors.ts';
import { PROVENANCE_FILE, loadProvenance, provenanceMismatches, type ProvenanceEntry } from '../manifests/contract/upstream-fixtures.ts';
import { REFRESH_USAGE, download, parseRefreshArgs, planDownloads, refreshedEntry, writeCopy } from '../manifests/contract/upstream-refresh.ts';

async function main(argv: readonly string[]): Promise<number> {
  const options = parseRefreshArgs(argv);
  if (options.help) {
    process.stdout.write(`${REFRESH_USAGE}\n`);
    return 0;
  }
  const provenance = loadProvenance();
  const downloads = planDownloads(provenance, options.only);
  const updated = new Map<string, ProvenanceEntry>();
  let failed = 0;
  for (const { entry, url, target } of downloads) {
    let bytes: Uint8Array;
    try {
      bytes = await download(url);
    } catch (error) {
      process.stderr.write(`FAIL ${entry.file}: ${(error as Error).message}\n`);
      failed += 1;
      continue;
    }
    const upstream = provenanceMismatches(entry, bytes);
    const copy = new Uint8Array(await readFile(target).catch(() => Buffer.alloc(0)));
    const copyDiffers = Buffer.compare(Buffer.from(copy), Buffer.from(bytes)) !== 0;
    if (upstream.length === 0 && !copyDiffers) {
      process.stdout.write(`ok   ${entry.file} (${url})\n`);
      continue;
    }
    if (!options.write) {
      process.stderr.write(`DIFF ${entry.file} (${url}):\n  ${[...upstream, ...(copyDiffers ? ['the copy differs from the download'] : [])].join('\n  ')}\n`);
      failed += 1;
      continue;
    }
    await writeCopy(target, bytes);
    updated.set(entry.file, refreshedEntry(entry, bytes));
    process.stdout.write(`new  ${entry.file} (${url}); check "commit" and "version" match ${entry.ref}\n`);
  }
  if (updated.size > 0) {
    const files = provenance.files.map((entry) => updated.get(entry.file) ?? entry);
    await writeFile(PROVENANCE_FILE, `${JSON.stringify({ files }, null, 2)}\n`, { mode: 0o644 });
    process.stdout.write(`updated ${PROVENANCE_FILE}\n`);
  }
  return failed === 0 ? 0 : 1;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof BadInputError) {
    process.stderr.write(`${error.message}\n\n${REFRESH_USAGE}\n`);
    process.exitCode = 2;
  } else {
    throw error;
  }
}

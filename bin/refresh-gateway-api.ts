/**
 * Vendor (or check) the Gateway API standard-channel release a version set pins, from the release tag on GitHub.
 * Needs internet; never run by the tests. `npx tsx bin/refresh-gateway-api.ts --help`.
 */
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BadInputError } from '../core/domain/errors.ts';
import { download } from '../manifests/contract/upstream-refresh.ts';
import { rawGitHubUrl } from '../manifests/contract/upstream-fixtures.ts';
import { GATEWAY_API_MANIFESTS_DIR, GATEWAY_API_REPOSITORY, loadGatewayApiBundle } from '../clusters/kind/manifests/gateway-api-bundle.ts';
import {
  GATEWAY_API_REFRESH_USAGE,
  filesToVendor,
  gitHubApiUrls,
  parseGatewayApiRefreshArgs,
  vendoredEntry,
  type ListedFile,
} from '../clusters/kind/manifests/gateway-api-refresh.ts';

async function json(url: string): Promise<unknown> {
  return JSON.parse(new TextDecoder().decode(await download(url))) as unknown;
}

function listed(value: unknown, url: string): ListedFile[] {
  const items = Array.isArray(value) ? value : [value];
  return items.map((item: unknown) => {
    const file = item as { path?: unknown; sha?: unknown; type?: unknown };
    if (typeof file.path !== 'string' || typeof file.sha !== 'string' || file.type !== 'file') throw new Error(`${url}: unexpected listing entry ${JSON.stringify(item)}`);
    return { path: file.path, sha: file.sha };
  }).filter((file) => file.path !== '');
}

async function main(argv: readonly string[]): Promise<number> {
  const options = parseGatewayApiRefreshArgs(argv);
  if (options.help) {
    process.stdout.write(`${GATEWAY_API_REFRESH_USAGE}\n`);
    return 0;
  }
  const { version } = options;
  const api = gitHubApiUrls(version);
  const commit = String((await json(api.commit) as { sha?: unknown }).sha ?? '');
  if (!/^[0-9a-f]{40}$/.test(commit)) throw new Error(`${api.commit}: no commit id`);
  const header = listed(await json(api.header), api.header)[0];
  if (header === undefined) throw new Error(`${api.header}: no file`);
  const standardDir = (await json(api.standardDir) as { type?: unknown }[]).filter((item) => item.type === 'file');
  const files = filesToVendor(header, listed(standardDir, api.standardDir));
  const downloaded: { readonly file: ListedFile; readonly bytes: Uint8Array }[] = [];
  for (const file of files) {
    const url = rawGitHubUrl(GATEWAY_API_REPOSITORY, version, file.path);
    const bytes = await download(url);
    const entry = vendoredEntry(version, commit, file.path, bytes);
    if (entry.gitBlob !== file.sha) throw new Error(`${url}: git blob ${entry.gitBlob}, the tag lists ${file.sha}`);
    downloaded.push({ file, bytes });
    process.stdout.write(`got  ${file.path} (${bytes.length} bytes, blob ${file.sha})\n`);
  }
  const entries = downloaded.map(({ file, bytes }) => vendoredEntry(version, commit, file.path, bytes));
  const provenance = `${JSON.stringify({ files: entries }, null, 2)}\n`;
  const target = join(GATEWAY_API_MANIFESTS_DIR, version);
  const current = await readFile(join(target, 'provenance.json'), 'utf8').catch(() => undefined);
  if (current === provenance) {
    loadGatewayApiBundle(version);
    process.stdout.write(`ok   ${target} matches ${GATEWAY_API_REPOSITORY}@${version} (${commit})\n`);
    return 0;
  }
  if (!options.write) {
    process.stderr.write(`DIFF ${target} is ${current === undefined ? 'missing' : 'not the release'}; run again with --write to vendor it\n`);
    return 1;
  }
  // Write a complete folder beside the old one, check it, then swap: never a half-vendored version.
  await mkdir(GATEWAY_API_MANIFESTS_DIR, { recursive: true });
  const staging = await mkdtemp(join(GATEWAY_API_MANIFESTS_DIR, '.staging-'));
  try {
    const staged = join(staging, version);
    await mkdir(staged, { mode: 0o755 });
    for (const [index, { bytes }] of downloaded.entries()) await writeFile(join(staged, entries[index]?.file ?? ''), bytes, { mode: 0o644 });
    await writeFile(join(staged, 'provenance.json'), provenance, { mode: 0o644 });
    loadGatewayApiBundle(version, staging);
    await rm(target, { recursive: true, force: true });
    await rename(staged, target);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  process.stdout.write(`new  ${target} from ${GATEWAY_API_REPOSITORY}@${version} (${commit}); check hack/build-install-yaml.sh at the tag, then commit it\n`);
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof BadInputError) {
    process.stderr.write(`${error.message}\n\n${GATEWAY_API_REFRESH_USAGE}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`FAIL ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}

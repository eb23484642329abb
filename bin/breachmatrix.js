#!/usr/bin/env node
// The CLI is TypeScript run through tsx's loader: no build step, the same sources vitest runs.
import { register } from 'tsx/esm/api';
import { readFile } from 'node:fs/promises';

const [major] = process.versions.node.split('.').map(Number);
if (major < 22) {
  process.stderr.write(`breachmatrix needs Node.js >= 22 (this is ${process.version}).\n`);
  process.exit(2);
}
register();
const { main } = await import('../core/cli/main.ts');
const { version } = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
process.exitCode = await main(process.argv.slice(2), version);

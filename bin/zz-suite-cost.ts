// Temporary experiment (not committed): CPU and wall of runSuites against a broker that answers at once.
import { createServer } from 'node:http';
import { rm } from 'node:fs/promises';
import { findAttacks } from '../attack-pods/catalogue/index.ts';
import { CellReporter } from '../core/runner/cell-reporter.ts';
import { runSuites } from '../core/runner/run-suites.ts';
const attacks = findAttacks([]);
const socketPath = '/tmp/speed-runs/exp/b.sock';
await rm(socketPath, { force: true });
let first = 0;
const t0 = performance.now();
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    if (first === 0) first = performance.now() - t0;
    const body = JSON.parse(Buffer.concat(chunks).toString());
    setTimeout(() => res.end(JSON.stringify({ cell: { ...body, expected: { outcome: 'not-applicable' }, outcome: 'not-applicable' } })), 2000);
  });
});
await new Promise<void>((r) => server.listen(socketPath, r));
const cpu0 = process.cpuUsage();
await runSuites({ socketPath, profileIds: ['lab:none', 'lab:netpol', 'lab:sidecar', 'lab:netpol+sidecar', 'lab:ambient'], attacks, testTimeoutMs: 60000, reporter: new CellReporter(() => {}), signal: new AbortController().signal });
const cpu = process.cpuUsage(cpu0);
console.log(`first request ${(first / 1000).toFixed(1)} s, wall ${((performance.now() - t0) / 1000).toFixed(1)} s, cpu user ${(cpu.user / 1e6).toFixed(1)} sys ${(cpu.system / 1e6).toFixed(1)}, rss ${Math.round(process.memoryUsage().rss / 1e6)} MB`);
server.close();

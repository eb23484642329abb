/**
 * Lab speed benchmark: `npx tsx bin/bench-lab.ts [runs] [stack]` (as root). Prints lab-up and teardown times
 * (median, max) over N runs; "up" includes the scene's namespaces and five workload pods.
 */
import { LabCluster } from '../clusters/lab/lab-cluster.ts';
import { labProfile } from '../clusters/lab/testing/lab-profile.ts';
import { LAB_STACKS, type LabStackId } from '../core/domain/profile.ts';
import { pod } from '../manifests/pod-builder.ts';
import { SCENE } from '../manifests/scene.ts';

const runs = Number(process.argv[2] ?? '5');
const stack = (process.argv[3] ?? 'lab:netpol') as LabStackId;
if (!Number.isInteger(runs) || runs < 1 || !(LAB_STACKS as readonly string[]).includes(stack)) {
  process.stderr.write(`usage: bench-lab.ts [runs >= 1] [${LAB_STACKS.join('|')}]\n`);
  process.exit(2);
}

function summary(label: string, values: readonly number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 0 ? ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2 : (sorted[middle] ?? 0);
  return `${label}: median ${median.toFixed(0)} ms, max ${(sorted.at(-1) ?? 0).toFixed(0)} ms`;
}

const up: number[] = [];
const down: number[] = [];
for (let run = 0; run < runs; run++) {
  const started = performance.now();
  const lab = await LabCluster.create(labProfile(stack), { runId: `bench-${run}`, onProgress: () => undefined });
  try {
    const app = SCENE.namespaces.app;
    await lab.apply([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: app, labels: { 'istio-injection': 'enabled' } } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SCENE.namespaces.rogue, labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } } },
    ]);
    const workload = (name: string, port: number) =>
      pod(name, app).exposePort(port).withCommand('python3', '/opt/breachmatrix/workload_server.py', '--name', name, '--http-port', String(port)).build();
    await Promise.all([
      lab.createPod(workload('frontend', SCENE.workloads.frontend.port), { timeoutMs: 10_000 }),
      lab.createPod(workload('api', SCENE.workloads.api.port), { timeoutMs: 10_000 }),
      lab.createPod(workload('db', SCENE.workloads.db.port), { timeoutMs: 10_000 }),
      lab.createPod(pod('intruder', app).build(), { timeoutMs: 10_000 }),
      lab.createPod(pod('rogue', SCENE.namespaces.rogue).build(), { timeoutMs: 10_000 }),
    ]);
    up.push(performance.now() - started);
  } finally {
    const stopping = performance.now();
    await lab.teardown();
    down.push(performance.now() - stopping);
  }
}
process.stdout.write(`${stack}, ${runs} run(s)\n${summary('lab up', up)}\n${summary('teardown', down)}\n`);

/**
 * Lab speed benchmark (as root):
 *   npx tsx bin/bench-lab.ts [runs] [stack]            lab up (scene namespaces + five workload pods) and teardown
 *   npx tsx bin/bench-lab.ts --burst N [stack]          on a lab holding the whole scene and its policies, N pods
 *                                                        created at once (half in the mesh namespace), then deleted
 *                                                        at once: per-pod ready and delete times
 * Prints medians and maxima. Not a test: speed is measured here, not asserted in CI.
 */
import { LabCluster } from '../clusters/lab/lab-cluster.ts';
import { labProfile } from '../clusters/lab/testing/lab-profile.ts';
import type { KubeObject, PodHandle } from '../core/domain/cluster.ts';
import { LAB_STACKS, type LabStackId } from '../core/domain/profile.ts';
import { TIMEOUTS } from '../core/timeouts.ts';
import { pod } from '../manifests/pod-builder.ts';
import { renderSceneObjects } from '../manifests/render-scene-objects.ts';
import { SCENE } from '../manifests/scene.ts';

const USAGE = `Usage: npm run bench:lab -- [runs] [stack]          (or: npx tsx bin/bench-lab.ts …; as root)
       npm run bench:lab -- --burst <pods> [stack]

  [runs] [stack]          lab up (scene namespaces + five workload pods) and teardown, [runs] times (default: 5)
  --burst <pods> [stack]  on a lab holding the whole scene and its policies, <pods> pods created at once, then
                          deleted at once: per-pod ready and delete times
  stack                   one of ${LAB_STACKS.join(', ')} (default: lab:netpol)
  -h, --help              show this help

Prints medians and maxima. Not a test: speed is measured here, not asserted in CI.
`;
if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const unknownFlag = process.argv.slice(2).find((arg) => arg.startsWith('-') && arg !== '--burst');
if (unknownFlag !== undefined) {
  process.stderr.write(`bench-lab: unknown option '${unknownFlag}'\n\n${USAGE}`);
  process.exit(2);
}
const burstAt = process.argv.indexOf('--burst');
const burst = burstAt >= 0 ? Number(process.argv[burstAt + 1]) : 0;
const positional = process.argv.slice(2).filter((_, index, all) => all[index] !== '--burst' && all[index - 1] !== '--burst');
const runs = burstAt >= 0 ? 1 : Number(positional[0] ?? '5');
const stack = ((burstAt >= 0 ? positional[0] : positional[1]) ?? 'lab:netpol') as LabStackId;
if (!Number.isInteger(runs) || runs < 1 || (burstAt >= 0 && (!Number.isInteger(burst) || burst < 1)) || !(LAB_STACKS as readonly string[]).includes(stack)) {
  process.stderr.write(`bench-lab: runs and --burst must be whole numbers >= 1, and the stack one of ${LAB_STACKS.join(', ')}\n\n${USAGE}`);
  process.exit(2);
}

function summary(label: string, values: readonly number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 0 ? ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2 : (sorted[middle] ?? 0);
  return `${label}: median ${median.toFixed(0)} ms, max ${(sorted.at(-1) ?? 0).toFixed(0)} ms`;
}

const app = SCENE.namespaces.app;
const sceneNamespaces: KubeObject[] = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: app, labels: { 'istio-injection': 'enabled' } } },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SCENE.namespaces.rogue, labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } } },
];
const workload = (name: string, port: number) =>
  pod(name, app).exposePort(port).withCommand('python3', '/opt/breachmatrix/workload_server.py', '--name', name, '--http-port', String(port)).build();

async function timedCreate(lab: LabCluster, spec: Parameters<LabCluster['createPod']>[0]): Promise<{ ms: number; handle: PodHandle }> {
  const started = performance.now();
  const created = await lab.createPod(spec, { timeoutMs: TIMEOUTS.labPodReadyMs });
  if (created.status !== 'running') throw new Error(`pod ${spec.metadata?.name} was rejected: ${created.message}`);
  return { ms: performance.now() - started, handle: created.pod };
}

if (burst > 0) {
  const upStarted = performance.now();
  const lab = await LabCluster.create(labProfile(stack), { runId: 'bench-burst', onProgress: () => undefined });
  try {
    // The whole scene with every layer's policies, as a run has it: rulesets and proxies are full-size.
    for (const objects of renderSceneObjects(labProfile(stack))) await lab.apply(objects);
    const labUp = performance.now() - upStarted;
    const specs = Array.from({ length: burst }, (_, index) =>
      index % 2 === 0 ? pod(`burst-${index}`, app).build() : pod(`burst-${index}`, SCENE.namespaces.rogue).build(),
    );
    const started = performance.now();
    const created = await Promise.all(specs.map((spec) => timedCreate(lab, spec)));
    const allReady = performance.now() - started;
    const deleteTimes = await Promise.all(
      created.map(async ({ handle }) => {
        const stopping = performance.now();
        await handle[Symbol.asyncDispose]();
        return performance.now() - stopping;
      }),
    );
    process.stdout.write(
      `${stack}, burst of ${burst} pods (${Math.ceil(burst / 2)} in ${app})\n` +
        `lab up with the scene and its policies: ${labUp.toFixed(0)} ms\n${summary('pod ready', created.map((c) => c.ms))}\n` +
        `all ${burst} ready after ${allReady.toFixed(0)} ms\n${summary('pod delete', deleteTimes)}\n`,
    );
  } finally {
    await lab.teardown();
  }
} else {
  const up: number[] = [];
  const down: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    const lab = await LabCluster.create(labProfile(stack), { runId: `bench-${run}`, onProgress: () => undefined });
    try {
      await lab.apply(sceneNamespaces);
      await Promise.all([
        timedCreate(lab, workload('frontend', SCENE.workloads.frontend.port)),
        timedCreate(lab, workload('api', SCENE.workloads.api.port)),
        timedCreate(lab, workload('db', SCENE.workloads.db.port)),
        timedCreate(lab, pod('intruder', app).build()),
        timedCreate(lab, pod('rogue', SCENE.namespaces.rogue).build()),
      ]);
      up.push(performance.now() - started);
    } finally {
      const stopping = performance.now();
      await lab.teardown();
      down.push(performance.now() - stopping);
    }
  }
  process.stdout.write(`${stack}, ${runs} run(s)\n${summary('lab up', up)}\n${summary('teardown', down)}\n`);
}

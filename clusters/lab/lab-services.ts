import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Pod } from '@kubernetes/client-node';
import type { PodCreation, SinkRecord } from '../../core/domain/cluster.ts';
import { BadInputError, InfrastructureError } from '../../core/domain/errors.ts';
import { TIMEOUTS } from '../../core/timeouts.ts';
import { SCENE } from '../../manifests/scene.ts';
import { pod as podBuilder } from '../../manifests/pod-builder.ts';
import { sinkCommand } from '../../attack-pods/sink/sink-process.ts';
import { LAB_ADDRESSES } from './addressing.ts';
import { nodeResolvConf } from './dns/dns-records.ts';
import { mustRun } from './host-command.ts';
import { CONTAINER_PATH, REPO_ROOT } from './image-paths.ts';
import { controlPlane, type LabState } from './lab-state.ts';
import { writeNetnsEtc } from './topology.ts';
import { sinkRecordOf, SinkRecordLog } from './sink-record-log.ts';

/** The lab's kube-dns pod: its namespace, name and the `k8s-app` label Kubernetes gives it. */
export const KUBE_DNS = { namespace: 'kube-system', name: 'kube-dns-lab', label: 'kube-dns' } as const;
const LAB_DNS_SCRIPT = join(REPO_ROOT, 'clusters/lab/dns/lab_dns.py');

/** Creates a pod through the lab's own admission and placement, as any other pod. */
type CreatePod = (spec: V1Pod, options: { readonly timeoutMs: number }) => Promise<PodCreation>;

/** kube-dns as a pod on the control-plane node; every node's own resolver then points at it. */
export async function startKubeDns(state: LabState, createPod: CreatePod): Promise<void> {
  const spec = podBuilder(KUBE_DNS.name, KUBE_DNS.namespace)
    .label('k8s-app', KUBE_DNS.label)
    .onNode(controlPlane(state).name)
    .exposePort(53)
    .withCommand(
      'python3',
      LAB_DNS_SCRIPT,
      '--bind', '0.0.0.0',
      '--port', '53',
      '--records', join(state.workDir, 'dns-records.json'),
      '--forward-zone', SCENE.exfilZone,
      '--forward', `${LAB_ADDRESSES.sinkIp}:${SCENE.sink.dnsPort}`,
    )
    .build();
  const created = await createPod(spec, { timeoutMs: TIMEOUTS.labPodReadyMs });
  if (created.status !== 'running') throw new InfrastructureError('lab', `kube-dns was rejected: ${created.message}`);
  state.kubeDnsIp = created.pod.ip;
  // A node's own resolver (what hostNetwork pods with the default dnsPolicy and the node's processes use). Without
  // it they inherited the host's /etc/resolv.conf, whose server is unreachable from the lab. The lab's DNS stands
  // in for the provider's resolver a real node has: the node reaches it over its pod routes, as it reaches kube-dns.
  await Promise.all(
    state.nodes.map((node) =>
      writeNetnsEtc(state.names.node(node.index), { 'resolv.conf': nodeResolvConf(state.kubeDnsIp), hostname: `${node.name}\n` }),
    ),
  );
}

/** The internet sink (and metadata stand-in) in the lab's internet namespace; resolves once it says it is ready. */
export async function startSink(state: LabState): Promise<void> {
  const [file, ...args] = sinkCommand({
    bind: '0.0.0.0',
    answerIp: LAB_ADDRESSES.sinkIp,
    metadataPort: SCENE.metadata.port,
  });
  if (file === undefined) throw new InfrastructureError('lab', 'empty sink command');
  const logFile = join(state.workDir, 'sink.log');
  const python = file === 'python3' ? '/usr/bin/python3' : file;
  const process = await state.registry.start('ip', ['netns', 'exec', state.names.internet, python, ...args], 'sink', {
    logFile,
    env: { PATH: CONTAINER_PATH, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' },
  });
  state.sinkProcess = process;
  state.sinkLog = new SinkRecordLog(logFile);
  const deadline = Date.now() + TIMEOUTS.labPodReadyMs;
  for (;;) {
    const log = await readFile(logFile, 'utf8').catch(() => '');
    if (/"event":\s*"ready"/.test(log)) return;
    if (process.hasExited() || Date.now() > deadline) {
      throw new InfrastructureError('sink', `the lab sink did not start: ${log.slice(-1000)}`);
    }
    await sleep(10);
  }
}

/** What the sink received carrying `canary`, from the sink's own record log (no process per question). */
export async function sinkReceived(state: LabState, canary: string): Promise<readonly SinkRecord[]> {
  if (!/^bm[0-9a-f]{16}$/.test(canary)) throw new BadInputError(`"${canary}" is not a canary`, 'sinkReceived', 'bm + 16 hex chars');
  await requireSink(state);
  const log = state.sinkLog;
  if (log === undefined) throw new InfrastructureError('sink', `lab ${state.names.prefix} has no sink yet`);
  return log.received(canary);
}

/** Names why the sink cannot answer (lab torn down, process gone and how) instead of a bare curl error. */
async function requireSink(state: LabState): Promise<void> {
  if (state.tornDown !== undefined) throw new InfrastructureError('sink', `lab ${state.names.prefix} was torn down while an attempt still queried its sink`);
  const sink = state.sinkProcess;
  if (sink?.hasExited() === true) {
    const code = await sink.exited;
    const log = await readFile(join(state.workDir, 'sink.log'), 'utf8').catch(() => '');
    throw new InfrastructureError('sink', `the lab sink exited (code ${code}) while the lab was up: ${log.trim().split('\n').slice(-5).join(' | ')}`);
  }
}

/** The sink query API's answer to `GET /canaries/<c>`, checked field by field. */
export function parseSinkAnswer(text: string): SinkRecord[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InfrastructureError('sink', `query API answered non-JSON: ${text.slice(0, 200)}`, { cause: error });
  }
  const records = typeof value === 'object' && value !== null && 'records' in value ? value.records : undefined;
  if (!Array.isArray(records)) throw new InfrastructureError('sink', `query API answer has no records: ${text.slice(0, 200)}`);
  return records.map(sinkRecordOf);
}

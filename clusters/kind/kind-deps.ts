import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { execa } from 'execa';
import { GenericContainer } from 'testcontainers';
import type { Cluster, KubeObject } from '../../core/domain/cluster.ts';
import type { Profile } from '../../core/domain/profile.ts';
import { SinkClient, sinkQueryUrl } from '../../attack-pods/sink/sink-client.ts';
import { KubeCluster, deleteManagedNamespaces } from '../k8s/kube-cluster.ts';
import { objectApi } from '../k8s/object-api.ts';
import { readSceneAddresses } from '../k8s/scene-addresses.ts';
import { waitFor } from '../k8s/wait-for.ts';
import type { ContainerStep, WaitCondition, WaitTarget } from './plan/plan-types.ts';

export interface CommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/** A started side container on the `kind` network. */
export interface SideContainer {
  readonly name: string;
  readonly ip: string;
  /** Kept across runs (the registry cache): teardown leaves it. */
  readonly reuse: boolean;
  stop(): Promise<void>;
}

/** What the plan executor does to a cluster through its API. */
export interface KubeOps {
  apply(objects: readonly KubeObject[], force: boolean): Promise<void>;
  waitFor(target: WaitTarget, condition: WaitCondition, timeoutMs: number, signal?: AbortSignal): Promise<void>;
  /** Delete the labelled namespaces (and their pods); returns their names. */
  deleteManaged(): Promise<string[]>;
  /** The last events of a namespace and the tail of its pods' logs, for a failure message. */
  diagnose(namespace: string): Promise<string>;
}

export interface ConnectOptions {
  readonly name: string;
  readonly profile: Profile;
  readonly kubeconfigPath: string;
  readonly sinkIp: string;
  readonly afterTeardown: () => Promise<void>;
}

/** Everything the kind provider does to the outside world; injected so planning, ordering and cleanup are testable. */
export interface KindDeps {
  run(command: string, args: readonly string[], options: RunOptions): Promise<CommandResult>;
  startContainer(step: ContainerStep): Promise<SideContainer>;
  kube(kubeconfigPath: string): KubeOps;
  connect(options: ConnectOptions): Cluster;
}

function loadKubeConfig(path: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(path);
  return kubeConfig;
}

const EVENTS_SHOWN = 10;
const LOG_LINES_SHOWN = 20;

function kubeOps(kubeconfigPath: string): KubeOps {
  const kubeConfig = loadKubeConfig(kubeconfigPath);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const objects = objectApi(kubeConfig);
  return {
    async apply(items, force) {
      for (const item of items) await objects.serverSideApply(item, force);
    },
    waitFor: (target, condition, timeoutMs, signal) => waitFor(kubeConfig, target, condition, timeoutMs, signal),
    deleteManaged: () => deleteManagedNamespaces(core),
    async diagnose(namespace) {
      const lines: string[] = [];
      const events = await core.listNamespacedEvent({ namespace }).catch(() => undefined);
      const recent = (events?.items ?? [])
        .sort((a, b) => String(a.lastTimestamp ?? a.eventTime ?? '').localeCompare(String(b.lastTimestamp ?? b.eventTime ?? '')))
        .slice(-EVENTS_SHOWN);
      for (const event of recent) lines.push(`event ${event.type ?? ''} ${event.involvedObject.kind ?? ''}/${event.involvedObject.name ?? ''}: ${event.reason ?? ''} ${event.message ?? ''}`);
      const pods = await core.listNamespacedPod({ namespace }).catch(() => undefined);
      for (const pod of (pods?.items ?? []).filter((candidate) => candidate.status?.phase !== 'Running')) {
        const name = pod.metadata?.name ?? '';
        const log = await core.readNamespacedPodLog({ name, namespace, tailLines: LOG_LINES_SHOWN }).catch(() => '');
        lines.push(`pod ${name} (${pod.status?.phase ?? '?'}):\n${log}`);
      }
      return lines.join('\n');
    },
  };
}

export const DEFAULT_KIND_DEPS: KindDeps = {
  async run(command, args, options) {
    const result = await execa(command, [...args], {
      cwd: options.cwd,
      timeout: options.timeoutMs,
      reject: false,
      ...(options.signal ? { cancelSignal: options.signal } : {}),
    });
    return { exitCode: result.exitCode ?? 1, stdout: String(result.stdout), stderr: String(result.stderr) };
  },
  async startContainer(step) {
    let container = new GenericContainer(step.image).withName(step.name).withNetworkMode(step.network).withLabels({ ...step.labels }).withEnvironment({ ...step.env });
    if (step.command.length > 0) container = container.withCommand([...step.command]);
    if (step.reuse) container = container.withReuse();
    const started = await container.start();
    return { name: step.name, ip: started.getIpAddress(step.network), reuse: step.reuse, stop: async () => void (await started.stop()) };
  },
  kube: kubeOps,
  connect(options) {
    const kubeConfig = loadKubeConfig(options.kubeconfigPath);
    const sink = new SinkClient(sinkQueryUrl(options.sinkIp));
    return new KubeCluster({
      name: options.name,
      provider: 'kind',
      profile: options.profile,
      kubeConfig,
      addresses: () => readSceneAddresses(kubeConfig, options.sinkIp),
      sinkReceived: (canary) => sink.received(canary),
      afterTeardown: options.afterTeardown,
    });
  },
};

import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { LabNodePlan } from './addressing.ts';
import type { Sandbox } from './pod-sandbox.ts';
import type { TrackedProcess } from './process-registry.ts';

export interface LabContainerPort {
  readonly name?: string;
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
}

/** A pod as the lab holds it: its Kubernetes identity, where it lives, and what runs in it. */
export interface LabPod {
  readonly key: string;
  readonly index: number;
  readonly namespace: string;
  readonly name: string;
  readonly spec: V1Pod;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly serviceAccount: string;
  readonly node: LabNodePlan;
  readonly ip: string;
  readonly hostNetwork: boolean;
  readonly hostPid: boolean;
  /** Network namespace its processes use (the node's for hostNetwork pods). */
  readonly netns: string;
  /** Node-side veth inside the node namespace; undefined for hostNetwork pods. */
  readonly nodeVeth: string | undefined;
  readonly ports: readonly LabContainerPort[];
  readonly workDir: string;
  sandbox: Sandbox | undefined;
  readonly processes: Map<string, TrackedProcess>;
  deleted: boolean;
}

export function podKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export function containerPorts(pod: V1Pod): LabContainerPort[] {
  const ports: LabContainerPort[] = [];
  for (const container of pod.spec?.containers ?? []) {
    for (const port of container.ports ?? []) {
      const protocol = port.protocol === 'UDP' || port.protocol === 'SCTP' ? port.protocol : 'TCP';
      ports.push({ ...(port.name === undefined ? {} : { name: port.name }), port: port.containerPort, protocol });
    }
  }
  return ports;
}

/** The container an exec or log read means: by name, or the first app container. */
export function findContainer(pod: V1Pod, name: string | undefined): V1Container | undefined {
  const all = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  if (name === undefined) return pod.spec?.containers[0];
  return all.find((container) => container.name === name);
}

/** Whether the main container only keeps the pod alive (the sandbox already does). */
export function isSleepCommand(command: readonly string[] | undefined): boolean {
  const first = command?.[0];
  return first === undefined || first === 'sleep' || first === '/bin/sleep' || first === 'pause';
}

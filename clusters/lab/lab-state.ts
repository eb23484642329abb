import type { KubeObject } from '../../core/domain/cluster.ts';
import { InfrastructureError } from '../../core/domain/errors.ts';
import { stackTraits, type Profile } from '../../core/domain/profile.ts';
import { PodIpPool, labNodes, type LabNodePlan } from './addressing.ts';
import { LabAdmissionPolicies } from './lab-admission-policies.ts';
import { AcceptedObjects } from './lab-objects.ts';
import type { LabNames } from './lab-names.ts';
import type { LabPod } from './lab-pod.ts';
import type { LabNetworkPolicy } from './netpol/network-policy.ts';
import { ProcessRegistry, type TrackedProcess } from './process-registry.ts';
import type { LabSidecar } from './sidecar/index.ts';
import { ServiceVips } from './service-vips.ts';
import type { SinkRecordLog } from './sink-record-log.ts';

/**
 * What one lab knows and has made, shared by its parts (pods, mesh wiring, services, state sync, evidence).
 * One explicit object instead of fields spread over a class, so each part says which of it it reads.
 */
export interface LabState {
  readonly profile: Profile;
  readonly names: LabNames;
  readonly nodes: readonly LabNodePlan[];
  readonly workDir: string;
  /** Whether the stack's CNI enforces NetworkPolicy (otherwise policies are listed as not modelled). */
  readonly enforcesNetworkPolicy: boolean;
  readonly registry: ProcessRegistry;
  readonly pools: Map<string, PodIpPool>;
  /** Namespace name → its labels (with kubernetes.io/metadata.name). */
  readonly namespaces: Map<string, Record<string, string>>;
  readonly serviceAccounts: Set<string>;
  readonly services: Map<string, KubeObject>;
  /** ClusterIPs of the Services that have one (lab:ambient, waypoint-bound; the rest are headless). */
  readonly serviceVips: ServiceVips;
  readonly policies: Map<string, LabNetworkPolicy>;
  readonly istio: Map<string, KubeObject>;
  readonly unmodelled: Map<string, KubeObject>;
  readonly admissionPolicies: LabAdmissionPolicies;
  readonly accepted: AcceptedObjects;
  readonly pods: Map<string, LabPod>;
  readonly sidecars: Map<string, LabSidecar>;
  /** Every network namespace the lab made and has not deleted yet (what teardown removes). */
  readonly madeNetns: Set<string>;
  kubeDnsIp: string;
  sinkProcess: TrackedProcess | undefined;
  /** The sink's record log, read in-process to answer sinkReceived. */
  sinkLog: SinkRecordLog | undefined;
  /** Set once teardown has begun: nothing resyncs and the sink is not queried after it. */
  tornDown: Promise<void> | undefined;
}

export function newLabState(profile: Profile, names: LabNames, workDir: string): LabState {
  const nodes = labNodes(profile.options.workers);
  return {
    profile,
    names,
    nodes,
    workDir,
    enforcesNetworkPolicy: stackTraits(profile).enforcesNetworkPolicy,
    registry: new ProcessRegistry(),
    pools: new Map(nodes.map((node) => [node.name, new PodIpPool(node)] as const)),
    namespaces: new Map(),
    serviceAccounts: new Set(),
    services: new Map(),
    serviceVips: new ServiceVips(),
    policies: new Map(),
    istio: new Map(),
    unmodelled: new Map(),
    admissionPolicies: new LabAdmissionPolicies(),
    accepted: new AcceptedObjects(),
    pods: new Map(),
    sidecars: new Map(),
    madeNetns: new Set(),
    kubeDnsIp: '',
    sinkProcess: undefined,
    sinkLog: undefined,
    tornDown: undefined,
  };
}

/** The first node: it runs kube-dns and stands for the API server's address. */
export function controlPlane(state: LabState): LabNodePlan {
  const node = state.nodes[0];
  if (node === undefined) throw new InfrastructureError('lab', 'the lab has no control-plane node');
  return node;
}

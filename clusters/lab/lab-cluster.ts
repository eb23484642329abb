import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import type {
  Cluster,
  EvidenceQuery,
  KubeObject,
  CreatePodOptions,
  PodCreation,
  SinkRecord,
  SyncTeardownRegistry,
} from '../../core/domain/cluster.ts';
import { BadInputError } from '../../core/domain/errors.ts';
import type { EvidenceItem, FlowDescriptor, TimeWindow } from '../../core/domain/evidence.ts';
import type { DestinationLiveness } from '../../core/domain/liveness.ts';
import type { Profile } from '../../core/domain/profile.ts';
import type { SceneAddresses } from '../../core/domain/scene-addresses.ts';
import { TIMEOUTS } from '../../core/timeouts.ts';
import { SCENE } from '../../manifests/scene.ts';
import { sceneSinkAddress } from '../../manifests/scene/sink-address.ts';
import type { NftDropCounter } from '../../core/evidence/nft-counters.ts';
import { admitPod } from '../../core/admission/pod-security.ts';
import { AdmissionPolicyEvaluator } from '../../core/admission/validating-admission-policy.ts';
import { LAB_ADDRESSES, type LabNodePlan } from './addressing.ts';
import { labNames, newLabPrefix, type LabNames } from './lab-names.ts';
import { podKey } from './lab-pod.ts';
import { objectKey, requireNamespace, routeObject } from './lab-objects.ts';
import { labReadBack } from './lab-read-back.ts';
import { parseNetworkPolicy, type LabNetworkPolicy } from './netpol/network-policy.ts';
import { istioObjectNotes } from './sidecar/istio-objects.ts';
import { buildTopology } from './topology.ts';
import { writeOwnerFile } from './lab-sweep.ts';
import { ensureLabBaseDir, LAB_BASE_DIR } from './lab-base-dir.ts';
import { makeOwnedDirectory } from '../../core/host/owned-files.ts';
import { AmbientLayer } from './ambient/ambient-layer.ts';
import { checkUseWaypointLabels, isWaypointGateway, parseWaypointGateway, serviceWaypoint, waypointPodSpec, type WaypointView } from './ambient/waypoint-gateway.ts';
import { controlPlane, newLabState, type LabState } from './lab-state.ts';
import { LabStateSync } from './lab-state-sync.ts';
import { LabMeshWiring } from './lab-mesh-wiring.ts';
import { LabPodRuntime } from './lab-pods.ts';
import { KUBE_DNS, sinkReceived, startKubeDns, startSink } from './lab-services.ts';
import { LabEvidence } from './lab-evidence.ts';
import { removeLab, removeLabNow } from './lab-teardown.ts';

export interface LabClusterOptions {
  readonly runId: string;
  readonly onProgress: (step: string) => void;
  /** The lab's synchronous teardown is registered here before anything is made (second Ctrl-C). */
  readonly syncTeardowns?: SyncTeardownRegistry;
}

/**
 * The lab: a real-kernel stand-in cluster made of network namespaces (see clusters/lab/README.md).
 * `teardown()` and `[Symbol.asyncDispose]` are the same idempotent operation; `teardownSync()` is the last resort
 * for a process `exit` handler.
 *
 * This class is the `Cluster` face of the lab: it admits and routes objects and delegates the rest to its parts,
 * which share one `LabState` (lab-state.ts): pods (lab-pods.ts), mesh wiring (lab-mesh-wiring.ts), kube-dns and
 * the sink (lab-services.ts), DNS and NetworkPolicy sync (lab-state-sync.ts), evidence (lab-evidence.ts) and
 * teardown (lab-teardown.ts).
 */
export class LabCluster implements Cluster {
  readonly name: string;
  readonly provider = 'lab' as const;
  readonly profile: Profile;
  readonly names: LabNames;
  readonly nodes: readonly LabNodePlan[];
  readonly workDir: string;

  private readonly state: LabState;
  private readonly sync: LabStateSync;
  private readonly mesh: LabMeshWiring;
  private readonly podRuntime: LabPodRuntime;
  private readonly evidence: LabEvidence;
  /** Waypoint Gateways accepted on lab:ambient (each runs a waypoint), by key. */
  private readonly waypointGateways = new Map<string, KubeObject>();
  private unregisterSyncTeardown: (() => void) | undefined;

  private constructor(profile: Profile, names: LabNames, workDir: string) {
    this.state = newLabState(profile, names, workDir);
    this.profile = profile;
    this.names = names;
    this.name = names.prefix;
    this.workDir = workDir;
    this.nodes = this.state.nodes;
    this.sync = new LabStateSync(this.state);
    this.mesh = new LabMeshWiring(this.state);
    this.podRuntime = new LabPodRuntime(this.state, this.sync, this.mesh);
    this.evidence = new LabEvidence(this.state, this.mesh.ambient);
  }

  /** Builds a lab; on any failure everything made so far is removed before the error propagates. */
  static async create(profile: Profile, options: LabClusterOptions): Promise<LabCluster> {
    const names = labNames(newLabPrefix());
    const workDir = join(LAB_BASE_DIR, `${names.prefix}-work`);
    const cluster = new LabCluster(profile, names, workDir);
    cluster.unregisterSyncTeardown = options.syncTeardowns?.add(`lab ${names.prefix} (${profile.id})`, () => cluster.teardownSync());
    try {
      await cluster.provision(options);
      return cluster;
    } catch (error) {
      await cluster.teardown();
      throw error;
    }
  }

  private async provision(options: LabClusterOptions): Promise<void> {
    // The owner file comes before anything else of the lab: a sweep never takes a starting lab for a crashed one.
    await ensureLabBaseDir();
    await writeOwnerFile(LAB_BASE_DIR, this.names.prefix, options.runId);
    await makeOwnedDirectory(this.workDir, { mode: 0o755 });
    options.onProgress(`lab ${this.name}: namespaces for ${this.nodes.length} nodes, fabric and internet`);
    for (const ns of [this.names.fabric, this.names.internet, ...this.nodes.map((n) => this.names.node(n.index))]) {
      this.state.madeNetns.add(ns);
    }
    await buildTopology(this.names, this.nodes);
    this.ensureNamespace(KUBE_DNS.namespace, {});
    options.onProgress(`lab ${this.name}: kube-dns and the internet sink`);
    await Promise.all([startSink(this.state), startKubeDns(this.state, (spec, podOptions) => this.createPod(spec, podOptions))]);
  }

  // ---- Cluster: apply -------------------------------------------------------------------------------------------

  async apply(objects: readonly KubeObject[]): Promise<void> {
    // Validate everything first so a bad object leaves nothing half-applied.
    const parsedPolicies = new Map<string, LabNetworkPolicy>();
    for (const object of objects) {
      if (routeObject(object) === 'network-policy') parsedPolicies.set(objectKey(object), parseNetworkPolicy(object));
      if (routeObject(object) === 'istio') istioObjectNotes([object]);
      if (routeObject(object) === 'admission-policy') AdmissionPolicyEvaluator.validate(object);
      if (['service-account', 'service', 'network-policy', 'istio', 'pod'].includes(routeObject(object))) {
        requireNamespace(object);
      }
      if (this.mesh.ambient !== undefined) this.validateAmbientObject(object);
    }
    let istioChanged = false;
    const podsToCreate: V1Pod[] = [];
    const waypointsToStart: WaypointView[] = [];
    for (const object of objects) {
      const key = objectKey(object);
      this.state.accepted.record(object);
      if (this.mesh.ambient !== undefined && isWaypointGateway(object)) {
        // istiod deploys the waypoint (and its service account) for the Gateway; the lab runs it (ambient/lab-waypoint.ts).
        this.waypointGateways.set(key, object);
        const view = parseWaypointGateway(object);
        this.state.serviceAccounts.add(podKey(view.namespace, view.name));
        if (!this.mesh.ambient.hasWaypoint(view.namespace, view.name)) waypointsToStart.push(view);
        continue;
      }
      switch (routeObject(object)) {
        case 'namespace':
          this.ensureNamespace(object.metadata.name, object.metadata.labels ?? {});
          break;
        case 'service-account':
          this.state.serviceAccounts.add(podKey(requireNamespace(object), object.metadata.name));
          break;
        case 'service':
          this.state.services.set(key, object);
          break;
        case 'network-policy': {
          const policy = parsedPolicies.get(key);
          if (policy === undefined) break;
          // Policies are kept even when the stack does not enforce them, so the report can say what was skipped.
          if (this.state.enforcesNetworkPolicy) this.state.policies.set(key, policy);
          else this.state.unmodelled.set(key, object);
          break;
        }
        case 'istio':
          // Policies attached to a GatewayClass or a ServiceEntry are listed as not modelled, never enforced.
          if (this.mesh.ambient !== undefined && AmbientLayer.notModelled(object)) {
            this.state.unmodelled.set(key, object);
            break;
          }
          this.state.istio.set(key, object);
          istioChanged = true;
          break;
        case 'pod':
          podsToCreate.push(object as unknown as V1Pod);
          break;
        case 'admission-policy':
          this.state.admissionPolicies.accept(object);
          break;
        case 'not-modelled':
          this.state.unmodelled.set(key, object);
          break;
      }
    }
    if (this.mesh.ambient !== undefined) this.assignWaypointVips();
    await this.sync.resyncAll();
    if (istioChanged) await Promise.all([...this.state.sidecars.values()].map((sidecar) => sidecar.reload()));
    await this.mesh.ambient?.refresh();
    for (const view of waypointsToStart) await this.startWaypoint(view);
    // The pods start together, as a kubelet starts them; createPod admits and places each synchronously before its
    // first await, so admission order and node placement stay those of `objects`.
    const created = await Promise.allSettled(podsToCreate.map((spec) => this.createPod(spec, { timeoutMs: TIMEOUTS.labPodReadyMs })));
    created.forEach((result, index) => {
      const spec = podsToCreate[index];
      if (result.status === 'rejected') throw result.reason;
      if (result.value.status === 'rejected') {
        throw new BadInputError(result.value.message, `apply Pod ${spec?.metadata?.namespace}/${spec?.metadata?.name}`);
      }
    });
  }

  /** Refuses, before anything changes, what the lab's ambient model does not cover (waypoint Gateway fields, labels). */
  private validateAmbientObject(object: KubeObject): void {
    if (isWaypointGateway(object)) parseWaypointGateway(object);
    if (object.kind === 'Service' || object.kind === 'Namespace') {
      checkUseWaypointLabels(object.metadata.labels ?? {}, `${object.kind} ${object.metadata.namespace ?? ''}/${object.metadata.name}`);
    }
  }

  /**
   * Ambient routes by the address a client used: a Service bound to a waypoint, by its own label or (applied before or
   * after it) its namespace's, gets a ClusterIP (service-vips.ts). A VIP once given stays, as a ClusterIP does.
   */
  private assignWaypointVips(): void {
    for (const service of this.state.services.values()) {
      const namespace = service.metadata.namespace ?? '';
      if (serviceWaypoint(service.metadata.labels ?? {}, this.state.namespaces.get(namespace) ?? {}) !== undefined) {
        this.state.serviceVips.assign(`${namespace}/${service.metadata.name}`);
      }
    }
  }

  /** The pod istiod would deploy for a waypoint Gateway, admitted as any pod, then the waypoint's processes in it. */
  private async startWaypoint(view: WaypointView): Promise<void> {
    const spec = waypointPodSpec(view);
    const created = await this.createPod(spec, { timeoutMs: TIMEOUTS.labPodReadyMs });
    if (created.status === 'rejected') {
      throw new BadInputError(`the waypoint pod was refused: ${created.message}`, `Gateway ${view.namespace}/${view.name}`);
    }
    const labPod = this.state.pods.get(podKey(view.namespace, spec.metadata?.name ?? ''));
    if (labPod === undefined) throw new BadInputError('the waypoint pod vanished after it started', `Gateway ${view.namespace}/${view.name}`);
    await this.mesh.ambient?.startWaypoint(view, { key: labPod.key, name: labPod.name, netns: labPod.netns, ip: labPod.ip, workDir: labPod.workDir });
  }

  /** The lab's interpretation of each object as applied (clusters/lab/lab-read-back.ts). */
  async readBack(objects: readonly KubeObject[]): Promise<readonly (KubeObject | undefined)[]> {
    return labReadBack(
      {
        accepted: this.state.accepted,
        admissionPolicy: (key) => this.state.admissionPolicies.holds(key),
        namespaceLabels: (name) => this.state.namespaces.get(name),
        serviceAccount: (namespace, name) => this.state.serviceAccounts.has(podKey(namespace, name)),
        service: (key) => this.state.services.get(key),
        policy: (key) => this.state.policies.get(key),
        istio: (key) => this.state.istio.get(key),
        unmodelled: (key) => this.state.unmodelled.get(key) ?? this.waypointGateways.get(key),
        pod: (key) => this.state.pods.get(key),
        hasSidecar: (key) => this.state.sidecars.has(key),
        ambientEnrolled: (key) => this.mesh.ambient?.isEnrolled(key) === true,
      },
      objects,
    );
  }

  /** Objects the lab accepted but does not model (Cilium, Calico, Gateway API…; NetworkPolicy on stacks without a CNI layer). */
  notModelled(): readonly KubeObject[] {
    return [...this.state.unmodelled.values()];
  }

  /** Istio objects currently applied (what the sidecar model reads). */
  istioObjects(): readonly KubeObject[] {
    return this.mesh.istioObjects();
  }

  private ensureNamespace(name: string, labels: Readonly<Record<string, string>>): void {
    this.state.namespaces.set(name, { ...labels, 'kubernetes.io/metadata.name': name });
  }

  // ---- Cluster: pods --------------------------------------------------------------------------------------------

  async createPod(spec: V1Pod, options: CreatePodOptions): Promise<PodCreation> {
    const name = spec.metadata?.name;
    const namespace = spec.metadata?.namespace;
    if (name === undefined || name === '' || namespace === undefined || namespace === '') {
      throw new BadInputError('pod needs metadata.name and metadata.namespace', 'createPod', 'a named pod in a namespace');
    }
    const namespaceLabels = this.state.namespaces.get(namespace);
    if (namespaceLabels === undefined) {
      throw new BadInputError(`namespace "${namespace}" does not exist in the lab`, `createPod ${namespace}/${name}`, [...this.state.namespaces.keys()].join(', '));
    }
    const key = podKey(namespace, name);
    if (this.state.pods.has(key)) throw new BadInputError(`pod ${key} already exists`, 'createPod', 'a new pod name');
    // PodSecurity runs before ValidatingAdmissionPolicy in the API server's plugin order.
    const podSecurity = admitPod(spec, namespace, namespaceLabels);
    const decision = podSecurity.allowed ? this.state.admissionPolicies.admit(spec, namespace, namespaceLabels, options.requester) : podSecurity;
    if (!decision.allowed) return { status: 'rejected', layer: 'admission', message: decision.message };

    const labPod = this.podRuntime.place(spec, namespace, name);
    this.state.pods.set(key, labPod);
    const deadline = Date.now() + options.timeoutMs;
    try {
      await this.podRuntime.start(labPod, deadline);
    } catch (error) {
      await this.podRuntime.delete(labPod);
      throw error;
    }
    return { status: 'running', pod: this.podRuntime.handle(labPod) };
  }

  // ---- Cluster: addresses, evidence, sink -------------------------------------------------------------------------

  async addresses(): Promise<SceneAddresses> {
    const workloads: Record<string, { podIp: string; node: string }> = {};
    for (const labPod of this.state.pods.values()) workloads[labPod.key] = { podIp: labPod.ip, node: labPod.node.name };
    return {
      sink: sceneSinkAddress(LAB_ADDRESSES.sinkIp),
      metadata: { ip: SCENE.metadata.ip, port: SCENE.metadata.port },
      nodes: this.nodes.map((node) => ({ name: node.name, ip: node.ip })),
      apiServer: { host: controlPlane(this.state).ip, port: LAB_ADDRESSES.apiServerPort },
      workloads,
    };
  }

  /** Current drop counters of every node. */
  dropCounters(): Promise<NftDropCounter[]> {
    return this.evidence.dropCounters();
  }

  collectEvidence(query: EvidenceQuery): Promise<readonly EvidenceItem[]> {
    return this.evidence.collect(query);
  }

  /** The flow's destination: the sink, a node, or the pods its address or Service name means (lab-evidence.ts). */
  destinationLiveness(flow: FlowDescriptor, window: TimeWindow): Promise<DestinationLiveness> {
    return this.evidence.destinationLiveness(flow, window);
  }

  sinkReceived(canary: string): Promise<readonly SinkRecord[]> {
    return sinkReceived(this.state, canary);
  }

  // ---- teardown ---------------------------------------------------------------------------------------------------

  teardown(): Promise<void> {
    // Once removed, a second Ctrl-C has nothing of this lab left to remove.
    this.state.tornDown ??= removeLab(this.state, this.mesh.ambient).then(() => this.unregisterSyncTeardown?.());
    return this.state.tornDown;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.teardown();
  }

  /** Best effort without awaiting (second Ctrl-C, `exit` handler): processes, namespaces and their mounts, dirs. */
  teardownSync(): void {
    removeLabNow(this.state);
  }
}

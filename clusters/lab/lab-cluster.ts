import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Pod } from '@kubernetes/client-node';
import type {
  Cluster,
  EvidenceQuery,
  ExecOptions,
  ExecResult,
  KubeObject,
  CreatePodOptions,
  PodCreation,
  PodHandle,
  SinkRecord,
  SyncTeardownRegistry,
} from '../../core/domain/cluster.ts';
import { BadInputError, InfrastructureError } from '../../core/domain/errors.ts';
import type { EvidenceItem, FlowDescriptor, TimeWindow } from '../../core/domain/evidence.ts';
import type { DestinationLiveness } from '../../core/domain/liveness.ts';
import { labPodsLiveness, sinkLiveness } from './destination-liveness.ts';
import { stackTraits, type Profile } from '../../core/domain/profile.ts';
import type { SceneAddresses } from '../../core/domain/scene-addresses.ts';
import { TIMEOUTS } from '../../core/timeouts.ts';
import { SCENE } from '../../manifests/scene.ts';
import { pod as podBuilder } from '../../manifests/pod-builder.ts';
import { sinkCommand } from '../../attack-pods/sink/sink-process.ts';
import { nftCounterEvidence, parseNftDropCounters, type NftDropCounter } from '../../core/evidence/nft-counters.ts';
import { admitPod } from './admission/pod-security.ts';
import { onFabric } from './fabric-placement.ts';
import { LabAdmissionPolicies } from './admission/validating-admission-policy.ts';
import { LAB_ADDRESSES, PodIpPool, labNodes, podClassCidr, type LabNodePlan } from './addressing.ts';
import { containerPrivileges, setprivArguments } from './container-privileges.ts';
import { dnsRecords, nodeResolvConf, podResolvConf } from './dns/dns-records.ts';
import { mustRun, runCommand } from './host-command.ts';
import { CONTAINER_PATH, REPO_ROOT, mapContainerCommand } from './image-paths.ts';
import { labNames, newLabPrefix, type LabNames } from './lab-names.ts';
import { containerPorts, findContainer, isSleepCommand, podKey, type LabPod } from './lab-pod.ts';
import { AcceptedObjects, objectKey, requireNamespace, routeObject, serviceSelector } from './lab-objects.ts';
import { labReadBack } from './lab-read-back.ts';
import { compileNodeRuleset } from './netpol/compile.ts';
import { parseNetworkPolicy, type LabNetworkPolicy } from './netpol/network-policy.ts';
import { renderRuleset } from './netpol/render.ts';
import { nsenterArguments, startSandbox, type ProcessPlacement, type Sandbox, type SandboxBind } from './pod-sandbox.ts';
import { ProcessRegistry, type TrackedProcess } from './process-registry.ts';
import { boundSockets, inNetns } from './proc-sockets.ts';
import { CoalescingSync } from './coalescing-sync.ts';
import { installSidecarCapture, reclaimProxySocketFolders, type LabMesh, type LabSidecar } from './sidecar/index.ts';
import { istioObjectNotes } from './sidecar/istio-objects.ts';
import { SIDECAR_TIMEOUTS } from './sidecar/timeouts.ts';
import { parseLabProxyLog } from '../../core/evidence/lab-proxy-log.ts';
import { deleteNetns, ipBatch, ipBatchIn, netnsPids, removeNetnsEtc, sysctlIn, buildTopology, writeNetnsEtc } from './topology.ts';
import { ownerFilePath, removeOwnerFile, writeOwnerFile } from './lab-sweep.ts';
import { ensureLabBaseDir, LAB_BASE_DIR } from './lab-base-dir.ts';
import { makeDirectories, makeOwnedDirectory } from '../../core/host/owned-files.ts';
import { AmbientLayer } from './ambient/ambient-layer.ts';
import { removeLabSync } from './interrupt-teardown.ts';

const KUBE_DNS = { namespace: 'kube-system', name: 'kube-dns-lab', label: 'kube-dns' } as const;
const LAB_DNS_SCRIPT = join(REPO_ROOT, 'clusters/lab/dns/lab_dns.py');
const POD_SYSCTLS = { 'net.ipv4.ping_group_range': '0 2147483647', 'net.ipv6.conf.all.disable_ipv6': '1' };
const MESH_INJECTION_LABEL = 'istio-injection';
const MESH_INJECT_ANNOTATION = 'sidecar.istio.io/inject';

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
 */
export class LabCluster implements Cluster {
  readonly name: string;
  readonly provider = 'lab' as const;
  readonly profile: Profile;
  readonly names: LabNames;
  readonly nodes: readonly LabNodePlan[];
  readonly workDir: string;

  private readonly registry = new ProcessRegistry();
  private readonly pools = new Map<string, PodIpPool>();
  private readonly namespaces = new Map<string, Record<string, string>>();
  private readonly serviceAccounts = new Set<string>();
  private readonly services = new Map<string, KubeObject>();
  private readonly policies = new Map<string, LabNetworkPolicy>();
  private readonly istio = new Map<string, KubeObject>();
  private readonly unmodelled = new Map<string, KubeObject>();
  private readonly admissionPolicies = new LabAdmissionPolicies();
  private readonly accepted = new AcceptedObjects();
  private readonly pods = new Map<string, LabPod>();
  private readonly sidecars = new Map<string, LabSidecar>();
  private readonly nodeSandboxes = new Map<number, Promise<Sandbox>>();
  private readonly counterBaseline = new Map<string, number>();
  private readonly loadedRulesets = new Map<string, { chains: string[]; counters: string[]; sourceSets: string[]; text: string }>();
  private loadedDnsRecords = '';
  private readonly madeNetns = new Set<string>();
  private readonly sync = new CoalescingSync(() => this.syncState());
  private readonly enforcesNetworkPolicy: boolean;
  private readonly meshSidecar: boolean;
  /** lab:ambient's in-pod redirection and ztunnel stand-ins (clusters/lab/ambient); undefined on other stacks. */
  private readonly ambient: AmbientLayer | undefined;
  private podCounter = 0;
  private workerTurn = 0;
  private kubeDnsIp = '';
  private sinkProcess: TrackedProcess | undefined;
  private tornDown: Promise<void> | undefined;
  private unregisterSyncTeardown: (() => void) | undefined;

  private constructor(profile: Profile, names: LabNames, workDir: string) {
    this.profile = profile;
    this.names = names;
    this.name = names.prefix;
    this.workDir = workDir;
    this.nodes = labNodes(profile.options.workers);
    for (const node of this.nodes) this.pools.set(node.name, new PodIpPool(node));
    const traits = stackTraits(profile);
    this.enforcesNetworkPolicy = traits.enforcesNetworkPolicy;
    this.meshSidecar = profile.mesh === 'istio-sidecar';
    this.ambient = profile.mesh === 'istio-ambient' ? this.ambientLayer() : undefined;
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
      this.madeNetns.add(ns);
    }
    await buildTopology(this.names, this.nodes);
    this.ensureNamespace(KUBE_DNS.namespace, {});
    options.onProgress(`lab ${this.name}: kube-dns and the internet sink`);
    await Promise.all([this.startSink(), this.startKubeDns()]);
  }

  // ---- Cluster: apply -------------------------------------------------------------------------------------------

  async apply(objects: readonly KubeObject[]): Promise<void> {
    // Validate everything first so a bad object leaves nothing half-applied.
    const parsedPolicies = new Map<string, LabNetworkPolicy>();
    for (const object of objects) {
      if (routeObject(object) === 'network-policy') parsedPolicies.set(objectKey(object), parseNetworkPolicy(object));
      if (routeObject(object) === 'istio') istioObjectNotes([object]);
      if (routeObject(object) === 'admission-policy') LabAdmissionPolicies.validate(object);
      if (['service-account', 'service', 'network-policy', 'istio', 'pod'].includes(routeObject(object))) {
        requireNamespace(object);
      }
    }
    let istioChanged = false;
    const podsToCreate: V1Pod[] = [];
    for (const object of objects) {
      const key = objectKey(object);
      this.accepted.record(object);
      switch (routeObject(object)) {
        case 'namespace':
          this.ensureNamespace(object.metadata.name, object.metadata.labels ?? {});
          break;
        case 'service-account':
          this.serviceAccounts.add(podKey(requireNamespace(object), object.metadata.name));
          break;
        case 'service':
          this.services.set(key, object);
          break;
        case 'network-policy': {
          const policy = parsedPolicies.get(key);
          if (policy === undefined) break;
          // Policies are kept even when the stack does not enforce them, so the report can say what was skipped.
          if (this.enforcesNetworkPolicy) this.policies.set(key, policy);
          else this.unmodelled.set(key, object);
          break;
        }
        case 'istio':
          // The lab has no waypoint: L7 rules bound to one are listed as not modelled, never enforced.
          if (this.ambient !== undefined && AmbientLayer.notModelled(object)) {
            this.unmodelled.set(key, object);
            break;
          }
          this.istio.set(key, object);
          istioChanged = true;
          break;
        case 'pod':
          podsToCreate.push(object as unknown as V1Pod);
          break;
        case 'admission-policy':
          this.admissionPolicies.accept(object);
          break;
        case 'not-modelled':
          this.unmodelled.set(key, object);
          break;
      }
    }
    await this.resyncAll();
    if (istioChanged) await Promise.all([...this.sidecars.values()].map((sidecar) => sidecar.reload()));
    await this.ambient?.refresh();
    for (const spec of podsToCreate) {
      const created = await this.createPod(spec, { timeoutMs: TIMEOUTS.labPodReadyMs });
      if (created.status === 'rejected') {
        throw new BadInputError(created.message, `apply Pod ${spec.metadata?.namespace}/${spec.metadata?.name}`);
      }
    }
  }

  /** The lab's interpretation of each object as applied (clusters/lab/lab-read-back.ts). */
  async readBack(objects: readonly KubeObject[]): Promise<readonly (KubeObject | undefined)[]> {
    return labReadBack(
      {
        accepted: this.accepted,
        admissionPolicy: (key) => this.admissionPolicies.holds(key),
        namespaceLabels: (name) => this.namespaces.get(name),
        serviceAccount: (namespace, name) => this.serviceAccounts.has(podKey(namespace, name)),
        service: (key) => this.services.get(key),
        policy: (key) => this.policies.get(key),
        istio: (key) => this.istio.get(key),
        unmodelled: (key) => this.unmodelled.get(key),
        pod: (key) => this.pods.get(key),
        hasSidecar: (key) => this.sidecars.has(key),
        ambientEnrolled: (key) => this.ambient?.isEnrolled(key) === true,
      },
      objects,
    );
  }

  /** Objects the lab accepted but does not model (Cilium, Calico, Gateway API…; NetworkPolicy on stacks without a CNI layer). */
  notModelled(): readonly KubeObject[] {
    return [...this.unmodelled.values()];
  }

  /** Istio objects currently applied (what the sidecar model reads). */
  istioObjects(): readonly KubeObject[] {
    return [...this.istio.values()];
  }

  private ensureNamespace(name: string, labels: Readonly<Record<string, string>>): void {
    this.namespaces.set(name, { ...labels, 'kubernetes.io/metadata.name': name });
  }

  // ---- Cluster: pods --------------------------------------------------------------------------------------------

  async createPod(spec: V1Pod, options: CreatePodOptions): Promise<PodCreation> {
    const name = spec.metadata?.name;
    const namespace = spec.metadata?.namespace;
    if (name === undefined || name === '' || namespace === undefined || namespace === '') {
      throw new BadInputError('pod needs metadata.name and metadata.namespace', 'createPod', 'a named pod in a namespace');
    }
    const namespaceLabels = this.namespaces.get(namespace);
    if (namespaceLabels === undefined) {
      throw new BadInputError(`namespace "${namespace}" does not exist in the lab`, `createPod ${namespace}/${name}`, [...this.namespaces.keys()].join(', '));
    }
    const key = podKey(namespace, name);
    if (this.pods.has(key)) throw new BadInputError(`pod ${key} already exists`, 'createPod', 'a new pod name');
    // PodSecurity runs before ValidatingAdmissionPolicy in the API server's plugin order.
    const podSecurity = admitPod(spec, namespace, namespaceLabels);
    const decision = podSecurity.allowed ? this.admissionPolicies.admit(spec, namespace, namespaceLabels, options.requester) : podSecurity;
    if (!decision.allowed) return { status: 'rejected', layer: 'admission', message: decision.message };

    const labPod = this.placePod(spec, namespace, name);
    this.pods.set(key, labPod);
    const deadline = Date.now() + options.timeoutMs;
    try {
      await this.startPod(labPod, deadline);
    } catch (error) {
      await this.deletePod(labPod);
      throw error;
    }
    return { status: 'running', pod: this.handle(labPod) };
  }

  private placePod(spec: V1Pod, namespace: string, name: string): LabPod {
    const node = this.chooseNode(spec);
    const index = this.podCounter++;
    const hostNetwork = spec.spec?.hostNetwork === true;
    // EV2's sniffer: on the node network, on no node (its `node` only names the pod's nominal node).
    const fabric = onFabric(spec);
    const pool = this.pools.get(node.name);
    if (pool === undefined) throw new InfrastructureError('lab', `no IP pool for node ${node.name}`);
    const annotations = spec.metadata?.annotations ?? {};
    const addressClass = this.wantsSidecar(namespace, annotations, hostNetwork) ? 'mesh' : 'plain';
    return {
      key: podKey(namespace, name),
      index,
      namespace,
      name,
      spec,
      labels: { ...(spec.metadata?.labels ?? {}) },
      annotations: { ...(spec.metadata?.annotations ?? {}) },
      serviceAccount: spec.spec?.serviceAccountName ?? 'default',
      node,
      ip: fabric ? LAB_ADDRESSES.underlayGateway : hostNetwork ? node.ip : pool.allocate(addressClass),
      hostNetwork,
      hostPid: spec.spec?.hostPID === true,
      netns: fabric ? this.names.fabric : hostNetwork ? this.names.node(node.index) : this.names.pod(index),
      nodeVeth: hostNetwork ? undefined : this.names.podVeth(index),
      ports: containerPorts(spec),
      workDir: join(this.workDir, 'pods', `${namespace}_${name}_${index}`),
      sandbox: undefined,
      processes: new Map(),
      deleted: false,
    };
  }

  private chooseNode(spec: V1Pod): LabNodePlan {
    const wanted = spec.spec?.nodeName;
    if (wanted !== undefined) {
      const node = this.nodes.find((candidate) => candidate.name === wanted);
      if (node === undefined) {
        throw new BadInputError(`node "${wanted}" does not exist`, `pod ${spec.metadata?.name} spec.nodeName`, this.nodes.map((n) => n.name).join(', '));
      }
      return node;
    }
    const workers = this.nodes.slice(1);
    const node = workers[this.workerTurn++ % workers.length];
    if (node === undefined) throw new InfrastructureError('lab', 'the lab has no worker node');
    return node;
  }

  private async startPod(labPod: LabPod, deadline: number): Promise<void> {
    await makeDirectories(labPod.workDir, 0o755);
    if (!labPod.hostNetwork && labPod.nodeVeth !== undefined) {
      this.madeNetns.add(labPod.netns);
      const nodeNs = this.names.node(labPod.node.index);
      await ipBatch([
        `netns add ${labPod.netns}`,
        `link add eth0 netns ${labPod.netns} type veth peer name ${labPod.nodeVeth} netns ${nodeNs}`,
      ]);
      await Promise.all([
        ipBatchIn(nodeNs, [
          `link set ${labPod.nodeVeth} up`,
          `addr add ${labPod.node.podGateway}/32 dev ${labPod.nodeVeth}`,
          `route add ${labPod.ip}/32 dev ${labPod.nodeVeth} scope link`,
        ]),
        ipBatchIn(labPod.netns, [
          'link set lo up',
          'link set eth0 up',
          `addr add ${labPod.ip}/32 dev eth0`,
          `route add ${labPod.node.podGateway}/32 dev eth0 scope link`,
          `route add default via ${labPod.node.podGateway} dev eth0`,
        ]),
        sysctlIn(labPod.netns, POD_SYSCTLS),
        writeNetnsEtc(labPod.netns, {
          'resolv.conf': podResolvConf(labPod.namespace, this.kubeDnsIp || labPod.node.podGateway),
          hostname: `${labPod.name}\n`,
        }),
      ]);
    }
    // Policies and DNS see the pod before its first packet, as a CNI programs the pod before it starts.
    await this.resyncAll();

    const capture = this.isMeshPod(labPod) ? await this.installSidecar(labPod) : undefined;
    // Ambient: istio-cni redirects before any container runs, and ztunnel serves the pod from its first packet.
    if (this.ambient?.isMember(labPod) === true) await this.ambient.add(labPod);
    labPod.sandbox = labPod.hostPid
      ? undefined
      : await startSandbox(this.registry, labPod.netns, `${labPod.key} sandbox`, join(labPod.workDir, 'sandbox.log'), await this.hostNetworkDns(labPod));
    const placement = await this.placement(labPod);

    for (const container of labPod.spec.spec?.initContainers ?? []) {
      // An init container gets a script's budget from its own start: under load the pod's setup may have used most
      // of the pod-ready deadline, and an init script (SC4) must not lose its run to that. Past the budget it is
      // killed and its log says so, so the pod still comes up and whoever reads the log gets a result, never a hang.
      const result = await this.runInPod(labPod, placement, container.name, container.command ?? [], container.args ?? [], {
        timeoutMs: TIMEOUTS.scriptExecMs,
      });
      const note = result.timedOut ? `lab: init container ${container.name} killed after ${result.durationMs} ms (budget ${TIMEOUTS.scriptExecMs} ms)\n` : '';
      await writeFile(join(labPod.workDir, `${container.name}.log`), result.stdout + result.stderr + note, { flag: 'a', mode: 0o644 });
    }
    if (capture !== undefined) this.sidecars.set(labPod.key, await capture.startProxy());

    const main = labPod.spec.spec?.containers[0];
    if (main !== undefined && !isSleepCommand(main.command)) {
      const command = mapContainerCommand([...(main.command ?? []), ...(main.args ?? [])]);
      const privileges = containerPrivileges(labPod.spec, main);
      const process = this.registry.start(
        'nsenter',
        [...nsenterArguments(placement), 'setpriv', ...setprivArguments(privileges), ...command],
        `${labPod.key}/${main.name}`,
        { logFile: join(labPod.workDir, `${main.name}.log`), env: this.containerEnv(labPod, main.env ?? [], {}) },
      );
      labPod.processes.set(main.name, process);
      await this.waitReady(labPod, main.name, deadline);
    }
  }

  /**
   * A hostNetwork pod shares its node's network namespace, hence its /etc/netns files (the node's resolv.conf).
   * With `dnsPolicy: ClusterFirstWithHostNet` the kubelet gives it the cluster resolver instead: its sandbox
   * mounts a pod resolv.conf over the node's, in the sandbox's own mount namespace.
   */
  private async hostNetworkDns(labPod: LabPod): Promise<SandboxBind[]> {
    if (!labPod.hostNetwork || labPod.spec.spec?.dnsPolicy !== 'ClusterFirstWithHostNet') return [];
    const file = join(labPod.workDir, 'resolv.conf');
    await writeFile(file, podResolvConf(labPod.namespace, this.kubeDnsIp), { mode: 0o644 });
    return [{ source: file, target: '/etc/resolv.conf' }];
  }

  private async placement(labPod: LabPod): Promise<ProcessPlacement> {
    if (labPod.sandbox !== undefined) return { targetPid: labPod.sandbox.initPid };
    const nodeSandbox = await this.nodeSandbox(labPod.node);
    return { targetPid: nodeSandbox.initPid, netnsPath: join('/run/netns', labPod.netns) };
  }

  /** The node's own PID namespace (hostPID pods join it), started on first use. */
  private nodeSandbox(node: LabNodePlan): Promise<Sandbox> {
    let sandbox = this.nodeSandboxes.get(node.index);
    if (sandbox === undefined) {
      sandbox = startSandbox(this.registry, this.names.node(node.index), `${node.name} init`, join(this.workDir, `${node.name}-init.log`));
      this.nodeSandboxes.set(node.index, sandbox);
    }
    return sandbox;
  }

  private containerEnv(
    labPod: LabPod,
    specEnv: readonly { readonly name: string; readonly value?: string }[],
    extra: Readonly<Record<string, string>>,
  ): Record<string, string> {
    const env: Record<string, string> = {
      PATH: CONTAINER_PATH,
      HOME: '/tmp',
      HOSTNAME: labPod.name,
      PYTHONDONTWRITEBYTECODE: '1',
      KUBERNETES_SERVICE_HOST: this.controlPlane().ip,
      KUBERNETES_SERVICE_PORT: String(LAB_ADDRESSES.apiServerPort),
      BREACHMATRIX_SCRIPTS: join(REPO_ROOT, 'attack-pods/scripts'),
    };
    for (const variable of specEnv) if (variable.value !== undefined) env[variable.name] = variable.value;
    return { ...env, ...extra };
  }

  private runInPod(
    labPod: LabPod,
    placement: ProcessPlacement,
    containerName: string | undefined,
    command: readonly string[],
    args: readonly string[],
    options: ExecOptions,
  ): Promise<ExecResult> {
    const container = findContainer(labPod.spec, containerName);
    if (container === undefined) {
      throw new BadInputError(`pod ${labPod.key} has no container "${containerName}"`, 'exec', (labPod.spec.spec?.containers ?? []).map((c) => c.name).join(', '));
    }
    const privileges = containerPrivileges(labPod.spec, container);
    return runCommand(
      'nsenter',
      [...nsenterArguments(placement), 'setpriv', ...setprivArguments(privileges), ...mapContainerCommand([...command, ...args])],
      { timeoutMs: options.timeoutMs, env: this.containerEnv(labPod, container.env ?? [], options.env ?? {}) },
    );
  }

  /** Running = the main process is alive and every declared TCP/UDP container port is bound. */
  private async waitReady(labPod: LabPod, container: string, deadline: number): Promise<void> {
    const process = labPod.processes.get(container);
    const wanted = labPod.ports.filter((port) => port.protocol !== 'SCTP');
    for (;;) {
      if (process?.hasExited()) {
        const log = await readFile(join(labPod.workDir, `${container}.log`), 'utf8').catch(() => '');
        throw new InfrastructureError('lab', `container ${container} of ${labPod.key} exited: ${log.slice(-1000)}`);
      }
      if (wanted.length === 0) return;
      // The container's nsenter has joined the pod's network namespace once its /proc/<pid>/ns/net says so; from
      // then on /proc/<pid>/net lists that namespace's sockets.
      const pid = process?.pid;
      const bound = new Set<string>();
      if (pid !== undefined && (await inNetns(pid, labPod.netns))) {
        for (const socket of await boundSockets(pid)) bound.add(`${socket.protocol}:${socket.port}`);
      }
      if (wanted.every((port) => bound.has(`${port.protocol}:${port.port}`))) return;
      if (Date.now() > deadline) {
        throw new InfrastructureError('lab', `pod ${labPod.key} did not bind ${wanted.map((p) => `${p.protocol}/${p.port}`).join(', ')} in time`);
      }
      await sleep(20);
    }
  }

  private handle(labPod: LabPod): PodHandle {
    return {
      namespace: labPod.namespace,
      name: labPod.name,
      ip: labPod.ip,
      node: labPod.node.name,
      exec: async (command, options) => {
        if (labPod.deleted) throw new InfrastructureError('lab', `pod ${labPod.key} was deleted`);
        return this.runInPod(labPod, await this.placement(labPod), options.container, command, [], options);
      },
      logs: async (container) => {
        const known = findContainer(labPod.spec, container);
        if (known === undefined) {
          throw new BadInputError(`pod ${labPod.key} has no container "${container}"`, 'logs', (labPod.spec.spec?.containers ?? []).map((c) => c.name).join(', '));
        }
        return readFile(join(labPod.workDir, `${container}.log`), 'utf8').catch(() => '');
      },
      [Symbol.asyncDispose]: () => this.deletePod(labPod),
    };
  }

  private async deletePod(labPod: LabPod): Promise<void> {
    if (labPod.deleted) return;
    labPod.deleted = true;
    const sidecar = this.sidecars.get(labPod.key);
    this.sidecars.delete(labPod.key);
    // Everything of the pod stops at once (each stop may wait out a grace period); the namespace goes after.
    await Promise.all([
      sidecar?.stop().catch(() => undefined),
      this.ambient?.remove(labPod.key).catch(() => undefined),
      ...[...labPod.processes.values()].map((process) => this.registry.stop(process)),
      labPod.sandbox === undefined ? undefined : this.registry.stop(labPod.sandbox.process),
    ]);
    this.pods.delete(labPod.key);
    if (!labPod.hostNetwork) {
      await Promise.all([deleteNetns([labPod.netns]), removeNetnsEtc(labPod.netns)]);
      this.madeNetns.delete(labPod.netns);
      this.pools.get(labPod.node.name)?.release(labPod.ip);
    }
    if (!this.tornDown) await this.resyncAll();
  }

  // ---- mesh -----------------------------------------------------------------------------------------------------

  private isMeshPod(labPod: LabPod): boolean {
    return this.wantsSidecar(labPod.namespace, labPod.annotations, labPod.hostNetwork);
  }

  private wantsSidecar(namespace: string, annotations: Readonly<Record<string, string>>, hostNetwork: boolean): boolean {
    if (!this.meshSidecar || hostNetwork) return false;
    const namespaceLabels = this.namespaces.get(namespace) ?? {};
    return namespaceLabels[MESH_INJECTION_LABEL] === 'enabled' && annotations[MESH_INJECT_ANNOTATION] !== 'false';
  }

  private async installSidecar(labPod: LabPod) {
    return installSidecarCapture(
      {
        netns: labPod.netns,
        podIp: labPod.ip,
        namespace: labPod.namespace,
        name: labPod.name,
        serviceAccount: labPod.serviceAccount,
        labels: labPod.labels,
        annotations: labPod.annotations,
        containerPorts: labPod.ports.map((port) => port.port),
        workDir: labPod.workDir,
        namePrefix: this.names.prefix,
      },
      this.mesh(),
    );
  }

  private meshView: LabMesh | undefined;

  private ambientLayer(): AmbientLayer {
    return new AmbientLayer(
      {
        istioObjects: () => this.istioObjects(),
        pods: () => [...this.pods.values()],
        namespaceLabels: (namespace) => this.namespaces.get(namespace) ?? {},
        serviceOf: (namespace, labels) => {
          const service = [...this.services.values()].find((candidate) => {
            const selector = serviceSelector(candidate);
            return candidate.metadata.namespace === namespace && Object.keys(selector).length > 0 &&
              Object.entries(selector).every(([key, value]) => labels[key] === value);
          });
          return service === undefined ? undefined : `${service.metadata.name}.${namespace}.svc.cluster.local`;
        },
        caDir: join(this.workDir, 'ca'),
        nodes: () => this.nodes.map((node) => ({ name: node.name, netns: this.names.node(node.index) })),
      },
      this.registry,
    );
  }

  private mesh(): LabMesh {
    this.meshView ??= {
      istioObjects: () => this.istioObjects(),
      identityOf: (ip) => {
        const owner = [...this.pods.values()].find((candidate) => candidate.ip === ip && !candidate.hostNetwork);
        if (owner === undefined) return undefined;
        return { namespace: owner.namespace, serviceAccount: owner.serviceAccount, meshMember: this.isMeshPod(owner), podName: owner.name };
      },
      meshAddresses: this.nodes.map((node) => podClassCidr(node, 'mesh')),
      caDir: join(this.workDir, 'ca'),
      socketRoot: join(this.workDir, 'sockets'),
      pathNormalization: this.profile.options.pathNormalization,
    };
    return this.meshView;
  }

  // ---- infrastructure pods: kube-dns and the sink ---------------------------------------------------------------

  private controlPlane(): LabNodePlan {
    const node = this.nodes[0];
    if (node === undefined) throw new InfrastructureError('lab', 'the lab has no control-plane node');
    return node;
  }

  private async startKubeDns(): Promise<void> {
    const spec = podBuilder(KUBE_DNS.name, KUBE_DNS.namespace)
      .label('k8s-app', KUBE_DNS.label)
      .onNode(this.controlPlane().name)
      .exposePort(53)
      .withCommand(
        'python3',
        LAB_DNS_SCRIPT,
        '--bind', '0.0.0.0',
        '--port', '53',
        '--records', join(this.workDir, 'dns-records.json'),
        '--forward-zone', SCENE.exfilZone,
        '--forward', `${LAB_ADDRESSES.sinkIp}:${SCENE.sink.dnsPort}`,
      )
      .build();
    const created = await this.createPod(spec, { timeoutMs: TIMEOUTS.labPodReadyMs });
    if (created.status !== 'running') throw new InfrastructureError('lab', `kube-dns was rejected: ${created.message}`);
    this.kubeDnsIp = created.pod.ip;
    // A node's own resolver (what hostNetwork pods with the default dnsPolicy and the node's processes use). Without
    // it they inherited the host's /etc/resolv.conf, whose server is unreachable from the lab. The lab's DNS stands
    // in for the provider's resolver a real node has: the node reaches it over its pod routes, as it reaches kube-dns.
    await Promise.all(
      this.nodes.map((node) =>
        writeNetnsEtc(this.names.node(node.index), { 'resolv.conf': nodeResolvConf(this.kubeDnsIp), hostname: `${node.name}\n` }),
      ),
    );
  }

  private async startSink(): Promise<void> {
    const [file, ...args] = sinkCommand({
      bind: '0.0.0.0',
      answerIp: LAB_ADDRESSES.sinkIp,
      metadataPort: SCENE.metadata.port,
    });
    if (file === undefined) throw new InfrastructureError('lab', 'empty sink command');
    const logFile = join(this.workDir, 'sink.log');
    const python = file === 'python3' ? '/usr/bin/python3' : file;
    const process = this.registry.start('ip', ['netns', 'exec', this.names.internet, python, ...args], 'sink', {
      logFile,
      env: { PATH: CONTAINER_PATH, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' },
    });
    this.sinkProcess = process;
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

  // ---- state sync: DNS records and NetworkPolicy rulesets ---------------------------------------------------------

  /** DNS records and rulesets reflect every pod and object known when this is called, once it resolves. */
  private resyncAll(): Promise<void> {
    return this.sync.request();
  }

  private async syncState(): Promise<void> {
    if (this.tornDown) return;
    const pods = [...this.pods.values()].filter((candidate) => !candidate.deleted);
    const services = [...this.services.values()].map((service) => ({
      namespace: service.metadata.namespace ?? '',
      name: service.metadata.name,
      selector: serviceSelector(service),
    }));
    const records = dnsRecords(
      services,
      pods.map((p) => ({ namespace: p.namespace, labels: p.labels, ip: p.ip, hostNetwork: p.hostNetwork })),
    );
    const recordsText = JSON.stringify({ names: records });
    if (recordsText !== this.loadedDnsRecords) {
      // Renamed into place: the resolver never reads a half-written file.
      const recordsFile = join(this.workDir, 'dns-records.json');
      await writeFile(`${recordsFile}.tmp`, recordsText, { mode: 0o644 });
      await rename(`${recordsFile}.tmp`, recordsFile);
      this.loadedDnsRecords = recordsText;
    }
    await this.syncNetworkPolicy(pods);
  }

  private async syncNetworkPolicy(pods: readonly LabPod[]): Promise<void> {
    if (!this.enforcesNetworkPolicy) return;
    const input = {
      policies: [...this.policies.values()],
      namespaces: this.namespaces,
      pods: pods.map((p) => ({
        id: String(p.index),
        namespace: p.namespace,
        name: p.name,
        ip: p.ip,
        node: p.node.name,
        hostNetwork: p.hostNetwork,
        labels: p.labels,
        ports: p.ports,
        ...(p.nodeVeth === undefined ? {} : { veth: p.nodeVeth }),
      })),
    };
    await Promise.all(
      this.nodes.map(async (node) => {
        const ruleset = compileNodeRuleset(input, node.name);
        const before = this.loadedRulesets.get(node.name);
        const chains = new Set(ruleset.chains.map((chain) => chain.name));
        const counters = new Set(ruleset.counters);
        const sourceSets = new Set(ruleset.sourceSets);
        const text = renderRuleset(ruleset, {
          staleChains: (before?.chains ?? []).filter((name) => !chains.has(name)),
          staleCounters: (before?.counters ?? []).filter((name) => !counters.has(name)),
          staleSourceSets: (before?.sourceSets ?? []).filter((name) => !sourceSets.has(name)),
        });
        // A node whose ruleset did not change (most pods change one or two nodes' rules) is not reloaded.
        if (before?.text === text) return;
        await mustRun('ip', ['netns', 'exec', this.names.node(node.index), 'nft', '-f', '-'], {
          input: text,
          timeoutMs: TIMEOUTS.labPodReadyMs,
        }, 'lab netpol');
        this.loadedRulesets.set(node.name, { chains: [...chains], counters: [...counters], sourceSets: [...sourceSets], text });
      }),
    );
  }

  // ---- Cluster: addresses, evidence, sink -------------------------------------------------------------------------

  async addresses(): Promise<SceneAddresses> {
    const workloads: Record<string, { podIp: string; node: string }> = {};
    for (const labPod of this.pods.values()) workloads[labPod.key] = { podIp: labPod.ip, node: labPod.node.name };
    return {
      sink: {
        ip: LAB_ADDRESSES.sinkIp,
        httpPort: SCENE.sink.httpPort,
        tcpPort: SCENE.sink.tcpPort,
        udpPort: SCENE.sink.udpPort,
        dnsPort: SCENE.sink.dnsPort,
        dnsZone: SCENE.exfilZone,
      },
      metadata: { ip: SCENE.metadata.ip, port: SCENE.metadata.port },
      nodes: this.nodes.map((node) => ({ name: node.name, ip: node.ip })),
      apiServer: { host: this.controlPlane().ip, port: LAB_ADDRESSES.apiServerPort },
      workloads,
    };
  }

  /** Current drop counters of every node. */
  async dropCounters(): Promise<NftDropCounter[]> {
    if (!this.enforcesNetworkPolicy) return [];
    const all = await Promise.all(
      this.nodes.map(async (node) => {
        const result = await mustRun('ip', ['netns', 'exec', this.names.node(node.index), 'nft', '-j', 'list', 'ruleset'], {
          timeoutMs: TIMEOUTS.evidenceMs,
        }, 'lab evidence');
        return parseNftDropCounters(result.stdout, node.name);
      }),
    );
    return all.flat();
  }

  async collectEvidence(query: EvidenceQuery): Promise<readonly EvidenceItem[]> {
    const counters = await this.dropCounters();
    const podIps = new Map([...this.pods.values()].filter((p) => !p.hostNetwork).map((p) => [p.key, p.ip] as const));
    const items = nftCounterEvidence(counters, this.counterBaseline, query.flow, { podIps, window: query.window });
    // Only the counters this flow claimed move their baseline: attempts run concurrently, and resetting every
    // counter here would swallow another attempt's drops before it reads them.
    const claimed = new Set(items.map((item) => item.raw));
    for (const counter of counters) if (claimed.has(counter.raw)) this.counterBaseline.set(counter.key, counter.packets);
    const proxyItems = await this.sidecarEvidence(query);
    const ztunnelItems = (await this.ambient?.evidence(query)) ?? [];
    return [...items, ...proxyItems, ...ztunnelItems];
  }

  /**
   * Proxy-log evidence from the sidecars of the flow's source and destination pods only (reading every proxy's
   * log on every attempt was O(pods) per attempt). A TCP line is written when the connection closes, so a short,
   * bounded wait lets a line that is about to land count.
   */
  private async sidecarEvidence(query: EvidenceQuery): Promise<EvidenceItem[]> {
    const sidecars = this.flowPods(query.flow).flatMap((labPod) => {
      const sidecar = this.sidecars.get(labPod.key);
      return sidecar === undefined ? [] : [sidecar];
    });
    if (sidecars.length === 0) return [];
    const deadline = Date.now() + SIDECAR_TIMEOUTS.proxyLogSettleMs;
    for (;;) {
      const logs = await Promise.all(sidecars.map((sidecar) => readFile(sidecar.accessLogPath, 'utf8').catch(() => '')));
      const items = logs.flatMap((text) => parseLabProxyLog(text, { flow: query.flow, window: query.window }));
      if (items.length > 0 || Date.now() >= deadline) return items;
      await sleep(SIDECAR_TIMEOUTS.proxyLogPollMs);
    }
  }

  /** Pods a flow names: its source (pod or IP) and its destination (IP, or the pods a Service name selects). */
  private flowPods(flow: EvidenceQuery['flow']): LabPod[] {
    const picked = new Set<LabPod>();
    const services = flow.destinationName === undefined ? [] : this.servicesNamed(flow.destinationName, flow.sourceNamespace);
    for (const labPod of this.pods.values()) {
      if (labPod.deleted) continue;
      const isSource =
        (flow.sourcePod !== undefined && labPod.name === flow.sourcePod && (flow.sourceNamespace === undefined || labPod.namespace === flow.sourceNamespace)) ||
        (flow.sourceIp !== undefined && !labPod.hostNetwork && labPod.ip === flow.sourceIp);
      const isDestination =
        (flow.destinationIp !== undefined && !labPod.hostNetwork && labPod.ip === flow.destinationIp) ||
        services.some(
          (service) =>
            service.namespace === labPod.namespace &&
            Object.keys(service.selector).length > 0 &&
            Object.entries(service.selector).every(([key, value]) => labPod.labels[key] === value),
        );
      if (isSource || isDestination) picked.add(labPod);
    }
    return [...picked];
  }

  /** The flow's destination: the sink, a node, or the pods its address or Service name means (clusters/lab/destination-liveness.ts). */
  async destinationLiveness(flow: FlowDescriptor, window: TimeWindow): Promise<DestinationLiveness> {
    const ip = flow.destinationIp;
    if (ip === LAB_ADDRESSES.sinkIp || ip === LAB_ADDRESSES.metadataIp) return sinkLiveness(this.sinkProcess);
    const node = this.nodes.find((candidate) => candidate.ip === ip);
    if (node !== undefined) return { status: 'alive', checked: [`node ${node.name} (a network namespace: nothing to die)`] };
    const services = flow.destinationName === undefined ? [] : this.servicesNamed(flow.destinationName, flow.sourceNamespace);
    const pods = [...this.pods.values()].filter(
      (labPod) =>
        (ip !== undefined && !labPod.hostNetwork && labPod.ip === ip) ||
        (ip === undefined &&
          services.some(
            (service) =>
              service.namespace === labPod.namespace &&
              Object.keys(service.selector).length > 0 &&
              Object.entries(service.selector).every(([key, value]) => labPod.labels[key] === value),
          )),
    );
    const sidecars = this.sidecars;
    return labPodsLiveness(
      pods.map((labPod) => {
        const proxy = sidecars.get(labPod.key)?.health();
        return {
          key: labPod.key,
          deleted: labPod.deleted,
          sandboxAlive: labPod.sandbox === undefined || !labPod.sandbox.process.hasExited(),
          processes: labPod.processes,
          ...(proxy === undefined ? {} : { proxy }),
        };
      }),
      window.from,
    );
  }

  /** Services a DNS-style name means: `api`, `api.bm-app`, `api.bm-app.svc.cluster.local` (port and dot stripped). */
  private servicesNamed(name: string, defaultNamespace: string | undefined): { namespace: string; selector: Record<string, string> }[] {
    const [service, namespace] = name.toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '').split('.');
    const wantedNamespace = namespace ?? defaultNamespace;
    return [...this.services.values()]
      .filter((object) => object.metadata.name === service && (wantedNamespace === undefined || object.metadata.namespace === wantedNamespace))
      .map((object) => ({ namespace: object.metadata.namespace ?? '', selector: serviceSelector(object) }));
  }

  async sinkReceived(canary: string): Promise<readonly SinkRecord[]> {
    if (!/^bm[0-9a-f]{16}$/.test(canary)) throw new BadInputError(`"${canary}" is not a canary`, 'sinkReceived', 'bm + 16 hex chars');
    await this.requireSink();
    const result = await mustRun(
      'ip',
      ['netns', 'exec', this.names.internet, 'curl', '-sS', '--max-time', String(TIMEOUTS.requestSeconds),
        `http://127.0.0.1:${SCENE.sink.queryPort}/canaries/${canary}`],
      { timeoutMs: TIMEOUTS.evidenceMs },
      'sink',
    );
    return parseSinkAnswer(result.stdout);
  }

  /** Names why the sink cannot answer (lab torn down, process gone and how) instead of a bare curl error. */
  private async requireSink(): Promise<void> {
    if (this.tornDown !== undefined) throw new InfrastructureError('sink', `lab ${this.name} was torn down while an attempt still queried its sink`);
    const sink = this.sinkProcess;
    if (sink?.hasExited() === true) {
      const code = await sink.exited;
      const log = await readFile(join(this.workDir, 'sink.log'), 'utf8').catch(() => '');
      throw new InfrastructureError('sink', `the lab sink exited (code ${code}) while the lab was up: ${log.trim().split('\n').slice(-5).join(' | ')}`);
    }
  }

  // ---- teardown ---------------------------------------------------------------------------------------------------

  teardown(): Promise<void> {
    // Once removed, a second Ctrl-C has nothing of this lab left to remove.
    this.tornDown ??= this.removeEverything().then(() => this.unregisterSyncTeardown?.());
    return this.tornDown;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.teardown();
  }

  private async removeEverything(): Promise<void> {
    await Promise.all([...this.sidecars.values()].map((sidecar) => sidecar.stop().catch(() => undefined)));
    this.sidecars.clear();
    await this.ambient?.stopAll().catch(() => undefined);
    await this.registry.killAll();
    const namespaces = [...this.madeNetns];
    // Anything still inside a lab namespace (a daemon a pod forked off) dies with it.
    const stray = (await Promise.all(namespaces.map((ns) => netnsPids(ns)))).flat();
    for (const pid of stray) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    await deleteNetns(namespaces);
    await Promise.all(namespaces.map((ns) => removeNetnsEtc(ns)));
    await reclaimProxySocketFolders(join(this.workDir, 'sockets'));
    await rm(this.workDir, { recursive: true, force: true });
    await removeOwnerFile(LAB_BASE_DIR, this.names.prefix);
    this.madeNetns.clear();
  }

  /** Best effort without awaiting (second Ctrl-C, `exit` handler): processes, namespaces and their mounts, dirs. */
  teardownSync(): void {
    const namespaces = [...this.madeNetns];
    removeLabSync({ processGroups: this.registry.pids(), namespaces, paths: [this.workDir, ownerFilePath(LAB_BASE_DIR, this.names.prefix), ...namespaces.map((ns) => join('/etc/netns', ns))] });
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
  const protocols = new Set(['http', 'tcp', 'udp', 'icmp', 'dns']);
  return records.map((record: unknown) => {
    if (typeof record !== 'object' || record === null) throw new InfrastructureError('sink', 'a sink record is not an object');
    const fields = record as Record<string, unknown>;
    const { canary, protocol, from, at } = fields;
    if (typeof canary !== 'string' || typeof protocol !== 'string' || !protocols.has(protocol) || typeof from !== 'string' || typeof at !== 'string') {
      throw new InfrastructureError('sink', `unexpected sink record ${JSON.stringify(record)}`);
    }
    return { canary, protocol: protocol as SinkRecord['protocol'], from, at };
  });
}

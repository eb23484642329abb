import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Pod } from '@kubernetes/client-node';
import type { ExecOptions, ExecResult, PodHandle } from '../../core/domain/cluster.ts';
import { BadInputError, InfrastructureError } from '../../core/domain/errors.ts';
import { TIMEOUTS } from '../../core/timeouts.ts';
import { makeDirectories } from '../../core/host/owned-files.ts';
import { LAB_ADDRESSES, type LabNodePlan } from './addressing.ts';
import { containerPrivileges, setprivArguments } from './container-privileges.ts';
import { podResolvConf } from './dns/dns-records.ts';
import { onFabric } from './fabric-placement.ts';
import { runCommand } from './host-command.ts';
import { CONTAINER_PATH, REPO_ROOT, mapContainerCommand } from './image-paths.ts';
import type { LabMeshWiring } from './lab-mesh-wiring.ts';
import { containerPorts, findContainer, isSleepCommand, podKey, type LabPod } from './lab-pod.ts';
import { controlPlane, type LabState } from './lab-state.ts';
import type { LabStateSync } from './lab-state-sync.ts';
import { nsenterArguments, startSandbox, type ProcessPlacement, type Sandbox, type SandboxBind } from './pod-sandbox.ts';
import { NetnsDeletions } from './netns-deletions.ts';
import { inNetns } from './proc-sockets.ts';
import { boundUdp, listeningTcpOnceEnough } from './listening-sockets.ts';
import { ipBatchIn, removeNetnsEtc, sysctlIn, writeNetnsEtc } from './topology.ts';

/** Every pod with its own network namespace: unprivileged ICMP echo (as kubelet's safe sysctl allows), no IPv6. */
export const POD_SYSCTLS = { 'net.ipv4.ping_group_range': '0 2147483647', 'net.ipv6.conf.all.disable_ipv6': '1' };

/**
 * A lab pod's life after admission: where it goes (node, address, namespace), how it starts (network, sidecar or
 * ambient enrolment, sandbox, init containers, main process), how commands run in it, and how it is removed.
 */
export class LabPodRuntime {
  private readonly state: LabState;
  private readonly sync: LabStateSync;
  private readonly mesh: LabMeshWiring;
  private readonly nodeSandboxes = new Map<number, Promise<Sandbox>>();
  private readonly netnsDeletions = new NetnsDeletions();
  private podCounter = 0;
  private workerTurn = 0;

  constructor(state: LabState, sync: LabStateSync, mesh: LabMeshWiring) {
    this.state = state;
    this.sync = sync;
    this.mesh = mesh;
  }

  /** The pod's node, address, network namespace and folder; allocates but makes nothing on the host. */
  place(spec: V1Pod, namespace: string, name: string): LabPod {
    const state = this.state;
    const node = this.chooseNode(spec);
    const index = this.podCounter++;
    const hostNetwork = spec.spec?.hostNetwork === true;
    // EV2's sniffer: on the node network, on no node (its `node` only names the pod's nominal node).
    const fabric = onFabric(spec);
    const pool = state.pools.get(node.name);
    if (pool === undefined) throw new InfrastructureError('lab', `no IP pool for node ${node.name}`);
    const annotations = spec.metadata?.annotations ?? {};
    const addressClass = this.mesh.wantsSidecar(namespace, annotations, hostNetwork) ? 'mesh' : 'plain';
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
      netns: fabric ? state.names.fabric : hostNetwork ? state.names.node(node.index) : state.names.pod(index),
      nodeVeth: hostNetwork ? undefined : state.names.podVeth(index),
      ports: containerPorts(spec),
      workDir: join(state.workDir, 'pods', `${namespace}_${name}_${index}`),
      sandbox: undefined,
      processes: new Map(),
      deleted: false,
    };
  }

  private chooseNode(spec: V1Pod): LabNodePlan {
    const nodes = this.state.nodes;
    const wanted = spec.spec?.nodeName;
    if (wanted !== undefined) {
      const node = nodes.find((candidate) => candidate.name === wanted);
      if (node === undefined) {
        throw new BadInputError(`node "${wanted}" does not exist`, `pod ${spec.metadata?.name} spec.nodeName`, nodes.map((n) => n.name).join(', '));
      }
      return node;
    }
    const workers = nodes.slice(1);
    const node = workers[this.workerTurn++ % workers.length];
    if (node === undefined) throw new InfrastructureError('lab', 'the lab has no worker node');
    return node;
  }

  /** Makes the pod on the host and waits until it runs (init containers done, declared ports bound). */
  async start(labPod: LabPod, deadline: number): Promise<void> {
    const state = this.state;
    await makeDirectories(labPod.workDir, 0o755);
    if (!labPod.hostNetwork && labPod.nodeVeth !== undefined) {
      state.madeNetns.add(labPod.netns);
      // One process in the node's namespace makes the pod's namespace (`netns add` in a batch returns to the batch's
      // namespace afterwards), the veth pair with its pod end moved in, and the node end's address and route.
      await ipBatchIn(state.names.node(labPod.node.index), [
        `netns add ${labPod.netns}`,
        `link add ${labPod.nodeVeth} type veth peer name eth0 netns ${labPod.netns}`,
        `link set ${labPod.nodeVeth} up`,
        `addr add ${labPod.node.podGateway}/32 dev ${labPod.nodeVeth}`,
        `route add ${labPod.ip}/32 dev ${labPod.nodeVeth} scope link`,
      ]);
    }
    await this.startNetworkAndSandbox(labPod);
    // Policies and DNS see the pod before its first packet, as a CNI programs the pod before it starts.
    await this.sync.resyncAll();

    const capture = this.mesh.isMeshPod(labPod) ? await this.mesh.installSidecar(labPod) : undefined;
    // Ambient: istio-cni redirects before any container runs, and ztunnel serves the pod from its first packet.
    const ambient = this.mesh.ambient;
    if (ambient?.isMember(labPod) === true) await ambient.add(labPod);
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
    if (capture !== undefined) state.sidecars.set(labPod.key, await capture.startProxy());

    const main = labPod.spec.spec?.containers[0];
    if (main !== undefined && !isSleepCommand(main.command)) {
      const command = mapContainerCommand([...(main.command ?? []), ...(main.args ?? [])]);
      const privileges = containerPrivileges(labPod.spec, main);
      const process = await state.registry.start(
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
   * The pod's own network (addresses, routes, /etc/netns files, POD_SYSCTLS) and its sandbox, in parallel. The sandbox
   * writes POD_SYSCTLS itself before it counts as started (no `sysctl` process), so they are in force before the
   * policy sync, sidecar capture, ambient enrolment and every container, as when a `sysctl` ran here. It starts after
   * the /etc/netns files exist: its `ip netns exec` binds them into the mount namespace the containers join.
   * A hostPID pod has no sandbox of its own, so its sysctls still take a `sysctl` process; a hostNetwork pod gets none.
   */
  private async startNetworkAndSandbox(labPod: LabPod): Promise<void> {
    const ownNetwork = !labPod.hostNetwork && labPod.nodeVeth !== undefined;
    const sandboxLog = join(labPod.workDir, 'sandbox.log');
    const sandbox = async (): Promise<void> => {
      if (ownNetwork) {
        await writeNetnsEtc(labPod.netns, {
          'resolv.conf': podResolvConf(labPod.namespace, this.state.kubeDnsIp || labPod.node.podGateway),
          hostname: `${labPod.name}\n`,
        });
      }
      if (labPod.hostPid) {
        if (ownNetwork) await sysctlIn(labPod.netns, POD_SYSCTLS);
        return;
      }
      const setup = ownNetwork ? { sysctls: POD_SYSCTLS } : { binds: await this.hostNetworkDns(labPod) };
      labPod.sandbox = await startSandbox(this.state.registry, labPod.netns, `${labPod.key} sandbox`, sandboxLog, setup);
    };
    // allSettled: a failed address batch must not leave a sandbox starting unseen by delete().
    const results = await Promise.allSettled([
      ownNetwork
        ? ipBatchIn(labPod.netns, [
            'link set lo up',
            'link set eth0 up',
            `addr add ${labPod.ip}/32 dev eth0`,
            `route add ${labPod.node.podGateway}/32 dev eth0 scope link`,
            `route add default via ${labPod.node.podGateway} dev eth0`,
          ])
        : undefined,
      sandbox(),
    ]);
    for (const result of results) if (result.status === 'rejected') throw result.reason;
  }

  /**
   * A hostNetwork pod shares its node's network namespace, hence its /etc/netns files (the node's resolv.conf).
   * With `dnsPolicy: ClusterFirstWithHostNet` the kubelet gives it the cluster resolver instead: its sandbox
   * mounts a pod resolv.conf over the node's, in the sandbox's own mount namespace.
   */
  private async hostNetworkDns(labPod: LabPod): Promise<SandboxBind[]> {
    if (!labPod.hostNetwork || labPod.spec.spec?.dnsPolicy !== 'ClusterFirstWithHostNet') return [];
    const file = join(labPod.workDir, 'resolv.conf');
    await writeFile(file, podResolvConf(labPod.namespace, this.state.kubeDnsIp), { mode: 0o644 });
    return [{ source: file, target: '/etc/resolv.conf' }];
  }

  private async placement(labPod: LabPod): Promise<ProcessPlacement> {
    if (labPod.sandbox !== undefined) return { targetPid: labPod.sandbox.initPid };
    const nodeSandbox = await this.nodeSandbox(labPod.node);
    return { targetPid: nodeSandbox.initPid, netnsPath: join('/run/netns', labPod.netns) };
  }

  /** The node's own PID namespace (hostPID pods join it), started on first use. */
  private nodeSandbox(node: LabNodePlan): Promise<Sandbox> {
    const state = this.state;
    let sandbox = this.nodeSandboxes.get(node.index);
    if (sandbox === undefined) {
      sandbox = startSandbox(state.registry, state.names.node(node.index), `${node.name} init`, join(state.workDir, `${node.name}-init.log`));
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
      KUBERNETES_SERVICE_HOST: controlPlane(this.state).ip,
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
      { timeoutMs: options.timeoutMs, env: this.containerEnv(labPod, container.env ?? [], options.env ?? {}), onStdout: options.onStdout },
    );
  }

  /** Running = the main process is alive and every declared TCP/UDP container port is bound. */
  private async waitReady(labPod: LabPod, container: string, deadline: number): Promise<void> {
    const process = labPod.processes.get(container);
    const wanted = labPod.ports.filter((port) => port.protocol !== 'SCTP');
    const tcpPorts = new Set(wanted.filter((port) => port.protocol === 'TCP').map((port) => port.port)).size;
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
        const [tcp, udp] = await Promise.all([
          tcpPorts > 0 ? listeningTcpOnceEnough(labPod.netns, pid, tcpPorts) : [],
          wanted.some((port) => port.protocol === 'UDP') ? boundUdp(pid) : [],
        ]);
        for (const socket of [...tcp, ...udp]) bound.add(`${socket.protocol}:${socket.port}`);
      }
      if (wanted.every((port) => bound.has(`${port.protocol}:${port.port}`))) return;
      if (Date.now() > deadline) {
        throw new InfrastructureError('lab', `pod ${labPod.key} did not bind ${wanted.map((p) => `${p.protocol}/${p.port}`).join(', ')} in time`);
      }
      await sleep(20);
    }
  }

  /** The pod as the runner sees it: exec, logs, and disposal. */
  handle(labPod: LabPod): PodHandle {
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
      [Symbol.asyncDispose]: () => this.delete(labPod),
    };
  }

  /** Stops everything of the pod, then removes its namespace and address; idempotent. */
  async delete(labPod: LabPod): Promise<void> {
    const state = this.state;
    if (labPod.deleted) return;
    labPod.deleted = true;
    const sidecar = state.sidecars.get(labPod.key);
    state.sidecars.delete(labPod.key);
    // Everything of the pod stops at once (each stop may wait out a grace period); the namespace goes after.
    await Promise.all([
      sidecar?.stop().catch(() => undefined),
      this.mesh.ambient?.remove(labPod.key).catch(() => undefined),
      ...[...labPod.processes.values()].map((process) => state.registry.stop(process)),
      labPod.sandbox === undefined ? undefined : state.registry.stop(labPod.sandbox.process),
    ]);
    state.pods.delete(labPod.key);
    if (!labPod.hostNetwork) {
      await Promise.all([this.netnsDeletions.delete(labPod.netns), removeNetnsEtc(labPod.netns)]);
      state.madeNetns.delete(labPod.netns);
      state.pools.get(labPod.node.name)?.release(labPod.ip);
    }
    if (!state.tornDown) await this.sync.resyncAll();
  }
}

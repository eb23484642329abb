import { closeSync } from 'node:fs';
import { runCommand } from '../host-command.ts';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeObject } from '../../../core/domain/cluster.ts';
import type { PathNormalization } from '../../../core/domain/profile.ts';
import { InfrastructureError } from '../../../core/domain/errors.ts';
import { makeDirectories, makeOwnedDirectory, openAppendNoFollow, reclaimDirectory, writeFileNoFollow } from '../../../core/host/owned-files.ts';
import { SCENE } from '../../../manifests/scene.ts';
import { principal } from '../../../manifests/mesh-identity.ts';
import { applicablePolicies, compilePolicy } from './authorization-policy.ts';
import { buildCaptureRules, captureSettingsFromAnnotations, ISTIO_CHAINS, renderRestoreInput } from './capture-rules.ts';
import { HTTP_PORTS_BY_CONVENTION, httpPorts } from './port-protocol.ts';
import { PROXY_LUA, renderHaproxyConfig, type HaproxyModel } from './haproxy-config.ts';
import { istioObjectNotes, outboundMode } from './istio-objects.ts';
import { createLabCa, workloadCertificate } from './lab-ca.ts';
import { effectivePeerAuthentication } from './peer-authentication.ts';
import { ProxyProcess } from './proxy-process.ts';
import { SIDECAR_TIMEOUTS } from './timeouts.ts';
import type { ProxyHealth } from '../destination-liveness.ts';
import { netnsCommand } from '../netns-command.ts';

export { createLabCa } from './lab-ca.ts';

/** What the lab core knows about a pod that gets a sidecar. */
export interface LabSidecarPod {
  readonly netns: string;
  readonly podIp: string;
  readonly namespace: string;
  readonly name: string;
  readonly serviceAccount: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly containerPorts: readonly number[];
  readonly workDir: string;
  readonly namePrefix: string;
}

/** The lab core's view of the mesh, shared by every sidecar of one lab. */
export interface LabMesh {
  /** current Istio objects applied to the lab */
  istioObjects(): readonly KubeObject[];
  /** who owns an IP: for mTLS peers and principals */
  identityOf(ip: string): { namespace: string; serviceAccount: string; meshMember: boolean; podName: string } | undefined;
  /**
   * Addresses (IPs or CIDRs) that only pods with a sidecar ever get: a proxy sends mTLS there. The lab core hands
   * sidecar pods addresses from fixed ranges, so this never changes while pods come and go and no proxy has to
   * be reloaded when a peer appears (that was O(n²) reloads under a burst of pod creations).
   */
  readonly meshAddresses: readonly string[];
  readonly caDir: string;
  /**
   * Root-owned folder holding one socket folder per proxy, named after its network namespace: kept short, as
   * HAProxy refuses unix socket paths over 97 characters (a pod's own folder carries its namespace and name).
   */
  readonly socketRoot: string;
  /** `meshConfig.pathNormalization` of this lab's mesh. */
  readonly pathNormalization: PathNormalization;
}

export interface LabSidecarCapture {
  /** start the proxy after init containers ran (capture already active) */
  startProxy(): Promise<LabSidecar>;
  remove(): Promise<void>;
}

export interface LabSidecar extends AsyncDisposable {
  readonly accessLogPath: string;
  /** Whether the proxy serves now, and its last unexpected death (destination liveness). */
  health(): ProxyHealth;
  reload(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Modes of what the sidecar's run folder holds. The folder and every file in it are root's: the proxy (UID and
 * GID 1337) reads them, and its key through its group. The only folder 1337 may write is its socket folder
 * (`<socketRoot>/<netns>`), and root writes nothing there, so no name UID 1337 can plant is ever followed by root.
 */
const RUN_DIR_MODE = 0o755;
const SOCKET_DIR_MODE = 0o700;
const READABLE_FILE = { mode: 0o644 } as const;
const PROXY_KEY = { mode: 0o640, uid: 0, gid: SCENE.proxyUid } as const;

async function tool(file: string, args: readonly string[], input?: string): Promise<void> {
  const result = await runCommand(file, args, { timeoutMs: SIDECAR_TIMEOUTS.toolMs, ...(input === undefined ? {} : { input }) });
  if (result.exitCode !== 0) {
    throw new InfrastructureError('lab-sidecar', `${file} ${args.join(' ')} failed: ${result.stderr.trim().slice(0, 1000)}`);
  }
}

class SidecarInstance implements LabSidecarCapture, LabSidecar {
  readonly accessLogPath: string;
  private readonly pod: LabSidecarPod;
  private readonly mesh: LabMesh;
  private readonly runDir: string;
  private readonly socketDir: string;
  private readonly process: ProxyProcess;
  private generation = 0;
  private proxyStarted = false;
  /** Serialises reloads and stops of this one proxy. */
  private queue: Promise<void> = Promise.resolve();

  constructor(pod: LabSidecarPod, mesh: LabMesh) {
    this.pod = pod;
    this.mesh = mesh;
    this.runDir = join(pod.workDir, 'sidecar');
    this.socketDir = join(mesh.socketRoot, pod.netns);
    this.accessLogPath = join(this.runDir, 'access.log');
    this.process = new ProxyProcess({
      netns: pod.netns,
      configPath: join(this.runDir, 'haproxy.cfg'),
      accessLogPath: this.accessLogPath,
      errorLogPath: join(this.runDir, 'haproxy.err'),
      component: `lab-sidecar ${pod.namespace}/${pod.name}`,
    });
  }

  async installCapture(): Promise<void> {
    // Annotations are parsed first: a bad one fails before anything is touched.
    const rules = buildCaptureRules(captureSettingsFromAnnotations(this.pod.annotations, `${this.pod.namespace}/${this.pod.name}`));
    await makeOwnedDirectory(this.runDir, { mode: RUN_DIR_MODE });
    await makeDirectories(this.mesh.socketRoot, RUN_DIR_MODE);
    await makeOwnedDirectory(this.socketDir, { mode: SOCKET_DIR_MODE, uid: SCENE.proxyUid, gid: SCENE.proxyUid });
    await tool(...netnsCommand(this.pod.netns, 'iptables-nft-restore', ['--noflush']), renderRestoreInput(rules));
    closeSync(openAppendNoFollow(this.accessLogPath, READABLE_FILE.mode));
  }

  private async prepareFiles(): Promise<HaproxyModel> {
    await createLabCa(this.mesh.caDir);
    const certificate = await workloadCertificate(this.mesh.caDir, this.pod.namespace, this.pod.serviceAccount);
    // The proxy runs as 1337: it gets its own copies of its key (readable through its group) and of the root.
    const bundle = join(this.runDir, 'identity.pem');
    const ca = join(this.runDir, 'root-cert.pem');
    await writeFileNoFollow(bundle, await readFile(certificate.bundlePath), PROXY_KEY);
    await writeFileNoFollow(ca, await readFile(certificate.caPath), READABLE_FILE);

    const objects = this.mesh.istioObjects();
    const workload = { namespace: this.pod.namespace, labels: this.pod.labels };
    const policies = applicablePolicies(objects, workload);
    this.generation += 1;
    return {
      pod: `${this.pod.namespace}/${this.pod.name}`,
      socketDir: this.socketDir,
      generation: this.generation,
      certBundlePath: bundle,
      caPath: ca,
      luaPath: join(this.runDir, 'proxy.lua'),
      configDumpPath: join(this.runDir, 'config_dump.json'),
      outbound: {
        mode: outboundMode(objects, workload),
        // Sidecar pods are the registry's endpoints; both are address ranges, not a list of live peers.
        meshMembers: this.mesh.meshAddresses,
        registry: [],
        httpPorts: HTTP_PORTS_BY_CONVENTION,
      },
      inbound: {
        peerAuthentication: effectivePeerAuthentication(objects, workload),
        localPrincipal: principal(this.pod.namespace, this.pod.serviceAccount),
        httpPorts: httpPorts(objects, workload),
        pathNormalization: this.mesh.pathNormalization,
        httpPolicies: policies.map((p) => compilePolicy(p, 'http')),
        tcpPolicies: policies.map((p) => compilePolicy(p, 'tcp')),
      },
    };
  }

  private async render(): Promise<void> {
    const model = await this.prepareFiles();
    const config = renderHaproxyConfig(model);
    await writeFileNoFollow(model.luaPath, PROXY_LUA, READABLE_FILE);
    // What GET /config_dump answers: the model the proxy enforces and the configuration it runs.
    const dump = {
      pod: model.pod,
      generation: model.generation,
      outbound: model.outbound,
      inbound: {
        ...model.inbound,
        peerAuthentication: {
          defaultMode: model.inbound.peerAuthentication.defaultMode,
          ports: Object.fromEntries(model.inbound.peerAuthentication.ports),
        },
      },
      // Accepted objects this proxy enforces nowhere (targetRefs policies), said rather than left out silently.
      notes: istioObjectNotes(this.mesh.istioObjects()),
      haproxyConfig: config.split('\n'),
    };
    await writeFileNoFollow(model.configDumpPath, `${JSON.stringify(dump, null, 2)}\n`, READABLE_FILE);
    await writeFileNoFollow(join(this.runDir, 'haproxy.cfg'), config, READABLE_FILE);
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.queue.then(step, step);
    this.queue = next.catch(() => undefined);
    return next;
  }

  async startProxy(): Promise<LabSidecar> {
    await this.enqueue(async () => {
      await this.render();
      await this.process.start();
      this.proxyStarted = true;
    });
    // Peers need no reload: they already send mTLS to every address of the mesh ranges (LabMesh.meshAddresses).
    return this;
  }

  health(): ProxyHealth {
    const death = this.process.lastDeath;
    return { running: this.proxyStarted && this.process.running, ...(death === undefined ? {} : { death }) };
  }

  reload(): Promise<void> {
    return this.enqueue(async () => {
      if (!this.proxyStarted) return;
      await this.render();
      await this.process.start();
    });
  }

  stop(): Promise<void> {
    return this.enqueue(async () => {
      this.proxyStarted = false;
      await this.process.stop();
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  async remove(): Promise<void> {
    await this.stop();
    const exec = (args: readonly string[]) =>
      runCommand(...netnsCommand(this.pod.netns, 'iptables-nft', ['-t', 'nat', ...args]), { timeoutMs: SIDECAR_TIMEOUTS.toolMs });
    // Rules may already be gone (an attacker flushed them): every step tolerates absence.
    await exec(['-D', 'PREROUTING', '-p', 'tcp', '-j', 'ISTIO_INBOUND']);
    await exec(['-D', 'OUTPUT', '-j', 'ISTIO_OUTPUT']);
    for (const chain of ISTIO_CHAINS) await exec(['-F', chain]);
    for (const chain of ISTIO_CHAINS) await exec(['-X', chain]);
  }
}

/**
 * Before a lab's files are removed: every proxy socket folder under `socketRoot` goes back to root (0700), so no
 * process of UID 1337 still alive on the host (another lab's pod) can race the recursive removal.
 */
export async function reclaimProxySocketFolders(socketRoot: string): Promise<void> {
  const names = await readdir(socketRoot).catch(() => [] as string[]);
  await Promise.all(names.map((name) => reclaimDirectory(join(socketRoot, name)).catch(() => undefined)));
}

/**
 * Installs Istio's capture rules in the pod's network namespace (what istio-init does before the app
 * starts) and returns the handle that starts the proxy once the pod's init containers ran.
 */
export async function installSidecarCapture(pod: LabSidecarPod, mesh: LabMesh): Promise<LabSidecarCapture> {
  const sidecar = new SidecarInstance(pod, mesh);
  await sidecar.installCapture();
  return sidecar;
}

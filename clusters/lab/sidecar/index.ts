import { chmod, chown, copyFile, mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import type { KubeObject } from '../../../core/domain/cluster.ts';
import { InfrastructureError } from '../../../core/domain/errors.ts';
import { SCENE } from '../../../manifests/scene.ts';
import { applicablePolicies, compilePolicy } from './authorization-policy.ts';
import { buildCaptureRules, captureSettingsFromAnnotations, ISTIO_CHAINS, renderRestoreInput } from './capture-rules.ts';
import { HTTP_PORTS_BY_CONVENTION, httpPorts } from './port-protocol.ts';
import { PROXY_LUA, renderHaproxyConfig, type HaproxyModel } from './haproxy-config.ts';
import { outboundMode } from './istio-objects.ts';
import { createLabCa, workloadCertificate } from './lab-ca.ts';
import { effectivePeerAuthentication } from './peer-authentication.ts';
import { ProxyProcess } from './proxy-process.ts';
import { SIDECAR_TIMEOUTS } from './timeouts.ts';
import type { ProxyHealth } from '../destination-liveness.ts';

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
 * The proxy runs as UID 1337 from the start, so it must be able to walk down to its run directory: add
 * search permission (o+x, not read) to the ancestors that lack it, e.g. a 0700 mkdtemp work directory.
 */
async function makeTraversable(dir: string): Promise<void> {
  for (let current = dirname(dir); current !== dirname(current); current = dirname(current)) {
    const info = await stat(current);
    if ((info.mode & 0o001) === 0) await chmod(current, (info.mode & 0o7777) | 0o001);
  }
}

async function tool(file: string, args: readonly string[], input?: string): Promise<void> {
  const result = await execa(file, args, { reject: false, timeout: SIDECAR_TIMEOUTS.toolMs, ...(input === undefined ? {} : { input }) });
  if (result.exitCode !== 0) {
    throw new InfrastructureError('lab-sidecar', `${file} ${args.join(' ')} failed: ${result.stderr.trim().slice(0, 1000)}`);
  }
}

class SidecarInstance implements LabSidecarCapture, LabSidecar {
  readonly accessLogPath: string;
  private readonly pod: LabSidecarPod;
  private readonly mesh: LabMesh;
  private readonly runDir: string;
  private readonly process: ProxyProcess;
  private generation = 0;
  private proxyStarted = false;
  /** Serialises reloads and stops of this one proxy. */
  private queue: Promise<void> = Promise.resolve();

  constructor(pod: LabSidecarPod, mesh: LabMesh) {
    this.pod = pod;
    this.mesh = mesh;
    this.runDir = join(pod.workDir, 'sidecar');
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
    await mkdir(this.runDir, { recursive: true });
    await chown(this.runDir, SCENE.proxyUid, SCENE.proxyUid);
    await makeTraversable(this.runDir);
    await tool('ip', ['netns', 'exec', this.pod.netns, 'iptables-nft-restore', '--noflush'], renderRestoreInput(rules));
    await writeFile(this.accessLogPath, '', { flag: 'a' });
  }

  private async prepareFiles(): Promise<HaproxyModel> {
    await createLabCa(this.mesh.caDir);
    const certificate = await workloadCertificate(this.mesh.caDir, this.pod.namespace, this.pod.serviceAccount);
    // The proxy runs as 1337: it gets its own readable copies of its key and the root.
    const bundle = join(this.runDir, 'identity.pem');
    const ca = join(this.runDir, 'root-cert.pem');
    await copyFile(certificate.bundlePath, bundle);
    await copyFile(certificate.caPath, ca);
    for (const file of [bundle, ca]) await chown(file, SCENE.proxyUid, SCENE.proxyUid);

    const objects = this.mesh.istioObjects();
    const workload = { namespace: this.pod.namespace, labels: this.pod.labels };
    const policies = applicablePolicies(objects, workload);
    this.generation += 1;
    return {
      pod: `${this.pod.namespace}/${this.pod.name}`,
      runDir: this.runDir,
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
        httpPorts: httpPorts(objects, workload),
        httpPolicies: policies.map((p) => compilePolicy(p, 'http')),
        tcpPolicies: policies.map((p) => compilePolicy(p, 'tcp')),
      },
    };
  }

  private async render(): Promise<void> {
    const model = await this.prepareFiles();
    const config = renderHaproxyConfig(model);
    await writeFile(model.luaPath, PROXY_LUA);
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
      haproxyConfig: config.split('\n'),
    };
    await writeFile(model.configDumpPath, `${JSON.stringify(dump, null, 2)}\n`);
    await writeFile(join(this.runDir, 'haproxy.cfg'), config);
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
      execa('ip', ['netns', 'exec', this.pod.netns, 'iptables-nft', '-t', 'nat', ...args], {
        reject: false,
        timeout: SIDECAR_TIMEOUTS.toolMs,
      });
    // Rules may already be gone (an attacker flushed them): every step tolerates absence.
    await exec(['-D', 'PREROUTING', '-p', 'tcp', '-j', 'ISTIO_INBOUND']);
    await exec(['-D', 'OUTPUT', '-j', 'ISTIO_OUTPUT']);
    for (const chain of ISTIO_CHAINS) await exec(['-F', chain]);
    for (const chain of ISTIO_CHAINS) await exec(['-X', chain]);
  }
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

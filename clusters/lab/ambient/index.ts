import { readFile, rename, writeFile } from 'node:fs/promises';
import { runCommand } from '../host-command.ts';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeObject } from '../../../core/domain/cluster.ts';
import { InfrastructureError } from '../../../core/domain/errors.ts';
import { TIMEOUTS } from '../../../core/timeouts.ts';
import type { ProcessRegistry, TrackedProcess } from '../process-registry.ts';
import { REPO_ROOT } from '../image-paths.ts';
import { createLabCa, workloadCertificate } from '../sidecar/lab-ca.ts';
import { SIDECAR_TIMEOUTS } from '../sidecar/timeouts.ts';
import { buildInpodRules, DEFAULT_INPOD_SETTINGS, inpodRouteCommands, renderInpodRestoreInput, type InpodSettings } from './inpod-rules.ts';
import { buildZtunnelConfig, type AmbientPodIdentity, type KnownWorkload, type ZtunnelConfig, type ZtunnelService } from './ztunnel-config.ts';
import { netnsCommand } from '../netns-command.ts';

export { buildInpodRules, DEFAULT_INPOD_SETTINGS, renderInpodRestoreInput } from './inpod-rules.ts';
export { buildZtunnelConfig, isWaypointBound, targetsUnmodelledKind, type KnownWorkload, type ZtunnelService } from './ztunnel-config.ts';

/** Namespace label that puts pods in the ambient mesh, and the pod label value that opts one out (AM3). */
export const AMBIENT_LABEL = 'istio.io/dataplane-mode';

/** Ambient membership: the namespace says `ambient`, the pod does not say `none`; host-network pods never. */
export function isAmbientMember(
  namespaceLabels: Readonly<Record<string, string>>,
  podLabels: Readonly<Record<string, string>>,
  hostNetwork: boolean,
): boolean {
  if (hostNetwork) return false;
  const podMode = podLabels[AMBIENT_LABEL];
  if (podMode !== undefined) return podMode === 'ambient';
  return namespaceLabels[AMBIENT_LABEL] === 'ambient';
}

/** The lab core's view of the ambient mesh, shared by every pod's ztunnel. */
export interface LabAmbientMesh {
  istioObjects(): readonly KubeObject[];
  workloads(): readonly KnownWorkload[];
  /** Service VIPs as ztunnel routes them (through a waypoint or to an endpoint). */
  services(): Readonly<Record<string, ZtunnelService>>;
  readonly caDir: string;
}

export interface LabAmbientPod extends AmbientPodIdentity {
  readonly netns: string;
  readonly workDir: string;
}

/** The lab's DNS has no ztunnel DNS proxy behind it, so the in-pod rules leave UDP 53 alone. */
export const LAB_INPOD_SETTINGS: InpodSettings = { ...DEFAULT_INPOD_SETTINGS, dnsCapture: false };

const ZTUNNEL_SCRIPT = join(REPO_ROOT, 'clusters/lab/ambient/lab_ztunnel.py');

async function tool(file: string, args: readonly string[], input?: string): Promise<void> {
  const result = await runCommand(file, args, { timeoutMs: SIDECAR_TIMEOUTS.toolMs, ...(input === undefined ? {} : { input }) });
  if (result.exitCode !== 0) {
    throw new InfrastructureError('lab-ambient', `${file} ${args.join(' ')} failed: ${result.stderr.trim().slice(0, 1000)}`);
  }
}

/**
 * One ambient pod: istio-cni's in-pod rules in its namespace and the ztunnel stand-in (lab_ztunnel.py) in the
 * same namespace. Real ztunnel is one per node and enters each pod's namespace to open its sockets; a process
 * per pod, inside the pod's namespace, is the faithful thing the lab can do with the same socket semantics.
 */
export class LabAmbient {
  readonly accessLogPath: string;
  private readonly pod: LabAmbientPod;
  private readonly mesh: LabAmbientMesh;
  private readonly configPath: string;
  private process: TrackedProcess | undefined;
  private files: { certPath: string; keyPath: string; caPath: string } | undefined;
  private writes: Promise<void> = Promise.resolve();

  constructor(pod: LabAmbientPod, mesh: LabAmbientMesh) {
    this.pod = pod;
    this.mesh = mesh;
    this.accessLogPath = join(pod.workDir, 'ztunnel.log');
    this.configPath = join(pod.workDir, 'ztunnel.json');
  }

  /** What istio-cni does when the pod is added to the mesh: redirection rules and the policy route. */
  async installRedirection(): Promise<void> {
    await tool(...netnsCommand(this.pod.netns, 'iptables-nft-restore', ['--noflush']), renderInpodRestoreInput(buildInpodRules(LAB_INPOD_SETTINGS)));
    await tool(...netnsCommand(this.pod.netns, 'ip', ['-batch', '-']), `${inpodRouteCommands(LAB_INPOD_SETTINGS).join('\n')}\n`);
  }

  /** Issues the pod's certificate, writes the configuration and starts the proxy; resolves once it listens. */
  async start(registry: ProcessRegistry): Promise<void> {
    await createLabCa(this.mesh.caDir);
    const certificate = await workloadCertificate(this.mesh.caDir, this.pod.namespace, this.pod.serviceAccount);
    this.files = { certPath: certificate.certPath, keyPath: certificate.keyPath, caPath: certificate.caPath };
    await this.writeConfig();
    await writeFile(this.accessLogPath, '', { flag: 'a', mode: 0o644 });
    const stdoutPath = join(this.pod.workDir, 'ztunnel.out');
    this.process = await registry.start(
      'ip',
      ['netns', 'exec', this.pod.netns, '/usr/bin/python3', ZTUNNEL_SCRIPT, '--config', this.configPath, '--access-log', this.accessLogPath],
      `${this.pod.namespace}/${this.pod.name} ztunnel`,
      { logFile: stdoutPath, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' } },
    );
    const deadline = Date.now() + TIMEOUTS.labPodReadyMs;
    for (;;) {
      const out = await readFile(stdoutPath, 'utf8').catch(() => '');
      if (out.includes('"event": "ready"')) return;
      if (this.process.hasExited() || Date.now() > deadline) {
        throw new InfrastructureError('lab-ambient', `ztunnel of ${this.pod.namespace}/${this.pod.name} did not start: ${out.slice(-1000)}`);
      }
      await sleep(10);
    }
  }

  /** The configuration as of now (peers, policies); the proxy picks up a new file on its next connection. */
  config(): ZtunnelConfig {
    if (this.files === undefined) throw new InfrastructureError('lab-ambient', 'config() before start()');
    return buildZtunnelConfig(this.pod, this.mesh.istioObjects(), this.mesh.workloads(), this.files, this.mesh.services());
  }

  reload(): Promise<void> {
    if (this.files === undefined) return Promise.resolve();
    return this.writeConfig();
  }

  private writeConfig(): Promise<void> {
    const step = async (): Promise<void> => {
      const text = `${JSON.stringify(this.config(), null, 1)}\n`;
      await writeFile(`${this.configPath}.tmp`, text, { mode: 0o644 });
      await rename(`${this.configPath}.tmp`, this.configPath);
    };
    const next = this.writes.then(step, step);
    this.writes = next.catch(() => undefined);
    return next;
  }

  async stop(registry: ProcessRegistry): Promise<void> {
    if (this.process !== undefined) await registry.stop(this.process);
    this.process = undefined;
  }
}

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../../core/domain/cluster.ts';
import { InfrastructureError } from '../../core/domain/errors.ts';
import { REPO_ROOT } from './image-paths.ts';

/**
 * The interface between the lab core and the sidecar module (clusters/lab/sidecar/index.ts, built by another
 * engineer in parallel). The core codes against these shapes and loads the module when a stack has a sidecar.
 */
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

export interface LabMesh {
  /** current Istio objects applied to the lab */
  istioObjects(): readonly KubeObject[];
  /** who owns an IP: for mTLS peers and principals */
  identityOf(ip: string): { namespace: string; serviceAccount: string; meshMember: boolean; podName: string } | undefined;
  readonly caDir: string;
}

export interface LabSidecar extends AsyncDisposable {
  readonly accessLogPath: string;
  reload(): Promise<void>;
  stop(): Promise<void>;
}

export interface LabSidecarCapture {
  /** start the proxy after init containers ran (capture already active) */
  startProxy(): Promise<LabSidecar>;
  remove(): Promise<void>;
}

export interface LabSidecarModule {
  installSidecarCapture(pod: LabSidecarPod, mesh: LabMesh): Promise<LabSidecarCapture>;
  createLabCa(dir: string): Promise<void>;
}

const SIDECAR_MODULE = join(REPO_ROOT, 'clusters/lab/sidecar/index.ts');

function isSidecarModule(value: unknown): value is LabSidecarModule {
  return (
    typeof value === 'object' &&
    value !== null &&
    'installSidecarCapture' in value &&
    typeof value.installSidecarCapture === 'function' &&
    'createLabCa' in value &&
    typeof value.createLabCa === 'function'
  );
}

/** Loads the sidecar module; a stack with a sidecar cannot run without it (an infrastructure error, exit 3). */
export async function loadSidecarModule(): Promise<LabSidecarModule> {
  if (!existsSync(SIDECAR_MODULE)) {
    throw new InfrastructureError('lab sidecar', `${SIDECAR_MODULE} is missing: lab:sidecar stacks need the sidecar module`);
  }
  const loaded: unknown = await import(SIDECAR_MODULE);
  if (!isSidecarModule(loaded)) {
    throw new InfrastructureError('lab sidecar', `${SIDECAR_MODULE} does not export installSidecarCapture and createLabCa`);
  }
  return loaded;
}

import type { V1Capabilities, V1Container, V1EnvVar, V1Pod, V1SecurityContext } from '@kubernetes/client-node';
import { SCENE } from './scene.ts';

/**
 * A fluent, typed builder for the pods the harness creates (workloads, attackers, control clients).
 * Everything a technique varies — identity, privileges, annotations, init containers — is a named method,
 * so an attack reads as what it does: `pod('intruder', ns).runAsUser(1337).build()`.
 */
export class PodBuilder {
  private readonly labels: Record<string, string>;
  private readonly annotations: Record<string, string> = {};
  private serviceAccount: string | undefined;
  private hostNetworkOn = false;
  private hostPidOn = false;
  private readonly securityContext: V1SecurityContext = {};
  private readonly addedCapabilities: string[] = [];
  private readonly initContainers: V1Container[] = [];
  private readonly env: V1EnvVar[] = [];
  private image: string = SCENE.attackerImage;
  private command: string[] = ['sleep', 'infinity'];
  private readonly ports: number[] = [];
  private nodeName: string | undefined;

  private readonly name: string;
  private readonly namespace: string;

  constructor(name: string, namespace: string) {
    this.name = name;
    this.namespace = namespace;
    this.labels = { [SCENE.appLabel]: name, [SCENE.managedByLabel.key]: SCENE.managedByLabel.value };
  }

  label(key: string, value: string): this {
    this.labels[key] = value;
    return this;
  }

  annotate(key: string, value: string): this {
    this.annotations[key] = value;
    return this;
  }

  serviceAccountName(name: string): this {
    this.serviceAccount = name;
    return this;
  }

  runAsUser(uid: number): this {
    this.securityContext.runAsUser = uid;
    return this;
  }

  runAsGroup(gid: number): this {
    this.securityContext.runAsGroup = gid;
    return this;
  }

  addCapabilities(...capabilities: string[]): this {
    this.addedCapabilities.push(...capabilities);
    return this;
  }

  privileged(): this {
    this.securityContext.privileged = true;
    return this;
  }

  hostNetwork(): this {
    this.hostNetworkOn = true;
    return this;
  }

  hostPid(): this {
    this.hostPidOn = true;
    return this;
  }

  onNode(node: string): this {
    this.nodeName = node;
    return this;
  }

  withImage(image: string): this {
    this.image = image;
    return this;
  }

  withCommand(...command: string[]): this {
    this.command = command;
    return this;
  }

  withEnv(name: string, value: string): this {
    this.env.push({ name, value });
    return this;
  }

  exposePort(port: number): this {
    this.ports.push(port);
    return this;
  }

  /** An init container running a shell script before the main container (and, without native sidecars, before the proxy). */
  initContainer(name: string, script: string, env: Readonly<Record<string, string>> = {}): this {
    this.initContainers.push({
      name,
      image: this.image,
      command: ['sh', '-c', script],
      env: Object.entries(env).map(([key, value]) => ({ name: key, value })),
    });
    return this;
  }

  build(): V1Pod {
    const capabilities: V1Capabilities | undefined =
      this.addedCapabilities.length > 0 ? { add: [...this.addedCapabilities] } : undefined;
    const securityContext: V1SecurityContext = { ...this.securityContext, ...(capabilities ? { capabilities } : {}) };
    const container: V1Container = {
      name: 'main',
      image: this.image,
      command: [...this.command],
      ...(this.env.length > 0 ? { env: [...this.env] } : {}),
      ...(Object.keys(securityContext).length > 0 ? { securityContext } : {}),
      ...(this.ports.length > 0 ? { ports: this.ports.map((containerPort) => ({ containerPort })) } : {}),
    };
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: this.name,
        namespace: this.namespace,
        labels: { ...this.labels },
        ...(Object.keys(this.annotations).length > 0 ? { annotations: { ...this.annotations } } : {}),
      },
      spec: {
        ...(this.serviceAccount ? { serviceAccountName: this.serviceAccount } : {}),
        ...(this.hostNetworkOn ? { hostNetwork: true } : {}),
        ...(this.hostPidOn ? { hostPID: true } : {}),
        ...(this.nodeName ? { nodeName: this.nodeName } : {}),
        ...(this.initContainers.length > 0 ? { initContainers: this.initContainers.map((c) => ({ ...c })) } : {}),
        terminationGracePeriodSeconds: 0,
        containers: [container],
      },
    };
  }
}

export function pod(name: string, namespace: string): PodBuilder {
  return new PodBuilder(name, namespace);
}

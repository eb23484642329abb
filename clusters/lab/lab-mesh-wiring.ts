import { join } from 'node:path';
import type { KubeObject } from '../../core/domain/cluster.ts';
import { podClassCidr } from './addressing.ts';
import { AmbientLayer } from './ambient/ambient-layer.ts';
import { serviceNamed, servicePorts, serviceSelector } from './lab-objects.ts';
import { CLUSTER_DOMAIN } from './dns/dns-records.ts';
import type { VipService } from './ambient/waypoint-config.ts';
import { serviceWaypoint } from './ambient/waypoint-gateway.ts';
import { isHttpServicePort } from './sidecar/port-protocol.ts';
import { spiffeIdOf } from './sidecar/lab-ca.ts';
import type { LabPod } from './lab-pod.ts';
import type { LabState } from './lab-state.ts';
import { installSidecarCapture, type LabMesh, type LabSidecarCapture } from './sidecar/index.ts';

const MESH_INJECTION_LABEL = 'istio-injection';
const MESH_INJECT_ANNOTATION = 'sidecar.istio.io/inject';

/**
 * Which pods the mesh takes in and how: lab:sidecar's injected proxies (clusters/lab/sidecar) and lab:ambient's
 * redirection and ztunnel stand-ins (clusters/lab/ambient), each wired to what the lab knows.
 */
export class LabMeshWiring {
  /** lab:ambient's in-pod redirection and ztunnel stand-ins; undefined on other stacks. */
  readonly ambient: AmbientLayer | undefined;
  private readonly state: LabState;
  private readonly meshSidecar: boolean;
  private meshView: LabMesh | undefined;

  constructor(state: LabState) {
    this.state = state;
    this.meshSidecar = state.profile.mesh === 'istio-sidecar';
    this.ambient = state.profile.mesh === 'istio-ambient' ? this.ambientLayer() : undefined;
  }

  /** Istio objects currently applied (what the sidecar model reads). */
  istioObjects(): readonly KubeObject[] {
    return [...this.state.istio.values()];
  }

  isMeshPod(labPod: LabPod): boolean {
    return this.wantsSidecar(labPod.namespace, labPod.annotations, labPod.hostNetwork);
  }

  /** Istio's injection rule: the namespace opts in and the pod does not opt out; never a hostNetwork pod. */
  wantsSidecar(namespace: string, annotations: Readonly<Record<string, string>>, hostNetwork: boolean): boolean {
    if (!this.meshSidecar || hostNetwork) return false;
    const namespaceLabels = this.state.namespaces.get(namespace) ?? {};
    return namespaceLabels[MESH_INJECTION_LABEL] === 'enabled' && annotations[MESH_INJECT_ANNOTATION] !== 'false';
  }

  installSidecar(labPod: LabPod): Promise<LabSidecarCapture> {
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
        namePrefix: this.state.names.prefix,
      },
      this.mesh(),
    );
  }

  private ambientLayer(): AmbientLayer {
    const state = this.state;
    return new AmbientLayer(
      {
        istioObjects: () => this.istioObjects(),
        pods: () => [...state.pods.values()],
        namespaceLabels: (namespace) => state.namespaces.get(namespace) ?? {},
        serviceOf: (namespace, labels) => {
          const service = [...state.services.values()].find((candidate) => {
            const selector = serviceSelector(candidate);
            return candidate.metadata.namespace === namespace && Object.keys(selector).length > 0 &&
              Object.entries(selector).every(([key, value]) => labels[key] === value);
          });
          return service === undefined ? undefined : `${service.metadata.name}.${namespace}.svc.cluster.local`;
        },
        caDir: join(state.workDir, 'ca'),
        nodes: () => state.nodes.map((node) => ({ name: node.name, netns: state.names.node(node.index) })),
        vipServices: () => vipServices(state),
        pathNormalization: state.profile.options.pathNormalization,
      },
      state.registry,
    );
  }

  private mesh(): LabMesh {
    const state = this.state;
    this.meshView ??= {
      istioObjects: () => this.istioObjects(),
      identityOf: (ip) => {
        const owner = [...state.pods.values()].find((candidate) => candidate.ip === ip && !candidate.hostNetwork);
        if (owner === undefined) return undefined;
        return { namespace: owner.namespace, serviceAccount: owner.serviceAccount, meshMember: this.isMeshPod(owner), podName: owner.name };
      },
      meshAddresses: state.nodes.map((node) => podClassCidr(node, 'mesh')),
      caDir: join(state.workDir, 'ca'),
      socketRoot: join(state.workDir, 'sockets'),
      pathNormalization: state.profile.options.pathNormalization,
    };
    return this.meshView;
  }
}

/** Services holding a ClusterIP (service-vips.ts), with their waypoint, ports and current endpoints. */
function vipServices(state: LabState): VipService[] {
  return state.serviceVips.entries().flatMap(([key, vip]) => {
    const service = serviceNamed(state, key);
    const namespace = service?.metadata.namespace;
    if (service === undefined || namespace === undefined) return [];
    const selector = Object.entries(serviceSelector(service));
    const endpoints = [...state.pods.values()]
      .filter((pod) => !pod.deleted && !pod.hostNetwork && pod.namespace === namespace && selector.length > 0)
      .filter((pod) => selector.every(([label, value]) => pod.labels[label] === value))
      .map((pod) => ({ ip: pod.ip, identity: spiffeIdOf(pod.namespace, pod.serviceAccount) }));
    const waypoint = serviceWaypoint(service.metadata.labels ?? {}, state.namespaces.get(namespace) ?? {});
    return [{
      namespace,
      name: service.metadata.name,
      host: `${service.metadata.name}.${namespace}.svc.${CLUSTER_DOMAIN}`,
      vip,
      ...(waypoint === undefined ? {} : { waypoint }),
      ports: servicePorts(service).map((port) => ({ port: port.port, targetPort: port.targetPort, http: isHttpServicePort(port) })),
      endpoints,
    }];
  });
}

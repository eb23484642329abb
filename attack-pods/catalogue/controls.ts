import type { AttemptContext, AttemptPlan } from '../../core/domain/attack.ts';
import type { ControlPlan, ControlProof } from '../../core/domain/control.ts';
import type { PodBuilder } from '../../manifests/pod-builder.ts';
import { SCENE } from '../../manifests/scene.ts';
import { frontendImpostor, rogue } from './attackers.ts';
import { apiForgedHeaderPlan, apiPodHttpPlan, apiServiceHttpPlan, baseEnv, plan, serviceHost, sinkHttpPlan, sinkPortPlan, withHostNetworkDns, type PlanInput } from './plans.ts';

/**
 * Positive controls on the attempt's own path (core/domain/control.ts). Which client the scene permits, per
 * destination (manifests/policies, manifests/scene):
 * - the sink and the metadata endpoint: no scene pod may leave the cluster where the CNI enforces, and mesh pods
 *   are REGISTRY_ONLY; the node itself is subject to neither (no HostEndpoint or host policy is applied, meshes
 *   skip hostNetwork pods). So a hostNetwork pod is the permitted client, and the sink recording the control's
 *   canary is the proof (a UDP or ICMP client cannot know).
 * - api:8080: frontend (NetworkPolicy `frontend → api:8080`, sidecar ALLOW `GET /api/*` for frontend's principal,
 *   ambient L4 ALLOW for frontend and the waypoint): a pod with frontend's identity asking `/api/ping`.
 * - api's proxy ports and node addresses: the node, as the kubelet's probes (node → own pods is never filtered).
 */

/** Same path, a permitted client: the attempt's destination address, port and protocol. */
export function sameDestination(control: AttemptPlan, proof: ControlProof = 'client-signal'): ControlPlan {
  return { ...control, kind: 'same-destination', proof, techniqueRemoved: [] };
}

/**
 * The attempt's pod spec minus the technique, to a permitted destination over the same protocol. `techniqueRemoved`
 * names the pod-spec paths that differ from the attempt's pod (besides the name) because they ARE the technique.
 */
export function sameSource(control: AttemptPlan, techniqueRemoved: readonly string[] = []): ControlPlan {
  return { ...control, kind: 'same-source', proof: 'client-signal', techniqueRemoved };
}

/**
 * The node as a client: a hostNetwork pod in bm-privileged (the only namespace PSA lets it into), outside every
 * mesh (injection and ambient enrolment skip hostNetwork pods) and outside pod NetworkPolicy.
 */
export function nodeClient(context: AttemptContext, attackId: string, node?: string): PodBuilder {
  const builder = rogue(context, attackId, 'control', SCENE.namespaces.privileged).hostNetwork();
  return node === undefined ? builder : builder.onNode(node);
}

export type SinkProtocol = 'http' | 'tcp' | 'udp' | 'icmp' | 'dns';

/** The node sends the control's canary to the sink's address and port over the attempt's protocol. */
export function sinkControl(context: AttemptContext, attackId: string, protocol: SinkProtocol): ControlPlan {
  const pod = withHostNetworkDns(nodeClient(context, attackId).build());
  const { sink } = context.addresses;
  const common = { pod, canary: context.canary };
  switch (protocol) {
    case 'http':
      return sameDestination(sinkHttpPlan(pod, context), 'sink-canary');
    case 'tcp':
      return sameDestination(sinkPortPlan(pod, context, 'tcp'), 'sink-canary');
    case 'udp':
      return sameDestination(sinkPortPlan(pod, context, 'udp'), 'sink-canary');
    case 'icmp':
      return sameDestination(
        plan({ ...common, script: 'icmp-probe.sh', env: { TARGET_HOST: sink.ip }, flow: { protocol: 'icmp', destinationIp: sink.ip } }),
        'sink-canary',
      );
    case 'dns':
      return sameDestination(
        plan({
          ...common,
          script: 'direct-dns.sh',
          env: { SINK_IP: sink.ip, DNS_PORT: String(sink.dnsPort), DNS_ZONE: sink.dnsZone },
          flow: { protocol: 'dns', destinationIp: sink.ip, destinationPort: sink.dnsPort },
        }),
        'sink-canary',
      );
  }
}

/** The node (a hostNetwork pod with the cluster resolver) runs `input`'s script with the control's canary. */
function nodePlan(context: AttemptContext, attackId: string, input: Omit<PlanInput, 'pod' | 'canary'>, node?: string): AttemptPlan {
  return plan({ ...input, pod: withHostNetworkDns(nodeClient(context, attackId, node).build()), canary: context.canary });
}

/** The node asks the metadata endpoint, with the control's canary, as EG7's attempt does. */
export function metadataControl(context: AttemptContext, attackId: string): ControlPlan {
  const { metadata } = context.addresses;
  return sameDestination(
    nodePlan(context, attackId, {
      script: 'http-probe.sh',
      env: { TARGET_URL: `http://${metadata.ip}:${metadata.port}/latest/meta-data/?c=${context.canary}` },
      flow: { protocol: 'http', destinationIp: metadata.ip, destinationPort: metadata.port },
    }),
    'sink-canary',
  );
}

/** frontend's identity asks api's Service for `/api/ping`: the scene's one permitted call to api. */
export function apiServiceControl(context: AttemptContext, attackId: string): ControlPlan {
  return sameDestination(apiServiceHttpPlan(frontendImpostor(context, attackId, 'control').build(), context, '/api/ping'));
}

/**
 * Header forgeries (SC13-SC15): frontend's identity sends api's Service the same request with a header no proxy
 * touches, carrying the control's canary. It passes only when the workload echoed that header back, so a
 * `header-stripped` attempt on the same path means the proxy removed the forged one, not that the echo is broken.
 */
export function forgedHeaderControl(context: AttemptContext, attackId: string): ControlPlan {
  const probe = 'x-breachmatrix-probe';
  return sameDestination(
    apiForgedHeaderPlan(frontendImpostor(context, attackId, 'control').build(), context, {
      headers: [`X-Breachmatrix-Probe: ${context.canary}`],
      watch: probe,
      value: context.canary,
    }, false),
  );
}

/**
 * frontend's identity asks api's pod IP on 8080 for `/api/ping`. The Host header names the Service, so a sidecar
 * in REGISTRY_ONLY routes it to api's cluster (whose one endpoint is that pod) instead of the blackhole.
 */
export function apiPodControl(context: AttemptContext, attackId: string): ControlPlan {
  const control = apiPodHttpPlan(frontendImpostor(context, attackId, 'control').build(), context, SCENE.workloads.api.port, '/api/ping');
  return sameDestination({ ...control, env: { ...control.env, HOST_HEADER: `${serviceHost('api')}:${SCENE.workloads.api.port}` } });
}

/**
 * A node asks exactly what `attempt` asks (same script, destination and port): node addresses, NodePorts, the API
 * server and the pods of its own node (the kubelet's position: never filtered, never captured) are the node's to
 * reach. `attempt` must be built with the control's context, so it carries the control's canary.
 */
export function nodeProbeControl(context: AttemptContext, attackId: string, attempt: AttemptPlan, node?: string): ControlPlan {
  const { sourceIp: _ip, sourcePod: _pod, sourceNamespace: _namespace, canary: _canary, ...flow } = attempt.flow;
  return sameDestination(nodePlan(context, attackId, { script: attempt.script, env: attempt.env, flow, placement: attempt.placement }, node));
}

/**
 * For an API-server attempt (apiServerTokenPlan): a node asks the API server's unauthenticated /version
 * (system:public-info-viewer) on the attempt's destination, and the API server answers.
 */
export function apiServerVersionControl(context: AttemptContext, attackId: string, attempt: AttemptPlan): ControlPlan {
  const { host, port } = context.addresses.apiServer;
  return nodeProbeControl(context, attackId, {
    ...attempt,
    script: 'http-ports.sh',
    env: { ...baseEnv(context.canary), TARGET_URLS: `https://${host}:${port}/version`, INSECURE: '1' },
  });
}

/** The resolver every scene pod is permitted to reach, as the flow names it. */
export const CLUSTER_DNS_NAME = 'kube-dns.kube-system.svc.cluster.local';

/**
 * The attempt's own pod opens a TCP connection to its one permitted TCP destination, cluster DNS on 53/TCP, and
 * gets an answer (a DNS query over TCP): its TCP egress works, so a silent drop in the attempt is the policy.
 */
export function tcpSameSource(context: AttemptContext, pod: PodBuilder): ControlPlan {
  return sameSource(
    plan({
      pod: pod.build(),
      script: 'dns-lookup.sh',
      canary: context.canary,
      env: { QUERY_NAME: serviceHost('api'), QUERY_TYPE: 'A', QUERY_TCP: '1' },
      flow: { protocol: 'tcp', destinationName: CLUSTER_DNS_NAME, destinationPort: 53 },
    }),
  );
}

import type { V1Pod } from '@kubernetes/client-node';
import type { AttemptContext, AttemptPlan, ScriptPlacement } from '../../core/domain/attack.ts';
import type { ControlPlan } from '../../core/domain/control.ts';
import { InfrastructureError } from '../../core/domain/errors.ts';
import type { FlowDescriptor } from '../../core/domain/evidence.ts';
import { TIMEOUTS } from '../../core/timeouts.ts';
import type { PodBuilder } from '../../manifests/pod-builder.ts';
import { SCENE, type WorkloadName } from '../../manifests/scene.ts';

/** Attempt and control pods get unique names: the attack id plus the canary's tail. */
export function podName(attackId: string, canary: string, role: 'attempt' | 'control'): string {
  const id = attackId.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  const tail = canary.replace(/[^a-z0-9]/gi, '').toLowerCase().slice(-8);
  return `bm-${id}-${role === 'control' ? 'ctl-' : ''}${tail}`;
}

/** Parameters every script reads; timeouts come from core/timeouts.ts. */
export function baseEnv(canary: string): Record<string, string> {
  return {
    CANARY: canary,
    CONNECT_TIMEOUT: String(TIMEOUTS.connectSeconds),
    REQUEST_TIMEOUT: String(TIMEOUTS.requestSeconds),
    DNS_TIMEOUT: String(TIMEOUTS.dnsSeconds),
  };
}

export interface PlanInput {
  readonly pod: V1Pod;
  readonly script: string;
  readonly canary: string;
  readonly env: Readonly<Record<string, string>>;
  /** The flow without its source: that is the pod's. */
  readonly flow: Omit<FlowDescriptor, 'sourcePod' | 'sourceNamespace' | 'canary'>;
  readonly placement?: ScriptPlacement;
}

export function plan(input: PlanInput): AttemptPlan {
  const metadata = input.pod.metadata ?? {};
  return {
    pod: input.pod,
    script: input.script,
    env: { ...baseEnv(input.canary), ...input.env },
    placement: input.placement ?? 'exec',
    flow: {
      ...input.flow,
      ...(metadata.name === undefined ? {} : { sourcePod: metadata.name }),
      ...(metadata.namespace === undefined ? {} : { sourceNamespace: metadata.namespace }),
      canary: input.canary,
    },
  };
}

/** In-cluster DNS name of a scene workload's Service. */
export function serviceHost(workload: WorkloadName): string {
  return `${SCENE.workloads[workload].name}.${SCENE.namespaces.app}.svc.cluster.local`;
}

/** Pod IP and node of a scene workload; missing means the scene is not up, an infrastructure failure. */
export function workloadAddress(context: AttemptContext, workload: WorkloadName): { podIp: string; node: string } {
  const key = `${SCENE.namespaces.app}/${SCENE.workloads[workload].name}`;
  const found = context.addresses.workloads[key];
  if (found === undefined) throw new InfrastructureError('scene', `no pod address for ${key}; known: ${Object.keys(context.addresses.workloads).join(', ')}`);
  return { podIp: found.podIp, node: found.node };
}

/** A node other than `node` (cross-node attacks); worker nodes preferred over the control plane. */
export function otherNode(context: AttemptContext, node: string): { name: string; ip: string } {
  const others = context.addresses.nodes.filter((candidate) => candidate.name !== node);
  const chosen = others.find((candidate) => !candidate.name.includes('control-plane')) ?? others[0];
  if (chosen === undefined) throw new InfrastructureError('scene', `a node other than ${node} is needed; the cluster has ${context.addresses.nodes.length}`);
  return { name: chosen.name, ip: chosen.ip };
}

export function firstNode(context: AttemptContext): { name: string; ip: string } {
  const node = context.addresses.nodes[0];
  if (node === undefined) throw new InfrastructureError('scene', 'the cluster reported no node addresses');
  return { name: node.name, ip: node.ip };
}

/** The sink's HTTP URL carrying the canary in the path (the sink records it from path and header). */
export function sinkUrl(context: AttemptContext): string {
  const { sink } = context.addresses;
  return `http://${sink.ip}:${sink.httpPort}/${context.canary}`;
}

export interface SinkHttpOptions {
  /** A script that wraps the request (flushes rules first, leaves the node…); http-probe.sh by default. */
  readonly script?: string;
  /** Extra parameters for that script. */
  readonly env?: Readonly<Record<string, string>>;
}

/** HTTP with the canary in the path to the sink: the URL and the flow name the same sink address. */
export function sinkHttpPlan(pod: V1Pod, context: AttemptContext, options: SinkHttpOptions = {}): AttemptPlan {
  const { sink } = context.addresses;
  return plan({
    pod,
    script: options.script ?? 'http-probe.sh',
    canary: context.canary,
    env: { TARGET_URL: sinkUrl(context), ...options.env },
    flow: { protocol: 'http', destinationIp: sink.ip, destinationPort: sink.httpPort },
  });
}

/** The canary to the sink's raw TCP port (tcp-probe.sh) or UDP port (udp-send.sh): TARGET_HOST and TARGET_PORT name it. */
export function sinkPortPlan(pod: V1Pod, context: AttemptContext, protocol: 'tcp' | 'udp'): AttemptPlan {
  const { sink } = context.addresses;
  const [script, port] = protocol === 'tcp' ? ['tcp-probe.sh', sink.tcpPort] : ['udp-send.sh', sink.udpPort];
  return plan({
    pod,
    script,
    canary: context.canary,
    env: { TARGET_HOST: sink.ip, TARGET_PORT: String(port) },
    flow: { protocol, destinationIp: sink.ip, destinationPort: port },
  });
}

/**
 * `script` to api by its Service name on its HTTP port, so through a waypoint where one is attached; `env` is built
 * from the Service's base URL (`http://<host>:<port>`).
 */
function apiServicePlan(pod: V1Pod, context: AttemptContext, script: string, env: (baseUrl: string) => Record<string, string>): AttemptPlan {
  const host = serviceHost('api');
  const port = SCENE.workloads.api.port;
  return plan({
    pod,
    script,
    canary: context.canary,
    env: env(`http://${host}:${port}`),
    flow: { protocol: 'http', destinationName: host, destinationPort: port },
  });
}

/** http-probe.sh to api by its Service name on its HTTP port, so through a waypoint where one is attached. */
export function apiServiceHttpPlan(pod: V1Pod, context: AttemptContext, path: string): AttemptPlan {
  return apiServicePlan(pod, context, 'http-probe.sh', (base) => ({ TARGET_URL: `${base}${path}` }));
}

/** path-tricks.sh: raw request targets `paths` to api by its Service name, each variant reported. */
export function apiPathTricksPlan(pod: V1Pod, context: AttemptContext, paths: readonly string[]): AttemptPlan {
  return apiServicePlan(pod, context, 'path-tricks.sh', (base) => ({ TARGET_BASE: base, PATHS: paths.join(' ') }));
}

/** http-probe.sh straight to api's pod IP on `port`, past the Service. */
export function apiPodHttpPlan(pod: V1Pod, context: AttemptContext, port: number, path: string): AttemptPlan {
  const api = workloadAddress(context, 'api');
  return plan({
    pod,
    script: 'http-probe.sh',
    canary: context.canary,
    env: { TARGET_URL: `http://${api.podIp}:${port}${path}` },
    flow: { protocol: 'http', destinationIp: api.podIp, destinationPort: port },
  });
}

/** One request to the API server: a path, and for a write its method and JSON body. */
export interface ApiServerRequest {
  readonly path: string;
  readonly method?: 'POST';
  readonly body?: string;
}

/** token-api.sh: `pod` sends `request` to the API server with its mounted service-account token. */
export function apiServerTokenPlan(pod: V1Pod, context: AttemptContext, request: ApiServerRequest): AttemptPlan {
  const { host, port } = context.addresses.apiServer;
  return plan({
    pod,
    script: 'token-api.sh',
    canary: context.canary,
    env: {
      API_URL: `https://${host}:${port}`,
      API_PATH: request.path,
      ...(request.method === undefined ? {} : { API_METHOD: request.method }),
      ...(request.body === undefined ? {} : { API_BODY: request.body }),
    },
    flow: { protocol: 'tcp', destinationName: host, destinationPort: port },
  });
}

/** A scene name cluster DNS must resolve on every healthy stack: what DNS controls ask. */
export const CONTROL_DNS_NAME = serviceHost('api');

/**
 * Positive control for DNS attacks (same source): the attacker's pod spec resolves a scene name through its own
 * resolver, the destination every scene pod is permitted. Only for attacks whose own protocol is DNS.
 */
export function dnsControl(builder: PodBuilder, context: AttemptContext): ControlPlan {
  return {
    ...plan({
      pod: builder.build(),
      script: 'dns-lookup.sh',
      canary: context.canary,
      env: { QUERY_NAME: CONTROL_DNS_NAME, QUERY_TYPE: 'A' },
      flow: { protocol: 'dns', destinationName: CONTROL_DNS_NAME, destinationPort: 53 },
    }),
    kind: 'same-source',
    proof: 'client-signal',
    techniqueRemoved: [],
  };
}

/** Host-network pods need this DNS policy to use cluster DNS at all (otherwise the node's resolver). */
export function withHostNetworkDns(pod: V1Pod): V1Pod {
  return { ...pod, spec: { containers: [], ...pod.spec, dnsPolicy: 'ClusterFirstWithHostNet' } };
}

/** What a header-forgery attempt sends, and which forged value it looks for in the workload's echo. */
export interface ForgedHeaders {
  /** `Name: value` lines, all sent. */
  readonly headers: readonly string[];
  /** The header (lower case) whose echoed value tells whether the forgery arrived. */
  readonly watch: string;
  /** The forged text to look for in it. */
  readonly value: string;
}

/**
 * forged-header.sh to api by its Service name (so through a waypoint where one is attached), `/api/ping`: the one
 * call the scene permits frontend, so only the forged headers differ from a legitimate request. Attempts carry the
 * canary in the query (`?bm=`, `canaryInQuery`), which path rules ignore and proxy access logs show, so those
 * records belong to the attempt.
 */
export function apiForgedHeaderPlan(pod: V1Pod, context: AttemptContext, forged: ForgedHeaders, canaryInQuery = true): AttemptPlan {
  return apiServicePlan(pod, context, 'forged-header.sh', (base) => ({
    TARGET_URL: `${base}/api/ping${canaryInQuery ? `?bm=${context.canary}` : ''}`,
    FORGED_HEADERS: forged.headers.join('\n'),
    WATCH_HEADER: forged.watch,
    WATCH_VALUE: forged.value,
  }));
}

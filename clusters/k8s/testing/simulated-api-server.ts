import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { KubeObject } from '../../../core/domain/cluster.ts';
import { sendJson, startRecordingApiServer, type DiscoveredKind, type RecordingApiServer } from './recording-api-server.ts';
import { acceptWebSocket, sendChannel, sendClose } from './websocket-server.ts';

/**
 * A recording API server that also plays the cluster's controllers, for rehearsals without a cluster: it stores
 * what is applied (server-side apply) and created, answers GETs, lists and watches with it, and reports every
 * object as converged at once — CRDs Established, Deployments and DaemonSets rolled out, Gateways Programmed,
 * pods Running and Ready with an IP (those with restartPolicy Never/OnFailure that were applied, i.e. probes,
 * Succeeded), pods in an ambient namespace annotated as istio-cni enrols them, and any other awaited object (e.g.
 * the operator's TigeraStatus) with every condition True. Exec answers come from the test. It proves
 * what a client asks and sends, never what a real controller or dataplane would do.
 */
export interface ExecCall {
  readonly pod: KubeObject;
  /** `env K=V … command`'s variables (the exec has no environment of its own). */
  readonly env: Readonly<Record<string, string>>;
  readonly command: readonly string[];
}

export interface ExecAnswer {
  readonly stdout: string;
  readonly exitCode: number;
}

/** A DELETE as it arrived, and what the server answered. */
export interface RecordedDelete {
  readonly path: string;
  /** The request body (DeleteOptions), byte for byte; empty when none was sent. */
  readonly body: string;
  readonly status: number;
}

export interface SimulatedApiServer extends RecordingApiServer {
  /** Objects as stored, by API path. */
  readonly stored: ReadonlyMap<string, KubeObject>;
  /** Every DELETE, in arrival order. */
  readonly deletes: RecordedDelete[];
}

const RUNNING_NODE_COUNT = 3;
/** https://istio.io/latest/docs/reference/config/labels/ (istio.io/dataplane-mode) and annotations/ (ambient.istio.io/redirection). */
const AMBIENT_NAMESPACE_LABEL = { key: 'istio.io/dataplane-mode', value: 'ambient' } as const;
const AMBIENT_REDIRECTION = { key: 'ambient.istio.io/redirection', value: 'enabled' } as const;
/** https://istio.io/latest/docs/setup/additional-setup/sidecar-injection/ (namespace label istio-injection=enabled). */
const SIDECAR_NAMESPACE_LABEL = { key: 'istio-injection', value: 'enabled' } as const;

/** What the server adds to an object's metadata. */
type ServerMetadata = KubeObject['metadata'] & { readonly generation?: number; readonly resourceVersion?: string; readonly uid?: string; readonly managedFields?: readonly { readonly manager: string; readonly operation: string }[] };

function metadataOf(object: KubeObject): ServerMetadata {
  return object.metadata;
}

/** The REST resource of a kind: lower case, plural (`NetworkPolicy` → `networkpolicies`, `TigerStatus` → `tigerstatuses`). */
export function resourceOf(kind: string): string {
  const lower = kind.toLowerCase();
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  if (/(s|x|ch|sh)$/.test(lower)) return `${lower}es`;
  return `${lower}s`;
}

/** Discovery entries for every kind among `objects` (namespaced when an object names a namespace). */
export function kindsOf(objects: readonly KubeObject[]): DiscoveredKind[] {
  const kinds = new Map<string, DiscoveredKind>();
  for (const object of objects) {
    const key = `${object.apiVersion}/${object.kind}`;
    if (!kinds.has(key)) kinds.set(key, { apiVersion: object.apiVersion, kind: object.kind, resource: resourceOf(object.kind), namespaced: object.metadata.namespace !== undefined });
  }
  return [...kinds.values()];
}

const CORE_KINDS: readonly DiscoveredKind[] = [
  { apiVersion: 'v1', kind: 'Namespace', resource: 'namespaces', namespaced: false },
  { apiVersion: 'v1', kind: 'Pod', resource: 'pods', namespaced: true },
  { apiVersion: 'v1', kind: 'Node', resource: 'nodes', namespaced: false },
];

function basePath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

function collectionPath(kind: DiscoveredKind, namespace: string | undefined): string {
  return kind.namespaced && namespace !== undefined ? `${basePath(kind.apiVersion)}/namespaces/${namespace}/${kind.resource}` : `${basePath(kind.apiVersion)}/${kind.resource}`;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/** `app`, `app=frontend`, `a=b,c=d`: the label selectors the harness sends. */
function matchesSelector(object: KubeObject, selector: string | null): boolean {
  if (selector === null || selector === '') return true;
  const labels = object.metadata.labels ?? {};
  return selector.split(',').every((term) => {
    const [key = '', value] = term.split('=');
    return value === undefined ? key in labels : labels[key] === value;
  });
}

function conditions(...types: string[]): { type: string; status: 'True' }[] {
  return types.map((type) => ({ type, status: 'True' }));
}

export async function startSimulatedApiServer(options: {
  readonly kinds: readonly DiscoveredKind[];
  readonly exec: (call: ExecCall) => ExecAnswer;
  /** Told of every server-side apply, as it is stored (a test's timeline). */
  readonly onApplied?: (path: string) => void;
}): Promise<SimulatedApiServer> {
  const kinds = [...CORE_KINDS, ...options.kinds.filter((kind) => !CORE_KINDS.some((core) => core.apiVersion === kind.apiVersion && core.kind === kind.kind))];
  const stored = new Map<string, KubeObject>();
  const deletes: RecordedDelete[] = [];
  /** Pods created by POST run; pods applied by a plan (probes) run to completion. */
  const createdPods = new Set<string>();
  let resourceVersion = 100;
  let podIps = 10;

  const nextVersion = (): string => String((resourceVersion += 1));

  /** The object as a converged controller would report it. */
  function converged(path: string, object: KubeObject): KubeObject {
    const spec = (object['spec'] ?? {}) as { replicas?: number };
    const generation = metadataOf(object).generation ?? 1;
    switch (object.kind) {
      case 'CustomResourceDefinition':
        return { ...object, status: { conditions: conditions('NamesAccepted', 'Established') } };
      case 'Deployment': {
        const replicas = spec.replicas ?? 1;
        return { ...object, status: { observedGeneration: generation, replicas, updatedReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas, conditions: conditions('Available') } };
      }
      case 'DaemonSet':
        return { ...object, status: { observedGeneration: generation, desiredNumberScheduled: RUNNING_NODE_COUNT, updatedNumberScheduled: RUNNING_NODE_COUNT, numberAvailable: RUNNING_NODE_COUNT, numberReady: RUNNING_NODE_COUNT } };
      case 'Gateway':
        return { ...object, status: { conditions: conditions('Accepted', 'Programmed') } };
      case 'Pod': {
        const restartPolicy = (spec as { restartPolicy?: string }).restartPolicy;
        const runsToCompletion = !createdPods.has(path) && (restartPolicy === 'Never' || restartPolicy === 'OnFailure');
        return runsToCompletion ? { ...object, status: { phase: 'Succeeded' } } : runningPod(enrolled(object));
      }
      default:
        return object['status'] === undefined ? { ...object, status: { conditions: conditions('Available', 'Ready') } } : object;
    }
  }

  /**
   * The mesh's part: a pod in a namespace labelled for injection gets the istio-proxy native sidecar (the injector's
   * webhook), one in a namespace labelled for ambient the redirection annotation (istio-cni).
   */
  function enrolled(pod: KubeObject): KubeObject {
    const namespace = stored.get(`/api/v1/namespaces/${pod.metadata.namespace ?? ''}`);
    if (namespace?.metadata.labels?.[SIDECAR_NAMESPACE_LABEL.key] === SIDECAR_NAMESPACE_LABEL.value) {
      const spec = (pod['spec'] ?? {}) as { initContainers?: { name: string }[] };
      if ((spec.initContainers ?? []).some((container) => container.name === 'istio-proxy')) return pod;
      return { ...pod, spec: { ...spec, initContainers: [...(spec.initContainers ?? []), { name: 'istio-proxy', image: 'proxyv2', restartPolicy: 'Always' }] } };
    }
    if (namespace?.metadata.labels?.[AMBIENT_NAMESPACE_LABEL.key] !== AMBIENT_NAMESPACE_LABEL.value) return pod;
    return { ...pod, metadata: { ...pod.metadata, annotations: { ...pod.metadata.annotations, [AMBIENT_REDIRECTION.key]: AMBIENT_REDIRECTION.value } } };
  }

  function runningPod(object: KubeObject): KubeObject {
    const spec = (object['spec'] ?? {}) as { containers?: { name: string; image?: string }[]; initContainers?: { name: string; image?: string; restartPolicy?: string }[] };
    const sidecars = (spec.initContainers ?? []).filter((container) => container.restartPolicy === 'Always');
    const ready = (container: { name: string; image?: string }) => ({ name: container.name, image: container.image ?? '', imageID: '', ready: true, restartCount: 0, started: true, state: { running: { startedAt: new Date().toISOString() } } });
    return {
      ...object,
      spec: { ...spec, nodeName: (spec as { nodeName?: string }).nodeName ?? 'rehearsal-worker' },
      status: {
        phase: 'Running',
        podIP: (object['status'] as { podIP?: string } | undefined)?.podIP ?? '',
        conditions: conditions('Initialized', 'Ready', 'ContainersReady', 'PodScheduled'),
        containerStatuses: (spec.containers ?? []).map(ready),
        initContainerStatuses: sidecars.map(ready),
      },
    };
  }

  function store(path: string, object: KubeObject, manager?: { readonly name: string; readonly operation: string }): KubeObject {
    const previous = stored.get(path);
    const before = previous === undefined ? undefined : metadataOf(previous);
    const generation = before === undefined ? 1 : (before.generation ?? 1) + (JSON.stringify(previous?.['spec']) === JSON.stringify(object['spec']) ? 0 : 1);
    // Field management as the API server keeps it: one entry per manager that wrote the object.
    const managers = [...(before?.managedFields ?? [])];
    if (manager !== undefined && !managers.some((entry) => entry.manager === manager.name)) managers.push({ manager: manager.name, operation: manager.operation });
    const metadata: ServerMetadata = { ...object.metadata, generation, resourceVersion: nextVersion(), uid: before?.uid ?? `uid-${resourceVersion}`, ...(managers.length > 0 ? { managedFields: managers } : {}) };
    // A pod gets its address when it is stored, as the CNI would give it one.
    const status = object.kind === 'Pod' && object['status'] === undefined ? { status: { podIP: `10.244.1.${(podIps += 1) % 250}` } } : {};
    const kept: KubeObject = { ...object, metadata, ...status };
    stored.set(path, kept);
    return converged(path, kept);
  }

  /** Pods of the namespace: created and applied ones, and one per stored Deployment (its template's labels). */
  function podsIn(namespace: string): KubeObject[] {
    const prefix = `/api/v1/namespaces/${namespace}/pods/`;
    const pods = [...stored.entries()].filter(([path]) => path.startsWith(prefix) && !path.slice(prefix.length).includes('/')).map(([path, pod]) => converged(path, pod));
    for (const [path, deployment] of stored) {
      if (deployment.kind !== 'Deployment' || deployment.metadata.namespace !== namespace) continue;
      const template = ((deployment['spec'] ?? {}) as { template?: { metadata?: { labels?: Record<string, string> }; spec?: Record<string, unknown> } }).template;
      const name = `${deployment.metadata.name}-0`;
      pods.push(
        runningPod({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name, namespace, labels: template?.metadata?.labels ?? {} },
          spec: template?.spec ?? {},
          status: { podIP: `10.244.2.${(podIps += 1) % 250}` },
        } as KubeObject),
      );
    }
    return pods;
  }

  function kindAt(path: string): { kind: DiscoveredKind; namespace: string | undefined } | undefined {
    for (const kind of kinds) {
      const base = basePath(kind.apiVersion);
      if (path === `${base}/${kind.resource}`) return { kind, namespace: undefined };
      const match = new RegExp(`^${base.replaceAll('.', '\\.')}/namespaces/([^/]+)/${kind.resource}$`).exec(path);
      if (match !== null) return { kind, namespace: match[1] };
    }
    return undefined;
  }

  function watch(url: URL, response: ServerResponse): void {
    const name = (url.searchParams.get('fieldSelector') ?? '').replace('metadata.name=', '');
    const at = kindAt(url.pathname);
    if (at === undefined) {
      sendJson(response, 404, { kind: 'Status', status: 'Failure', code: 404, message: `no kind at ${url.pathname}` });
      return;
    }
    const path = `${url.pathname}/${name}`;
    const object = stored.get(path);
    // Objects nobody applied (a chart's Deployment, the operator's TigerStatus) are reported as their controller would.
    const reported = object === undefined
      ? converged(path, { apiVersion: at.kind.apiVersion, kind: at.kind.kind, metadata: { name, ...(at.namespace === undefined ? {} : { namespace: at.namespace }), resourceVersion: nextVersion() } as ServerMetadata })
      : converged(path, object);
    response.writeHead(200, { 'content-type': 'application/json' });
    response.write(`${JSON.stringify({ type: 'ADDED', object: reported })}\n`);
  }

  function list(url: URL, response: ServerResponse): boolean {
    if (url.pathname === '/api/v1/nodes') {
      const names = ['rehearsal-control-plane', 'rehearsal-worker', 'rehearsal-worker2'];
      sendJson(response, 200, {
        kind: 'NodeList',
        apiVersion: 'v1',
        metadata: {},
        items: names.map((name, index) => ({ metadata: { name }, status: { addresses: [{ type: 'InternalIP', address: `172.18.0.${index + 2}` }], conditions: conditions('Ready') } })),
      });
      return true;
    }
    const podList = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(url.pathname);
    if (podList !== null) {
      const items = podsIn(podList[1] ?? '').filter((pod) => matchesSelector(pod, url.searchParams.get('labelSelector')));
      sendJson(response, 200, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: nextVersion() }, items });
      return true;
    }
    if (/^\/api\/v1\/namespaces\/[^/]+\/events$/.test(url.pathname)) {
      sendJson(response, 200, { kind: 'EventList', apiVersion: 'v1', metadata: {}, items: [] });
      return true;
    }
    const at = kindAt(url.pathname);
    if (at === undefined) return false;
    const items = [...stored.entries()]
      .filter(([path]) => path.startsWith(`${url.pathname}/`) && !path.slice(url.pathname.length + 1).includes('/'))
      .map(([path, object]) => converged(path, object))
      .filter((object) => matchesSelector(object, url.searchParams.get('labelSelector')));
    sendJson(response, 200, { kind: `${at.kind.kind}List`, apiVersion: at.kind.apiVersion, metadata: { resourceVersion: nextVersion() }, items });
    return true;
  }

  function route(request: IncomingMessage, url: URL, response: ServerResponse): boolean {
    if (request.method === 'GET' && url.searchParams.get('watch') === 'true') {
      watch(url, response);
      return true;
    }
    if (request.method === 'GET' && url.pathname.endsWith('/log')) {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('');
      return true;
    }
    if (request.method === 'GET') {
      const object = stored.get(url.pathname);
      if (object !== undefined) {
        sendJson(response, 200, converged(url.pathname, object));
        return true;
      }
      return list(url, response);
    }
    if (request.method === 'POST' && /^\/api\/v1\/namespaces\/[^/]+\/pods$/.test(url.pathname)) {
      void readBody(request).then((body) => {
        const pod = JSON.parse(body) as KubeObject;
        const path = `${url.pathname}/${pod.metadata.name}`;
        createdPods.add(path);
        sendJson(response, 201, store(path, pod));
      });
      return true;
    }
    if (request.method === 'DELETE') {
      void readBody(request).then((body) => {
        // DeleteOptions.preconditions.uid: a different instance under the name is a 409, and nothing is deleted.
        let wanted: string | undefined;
        try {
          wanted = body === '' ? undefined : (JSON.parse(body) as { preconditions?: { uid?: string } }).preconditions?.uid;
        } catch {
          wanted = undefined;
        }
        const current = stored.get(url.pathname);
        const status = wanted !== undefined && current !== undefined && metadataOf(current).uid !== wanted ? 409 : current === undefined && wanted !== undefined ? 404 : 200;
        deletes.push({ path: url.pathname, body, status });
        if (status !== 200) {
          sendJson(response, status, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: status, message: status === 409 ? `Precondition failed: UID in precondition: ${wanted}, UID in object meta: ${String(current === undefined ? '' : metadataOf(current).uid)}` : 'not found' });
          return;
        }
        stored.delete(url.pathname);
        // Deleting a namespace deletes everything in it (the namespace controller's part).
        const namespace = /^\/api\/v1\/namespaces\/([^/]+)$/.exec(url.pathname)?.[1];
        if (namespace !== undefined) for (const path of [...stored.keys()]) if (path.includes(`/namespaces/${namespace}/`)) stored.delete(path);
        sendJson(response, 200, { kind: 'Status', apiVersion: 'v1', status: 'Success' });
      });
      return true;
    }
    return false;
  }

  function upgrade(request: IncomingMessage, socket: Socket): void {
    const url = new URL(request.url ?? '/', 'https://127.0.0.1');
    acceptWebSocket(request, socket);
    const podPath = url.pathname.replace(/\/exec$/, '');
    const pod = stored.get(podPath);
    const words = url.searchParams.getAll('command');
    const env: Record<string, string> = {};
    let rest = words;
    if (words[0] === 'env') {
      rest = words.slice(1);
      while (rest[0] !== undefined && /^[A-Z_][A-Z0-9_]*=/.test(rest[0])) {
        const [key = '', ...value] = rest[0].split('=');
        env[key] = value.join('=');
        rest = rest.slice(1);
      }
    }
    if (pod === undefined) {
      sendChannel(socket, 3, JSON.stringify({ metadata: {}, status: 'Failure', message: `pod ${podPath} not found` }));
      sendClose(socket, 1000, '');
      return;
    }
    const answer = options.exec({ pod: converged(podPath, pod), env, command: rest });
    if (answer.stdout !== '') sendChannel(socket, 1, answer.stdout);
    const status = answer.exitCode === 0
      ? { metadata: {}, status: 'Success' }
      : { metadata: {}, status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: String(answer.exitCode) }] } };
    sendChannel(socket, 3, JSON.stringify(status));
    setTimeout(() => sendClose(socket, 1000, ''), 10);
  }

  const server = await startRecordingApiServer({
    kinds,
    route,
    upgrade,
    onApply: (path, body, fieldManager) => {
      options.onApplied?.(path);
      return store(path, JSON.parse(body) as KubeObject, fieldManager === null ? undefined : { name: fieldManager, operation: 'Apply' });
    },
  });
  return Object.assign(server, { stored, deletes });
}

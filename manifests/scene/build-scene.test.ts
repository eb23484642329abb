import type { V1Pod, V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../core/domain/cluster.ts';
import { DEFAULT_PROFILE_OPTIONS, profileId, stackTraits, type Cni, type Mesh, type PolicySet } from '../../core/domain/profile.ts';
import { buildScene } from './build-scene.ts';

function stack(cni: Cni, mesh: Mesh, policy: PolicySet = 'layered') {
  return stackTraits({ id: profileId(cni, mesh), cni, mesh, versions: { kubernetes: 'v1.33.0' }, options: { ...DEFAULT_PROFILE_OPTIONS, policy } });
}

function namespaceLabels(objects: readonly KubeObject[], name: string): Readonly<Record<string, string>> {
  const ns = objects.find((o) => o.kind === 'Namespace' && o.metadata.name === name);
  if (ns === undefined) throw new Error(`no namespace ${name}`);
  return ns.metadata.labels ?? {};
}

function named<T>(objects: readonly KubeObject[], kind: string, name: string): T {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind} ${name}`);
  return found as T;
}

describe('buildScene', () => {
  it('is ordered namespaces, service accounts, the pod creator\'s RBAC, workloads, services', () => {
    const kinds = buildScene(stack('kindnet', 'none')).map((o) => o.kind);
    const order = ['Namespace', 'ServiceAccount', 'Role', 'RoleBinding', 'Pod', 'Service'];
    expect([...new Set(kinds)]).toEqual(order);
    expect(kinds).toEqual([...kinds].sort((a, b) => order.indexOf(a) - order.indexOf(b)));
  });

  it('labels the mesh namespaces by data-plane mode; bm-rogue stays outside', () => {
    const sidecar = buildScene(stack('calico', 'istio-sidecar'));
    const ambient = buildScene(stack('calico', 'istio-ambient'));
    for (const ns of ['bm-app', 'bm-privileged']) {
      expect(namespaceLabels(sidecar, ns)['istio-injection']).toBe('enabled');
      expect(namespaceLabels(ambient, ns)['istio.io/dataplane-mode']).toBe('ambient');
    }
    for (const scene of [sidecar, ambient]) {
      expect(Object.keys(namespaceLabels(scene, 'bm-rogue')).filter((key) => key.includes('istio'))).toEqual([]);
    }
    const plain = buildScene(stack('calico', 'none'));
    expect(Object.keys(namespaceLabels(plain, 'bm-app')).filter((key) => key.includes('istio'))).toEqual([]);
  });

  it('enforces PSA baseline on bm-app and bm-rogue, privileged on bm-privileged', () => {
    const scene = buildScene(stack('cilium', 'istio-ambient'));
    expect(namespaceLabels(scene, 'bm-app')['pod-security.kubernetes.io/enforce']).toBe('baseline');
    expect(namespaceLabels(scene, 'bm-rogue')['pod-security.kubernetes.io/enforce']).toBe('baseline');
    expect(namespaceLabels(scene, 'bm-privileged')['pod-security.kubernetes.io/enforce']).toBe('privileged');
  });

  it('relaxes bm-app to privileged only for a sidecar mesh without istio-cni (istio-init needs NET_ADMIN)', () => {
    const withoutCni = buildScene(stack('kindnet', 'istio-sidecar'), { istioCni: false });
    expect(namespaceLabels(withoutCni, 'bm-app')['pod-security.kubernetes.io/enforce']).toBe('privileged');
    expect(namespaceLabels(withoutCni, 'bm-app')['pod-security.kubernetes.io/warn']).toBe('baseline');
    expect(namespaceLabels(withoutCni, 'bm-rogue')['pod-security.kubernetes.io/enforce']).toBe('baseline');
    expect(namespaceLabels(buildScene(stack('kindnet', 'istio-sidecar'), { istioCni: true }), 'bm-app')['pod-security.kubernetes.io/enforce']).toBe('baseline');
    // Ambient always runs istio-cni.
    expect(namespaceLabels(buildScene(stack('kindnet', 'istio-ambient'), { istioCni: false }), 'bm-app')['pod-security.kubernetes.io/enforce']).toBe('baseline');
  });

  it('gives every workload its own service account, and the attackers theirs', () => {
    const accounts = buildScene(stack('kindnet', 'none'))
      .filter((o) => o.kind === 'ServiceAccount')
      .map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
    expect(accounts).toEqual(['bm-app/frontend', 'bm-app/api', 'bm-app/db', 'bm-app/intruder', 'bm-rogue/rogue', 'bm-privileged/intruder', 'bm-privileged/rogue']);
    const pods = buildScene(stack('kindnet', 'none')).filter((o) => o.kind === 'Pod') as unknown as V1Pod[];
    expect(pods.map((p) => `${p.metadata?.name}:${p.spec?.serviceAccountName}`)).toEqual(['frontend:frontend', 'api:api', 'db:db']);
  });

  it('runs the workload server with the right ports', () => {
    const scene = buildScene(stack('kindnet', 'none'));
    const commandOf = (name: string) => named<V1Pod>(scene, 'Pod', name).spec?.containers[0]?.command;
    expect(commandOf('api')).toEqual(['python3', '/opt/breachmatrix/workload_server.py', '--name', 'api', '--http-port', '8080', '--http-port', '9090']);
    expect(commandOf('db')).toEqual(['python3', '/opt/breachmatrix/workload_server.py', '--name', 'db', '--tcp-port', '5432']);
    expect(commandOf('frontend')).toEqual(['python3', '/opt/breachmatrix/workload_server.py', '--name', 'frontend', '--http-port', '8080']);
    expect(named<V1Pod>(scene, 'Pod', 'api').spec?.containers[0]?.image).toBe('breachmatrix/sink:dev');
  });

  it('exposes api on 8080 and 9090, db on 5432, and api as a NodePort', () => {
    const scene = buildScene(stack('kindnet', 'none'));
    const portsOf = (name: string) => named<V1Service>(scene, 'Service', name).spec?.ports?.map((p) => p.port);
    expect(portsOf('api')).toEqual([8080, 9090]);
    expect(portsOf('db')).toEqual([5432]);
    const nodePort = named<V1Service>(scene, 'Service', 'api-nodeport').spec;
    expect(nodePort?.type).toBe('NodePort');
    expect(nodePort?.externalTrafficPolicy).toBe('Cluster');
    expect(nodePort?.selector).toEqual({ app: 'api' });
  });

  it('routes api through the waypoint only on ambient with mesh policies', () => {
    const waypointOf = (s: ReturnType<typeof stack>) => named<V1Service>(buildScene(s), 'Service', 'api').metadata?.labels?.['istio.io/use-waypoint'];
    expect(waypointOf(stack('cilium', 'istio-ambient'))).toBe('waypoint');
    expect(waypointOf(stack('kindnet', 'istio-ambient', 'mesh-only'))).toBe('waypoint');
    expect(waypointOf(stack('kindnet', 'istio-ambient', 'none'))).toBeUndefined();
    expect(waypointOf(stack('cilium', 'istio-sidecar'))).toBeUndefined();
    expect(named<V1Service>(buildScene(stack('cilium', 'istio-ambient')), 'Service', 'db').metadata?.labels?.['istio.io/use-waypoint']).toBeUndefined();
  });
});

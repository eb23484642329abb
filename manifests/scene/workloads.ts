import type { V1Pod } from '@kubernetes/client-node';
import { pod } from '../pod-builder.ts';
import { SCENE } from '../scene.ts';

/** Where the workload server (attack-pods) lives inside `SCENE.sinkImage`. */
export const WORKLOAD_SERVER = ['python3', '/opt/breachmatrix/workload_server.py'] as const;

export interface WorkloadPorts {
  readonly http: readonly number[];
  readonly tcp: readonly number[];
}

/** The command line of the workload server: `--name N`, one `--http-port`/`--tcp-port` per listener. */
export function workloadCommand(name: string, ports: WorkloadPorts): string[] {
  return [
    ...WORKLOAD_SERVER,
    '--name',
    name,
    ...ports.http.flatMap((port) => ['--http-port', String(port)]),
    ...ports.tcp.flatMap((port) => ['--tcp-port', String(port)]),
  ];
}

const { frontend, api, db } = SCENE.workloads;

/** What each scene workload listens on (api: 8080 HTTP and 9090 metrics; db: 5432 raw TCP). */
export const WORKLOAD_PORTS = {
  frontend: { http: [frontend.port], tcp: [] },
  api: { http: [api.port, api.metricsPort], tcp: [] },
  db: { http: [], tcp: [db.port] },
} as const satisfies Record<'frontend' | 'api' | 'db', WorkloadPorts>;

/**
 * The scene's workloads as bare pods, not Deployments: one replica either way, and a bare pod keeps the name
 * the attacks, the evidence matchers and `SceneAddresses.workloads` key on (`bm-app/api`), with no ReplicaSet
 * hash to resolve and no controller recreating a pod behind an attack's back.
 */
export function buildWorkloadPods(): V1Pod[] {
  return (['frontend', 'api', 'db'] as const).map((name) => {
    const workload = SCENE.workloads[name];
    const ports = WORKLOAD_PORTS[name];
    const builder = pod(workload.name, SCENE.namespaces.app)
      .serviceAccountName(workload.serviceAccount)
      .withImage(SCENE.sinkImage)
      .withCommand(...workloadCommand(workload.name, ports));
    for (const port of [...ports.http, ...ports.tcp]) builder.exposePort(port);
    return builder.build();
  });
}

import type { V1Pod } from '@kubernetes/client-node';
import { baseEnv, serviceHost } from '../../attack-pods/catalogue/plans.ts';
import { pod } from '../../manifests/pod-builder.ts';
import { intruderPod, roguePod } from '../../manifests/scene/attacker-pods.ts';
import { SCENE } from '../../manifests/scene.ts';
import type { SinkRecord } from '../domain/cluster.ts';
import type { PolicyGroup } from '../domain/depth.ts';
import { SCENE_CHECK_LABEL, type SceneProbe } from './scene-flows.ts';

/**
 * A probe that ONE policy group decides on its own: every other group of the stack lets it through. A depth pass
 * (core/depth) proves with it that the group it removed is really gone (the probe turns allowed) and that the groups
 * it kept still hold (the probe stays denied) — the scene's baseline flows cannot, since every layer denies them.
 */
export type LayerProbe = ExecLayerProbe | AdmissionLayerProbe;

interface LayerProbeBase {
  readonly group: PolicyGroup;
  /** DNS-label-safe id, also the value of SCENE_CHECK_LABEL on its pod. */
  readonly id: string;
  readonly name: string;
  /** Why only this group decides it. */
  readonly because: string;
}

/** Traffic from a pod of its own; with `deliversOver`, `allowed` also needs the sink's record of this try's canary. */
export interface ExecLayerProbe extends LayerProbeBase, SceneProbe {
  readonly method: 'exec';
  readonly deliversOver?: SinkRecord['protocol'];
}

/** A pod the group's admission policy must refuse: admitted is `allowed`. One fresh pod per try. */
export interface AdmissionLayerProbe extends LayerProbeBase {
  readonly method: 'admission';
  readonly pod: (tail: string) => V1Pod;
}

function labelled(builder: ReturnType<typeof pod>, id: string): V1Pod {
  return builder.label(SCENE_CHECK_LABEL, id).build();
}

/** A path under the mesh's explicit DENY (manifests/policies/istio-policies.ts ADMIN_PATHS); the api answers any path 200. */
const ADMIN_PROBE_PATH = '/admin/bm-depth-check';

/**
 * CNI: `rogue → sink:tcp`. bm-rogue is never a mesh member and its CNI default-deny allows egress to kube-dns only
 * (manifests/policies/kubernetes-network-policies.ts); no admission rule sees traffic. Allowed only when the sink
 * recorded this try's canary.
 */
const CNI_PROBE: ExecLayerProbe = {
  method: 'exec',
  group: 'cni',
  id: 'layer-cni',
  name: `rogue → sink:${SCENE.sink.tcpPort}/tcp (CNI egress default-deny)`,
  because: 'only the CNI policies stop egress from bm-rogue (outside the mesh)',
  deliversOver: 'tcp',
  pod: (tail) => labelled(roguePod({ name: `bm-scene-layer-cni-${tail}` }), 'layer-cni'),
  plan: (probePod, canary, addresses) => ({
    pod: probePod,
    script: 'tcp-probe.sh',
    env: { ...baseEnv(canary), TARGET_HOST: addresses.sink.ip, TARGET_PORT: String(addresses.sink.tcpPort) },
    placement: 'exec',
    flow: { protocol: 'tcp', destinationIp: addresses.sink.ip, destinationPort: addresses.sink.tcpPort, canary },
  }),
};

/**
 * Mesh: `frontend → api:8080 GET /admin/…`. The CNI policies allow frontend → api:8080; the mesh's explicit DENY on
 * /admin (at api's sidecar, or at the waypoint in ambient) refuses it with 403.
 */
const MESH_PROBE: ExecLayerProbe = {
  method: 'exec',
  group: 'mesh',
  id: 'layer-mesh',
  name: `frontend → api:${SCENE.workloads.api.port} GET ${ADMIN_PROBE_PATH} (mesh DENY /admin)`,
  because: 'the CNI allows frontend → api; only the mesh AuthorizationPolicy denies /admin',
  pod: (tail) => {
    const { frontend } = SCENE.workloads;
    return labelled(pod(`bm-scene-layer-mesh-${tail}`, SCENE.namespaces.app).serviceAccountName(frontend.serviceAccount).label(SCENE.appLabel, frontend.name), 'layer-mesh');
  },
  plan: (probePod, canary) => {
    const host = serviceHost('api');
    const port = SCENE.workloads.api.port;
    return {
      pod: probePod,
      script: 'http-probe.sh',
      env: { ...baseEnv(canary), TARGET_URL: `http://${host}:${port}${ADMIN_PROBE_PATH}` },
      placement: 'exec',
      flow: { protocol: 'http', destinationName: host, destinationPort: port, canary },
    };
  },
};

/** Admission (hardened set): a bm-app pod running as the proxy's UID 1337, which the ValidatingAdmissionPolicy refuses. */
const ADMISSION_PROBE: AdmissionLayerProbe = {
  method: 'admission',
  group: 'admission',
  id: 'layer-admission',
  name: `pod in ${SCENE.namespaces.app} with runAsUser ${SCENE.proxyUid} (admission policy)`,
  because: 'only the admission policy refuses a pod; network layers never see its creation',
  pod: (tail) => labelled(intruderPod({ name: `bm-scene-layer-admission-${tail}` }).runAsUser(SCENE.proxyUid), 'layer-admission'),
};

const PROBES: Readonly<Record<PolicyGroup, LayerProbe>> = { admission: ADMISSION_PROBE, cni: CNI_PROBE, mesh: MESH_PROBE };

/** The probe that `group` alone decides. */
export function layerProbe(group: PolicyGroup): LayerProbe {
  return PROBES[group];
}

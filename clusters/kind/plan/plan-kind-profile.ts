import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { KubeObject } from '../../../core/domain/cluster.ts';
import { BadInputError } from '../../../core/domain/errors.ts';
import { stackProfileId, type Profile } from '../../../core/domain/profile.ts';
import { SCENE } from '../../../manifests/scene.ts';
import { imageTag, versionSetNameFor, type KindPins } from '../pins-tools.ts';
import { kindClusterName } from './cluster-name.ts';
import { corednsForwardingPart } from './coredns-forwarding.ts';
import type { InstallerContext } from './installer-context.ts';
import { calicoInstaller } from './installers/calico.ts';
import { ciliumInstaller } from './installers/cilium.ts';
import { flannelInstaller } from './installers/flannel.ts';
import { nodeNamesOf } from './node-names.ts';
import { concat } from './concat-parts.ts';
import { canSavePlatform } from '../docker-version.ts';
import { istioAmbientInstaller } from './installers/istio-ambient.ts';
import { istioSidecarInstaller } from './installers/istio-sidecar.ts';
import { CONTAINERD_CERTS_DIR, buildKindConfig } from './kind-config.ts';
import type { ContainerStep, InstallerPart, KindPlan, PlanStep } from './plan-types.ts';
import { rolloutWait } from './wait-steps.ts';

/** Stands in for the sink's address until the sink container runs; the provider re-plans with the real one. */
export const SINK_IP_PLACEHOLDER = '192.0.2.1';

export const REGISTRY_CACHE_NAME = 'bm-registry-cache';
const REGISTRY_CACHE_PORT = 5000;

export const DEFAULT_REPO_DIR = fileURLToPath(new URL('../../../', import.meta.url));

/** The scene and its layered policies, from manifests/ (buildScene / buildPolicySet), in apply order. */
export interface SceneObjects {
  readonly scene: readonly KubeObject[];
  readonly policies: readonly KubeObject[];
}

export interface KindPlanOptions {
  readonly runId: string;
  /** The sink container's IP on the `kind` network; absent when planning without Docker. */
  readonly sinkIp?: string;
  readonly registryCache?: boolean;
  /** Where attack-pods/ lives (image build contexts). */
  readonly repoDir?: string;
  readonly scene?: SceneObjects;
  /** Plan against this existing cluster (`--reuse`) instead of `bm-<run id>-<profile>`. */
  readonly clusterName?: string;
  /** The nodes' platform, for saving one platform of a multi-platform image (default linux/amd64, the CI runners'). */
  readonly nodePlatform?: string;
  /** The Docker engine version (`docker version` Server.Version); decides how the Cilium image is preloaded. Unknown: as for an old engine. */
  readonly dockerServerVersion?: string;
}

export const KUBECONFIG_FILE = 'kubeconfig';

function runLabels(runId: string): Record<string, string> {
  return { [SCENE.managedByLabel.key]: SCENE.managedByLabel.value, [SCENE.runIdLabel]: runId };
}

function clusterPart(context: InstallerContext, nodeImage: string, registryCache: boolean): InstallerPart {
  const config = buildKindConfig(context.profile, context.clusterName, nodeImage, { registryCache });
  return {
    files: [{ path: 'kind-config.yaml', content: stringify(config) }],
    steps: [
      {
        kind: 'exec',
        phase: 'cluster',
        component: 'kind',
        tool: 'kind',
        args: ['create', 'cluster', '--name', context.clusterName, '--config', 'kind-config.yaml', '--kubeconfig', context.kubeconfig],
      },
    ],
  };
}

/**
 * Build the harness images and load them into every node (the nodes cannot pull `:dev` tags): the attacker,
 * and the sink image, which also runs the scene's workload server.
 */
function imagesPart(context: InstallerContext, repoDir: string, platform: string, dockerServerVersion: string | undefined): InstallerPart {
  const exec = (tool: 'docker' | 'kind', args: string[]): PlanStep => ({ kind: 'exec', phase: 'side-containers', component: 'images', tool, args });
  const steps: PlanStep[] = [
    // The sink's Dockerfile copies from attack-pods/sink and attack-pods/workload-server: the context is the repository.
    exec('docker', ['build', '--tag', SCENE.sinkImage, '--file', join(repoDir, 'attack-pods/sink/Dockerfile'), repoDir]),
    exec('docker', ['build', '--tag', SCENE.attackerImage, join(repoDir, 'attack-pods/attacker')]),
    exec('kind', ['load', 'docker-image', SCENE.attackerImage, SCENE.sinkImage, '--name', context.clusterName]),
  ];
  const cilium = context.pins.images.cilium;
  if (context.profile.cni === 'cilium' && cilium !== undefined && imageTag(cilium) === `v${context.profile.versions.cilium}`) {
    if (canSavePlatform(dockerServerVersion)) {
      // `kind load docker-image` fails on multi-platform images; save one platform to an archive instead.
      const archive = 'cilium-image.tar';
      steps.push(
        exec('docker', ['pull', '--platform', platform, cilium]),
        exec('docker', ['image', 'save', '--platform', platform, '--output', archive, cilium]),
        exec('kind', ['load', 'image-archive', archive, '--name', context.clusterName]),
      );
    } else {
      // Docker before 28 has no `image save --platform`: each node's containerd pulls the pinned digest itself.
      for (const node of nodeNames(context)) steps.push(exec('docker', ['exec', node, 'crictl', 'pull', cilium]));
    }
  }
  return { files: [], steps };
}

/** kind's node container names (clusters/kind/plan/node-names.ts). */
export const nodeNames = nodeNamesOf;

/**
 * The link-local metadata address (EG7) answered by the sink: each node DNATs 169.254.169.254:80 to it, the
 * way a cloud's metadata service is reached from pods through the node. Whether the CNI lets the pod get
 * that far is what EG7 measures. Pod traffic enters the node's nat table through PREROUTING; host-network pods
 * and node processes originate locally and pass through OUTPUT instead, so the rule goes in both chains.
 */
function metadataPart(context: InstallerContext, sinkIp: string): InstallerPart {
  const { ip, port } = SCENE.metadata;
  const rule = (chain: 'PREROUTING' | 'OUTPUT'): string[] =>
    ['iptables', '-t', 'nat', '-I', chain, '-d', `${ip}/32`, '-p', 'tcp', '--dport', String(port), '-j', 'DNAT', '--to-destination', `${sinkIp}:${port}`];
  return {
    files: [],
    steps: nodeNames(context).flatMap((node) =>
      (['PREROUTING', 'OUTPUT'] as const).map((chain): PlanStep => ({ kind: 'exec', phase: 'stack', component: 'metadata', tool: 'docker', args: ['exec', node, ...rule(chain)] })),
    ),
  };
}

function sidePart(context: InstallerContext, runId: string, registryCache: boolean): InstallerPart {
  const sink: ContainerStep = {
    kind: 'container',
    phase: 'side-containers',
    component: 'sink',
    name: `${context.clusterName}-sink`,
    image: SCENE.sinkImage,
    network: 'kind',
    labels: runLabels(runId),
    env: {},
    // The same sink also emulates the cloud metadata endpoint (EG7); the nodes DNAT 169.254.169.254 to it.
    command: ['python3', '/opt/breachmatrix/sink.py', '--bind', '0.0.0.0', '--metadata-port', String(SCENE.metadata.port)],
    reuse: false,
  };
  if (!registryCache) return { files: [], steps: [sink] };
  const cache: ContainerStep = {
    kind: 'container',
    phase: 'side-containers',
    component: 'registry-cache',
    name: REGISTRY_CACHE_NAME,
    image: context.pins.images.registryCache,
    network: 'kind',
    labels: { [SCENE.managedByLabel.key]: SCENE.managedByLabel.value },
    env: { REGISTRY_PROXY_REMOTEURL: 'https://registry-1.docker.io' },
    command: [],
    reuse: true,
  };
  // containerd on every node asks the cache first for docker.io (hosts.toml beside config_path).
  const hostsToml = `server = "https://registry-1.docker.io"\n\n[host."http://${REGISTRY_CACHE_NAME}:${REGISTRY_CACHE_PORT}"]\n  capabilities = ["pull", "resolve"]\n`;
  const configure: PlanStep[] = nodeNames(context).map((node) => ({
    kind: 'exec',
    phase: 'side-containers',
    component: 'registry-cache',
    tool: 'docker',
    args: ['exec', node, 'sh', '-c', `mkdir -p ${CONTAINERD_CERTS_DIR}/docker.io && cat > ${CONTAINERD_CERTS_DIR}/docker.io/hosts.toml <<'EOF'\n${hostsToml}EOF`],
  }));
  return { files: [], steps: [cache, ...configure, sink] };
}

function cniPart(context: InstallerContext, nodePlatform: string): InstallerPart {
  switch (context.profile.cni) {
    case 'calico':
      return calicoInstaller(context);
    case 'cilium':
      return ciliumInstaller(context);
    case 'flannel':
      return flannelInstaller(context, nodePlatform);
    case 'kindnet':
      return { files: [], steps: [] };
  }
}

function meshPart(context: InstallerContext): InstallerPart {
  switch (context.profile.mesh) {
    case 'istio-sidecar':
      return istioSidecarInstaller(context);
    case 'istio-ambient':
      return istioAmbientInstaller(context);
    case 'none':
      return { files: [], steps: [] };
  }
}

/** Scene and policies (rendered by manifests/), written for `breachmatrix plan`; the runner applies them itself. */
function scenePart(scene: SceneObjects | undefined): InstallerPart {
  if (scene === undefined) return { files: [], steps: [] };
  const yamlOf = (objects: readonly KubeObject[]): string => objects.map((object) => stringify(object)).join('---\n');
  const layers = [
    { component: 'scene', file: 'manifests/scene.yaml', objects: scene.scene },
    { component: 'policies', file: 'manifests/policies.yaml', objects: scene.policies },
  ] as const;
  const present = layers.filter((layer) => layer.objects.length > 0);
  return {
    files: present.map((layer) => ({ path: layer.file, content: yamlOf(layer.objects) })),
    steps: present.map((layer) => ({ kind: 'apply', phase: 'scene', component: layer.component, file: layer.file, objects: layer.objects, force: false })),
  };
}

/**
 * Everything needed to bring one profile up on kind, as data: the files (kind config, Helm values, manifests)
 * and the ordered steps. Pure: no Docker, no cluster, no network — `breachmatrix plan` writes it, the kind
 * provider executes it.
 */
export function planKindProfile(profile: Profile, pins: KindPins, options: KindPlanOptions): KindPlan {
  if (profile.lab !== undefined) {
    throw new BadInputError(`profile ${profile.id} is a lab stack`, 'kind plan', 'the kind profiles of clusters/profiles.yaml');
  }
  const versionSet = versionSetNameFor(pins, stackProfileId(profile.id));
  const versions = pins.versionSets[versionSet];
  const nodeImage = pins.nodeImages[versionSet];
  if (versions === undefined || nodeImage === undefined) throw new BadInputError(`version set "${versionSet}" is incomplete`, pins.file);
  const clusterName = options.clusterName ?? kindClusterName(options.runId, profile.id);
  const context: InstallerContext = { profile, pins, versions, clusterName, kubeconfig: KUBECONFIG_FILE };
  const registryCache = options.registryCache ?? false;
  const nodePlatform = options.nodePlatform ?? 'linux/amd64';
  const all = concat(
    clusterPart(context, nodeImage, registryCache),
    imagesPart(context, options.repoDir ?? DEFAULT_REPO_DIR, nodePlatform, options.dockerServerVersion),
    sidePart(context, options.runId, registryCache),
    cniPart(context, nodePlatform),
    corednsForwardingPart(options.sinkIp ?? SINK_IP_PLACEHOLDER),
    metadataPart(context, options.sinkIp ?? SINK_IP_PLACEHOLDER),
    meshPart(context),
    scenePart(options.scene),
  );
  return { profile, versionSet, clusterName, nodeImage, kubeconfig: KUBECONFIG_FILE, files: all.files, steps: all.steps };
}

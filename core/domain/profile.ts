/**
 * A profile is one stack under test: a CNI × a service mesh × pinned versions × options, with a stable id
 * such as `cilium+istio-ambient`. Kind/kubeconfig profiles use the real CNIs; lab stacks (`lab:*`) are the
 * real-kernel stand-in and say so in every report.
 */
export const CNIS = ['kindnet', 'calico', 'cilium', 'flannel'] as const;
export type Cni = (typeof CNIS)[number];

/**
 * CNIs with a NetworkPolicy engine. flannel has none ("the `flanneld` binary does not natively enforce Network
 * Policies", https://github.com/flannel-io/flannel/blob/v0.28.9/README.md; the kube-flannel.yml the kind plan applies
 * deploys no policy controller): the layered set's NetworkPolicies are applied, accepted, and enforced by nothing.
 */
export function cniEnforcesNetworkPolicy(cni: Cni): boolean {
  return cni !== 'flannel';
}

export const MESHES = ['none', 'istio-sidecar', 'istio-ambient'] as const;
export type Mesh = (typeof MESHES)[number];

export const PROVIDERS = ['kind', 'lab', 'kubeconfig'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/** Lab stacks model a subset of layers; see clusters/lab. */
export const LAB_STACKS = ['lab:none', 'lab:netpol', 'lab:sidecar', 'lab:netpol+sidecar', 'lab:ambient'] as const;
export type LabStackId = (typeof LAB_STACKS)[number];

/**
 * Which part of the layered policy set the harness applies. `layered`: every layer the stack has;
 * `mesh-only`: mesh policies but no NetworkPolicy (the "Istio only" columns — kindnet would otherwise enforce
 * NetworkPolicy too); `none`: the "no policy" baseline. Namespace PSA labels are part of the scene, always on.
 */
export const POLICY_SETS = ['layered', 'mesh-only', 'none'] as const;
export type PolicySet = (typeof POLICY_SETS)[number];

/**
 * How strong the applied policy set is (`--policy-set`): `baseline` — a typical set-up (NetworkPolicy, STRICT mTLS,
 * PSA baseline); `hardened` — adds each layer's strongest documented controls (ValidatingAdmissionPolicy…).
 * A hardened column's profile id carries HARDENED_ID_SUFFIX so reports, `diff` and merges keep the two apart.
 */
export const POLICY_STRENGTHS = ['baseline', 'hardened'] as const;
export type PolicyStrength = (typeof POLICY_STRENGTHS)[number];
export const HARDENED_ID_SUFFIX = '+hardened';

/**
 * The profile as measured under a policy strength: baseline is unchanged, hardened gets the id suffix and, on mesh
 * stacks, the path normalisation Istio's security best practices recommend (DECODE_AND_MERGE_SLASHES,
 * https://istio.io/latest/docs/ops/best-practices/security/): the lab sidecar applies it, kind renders it into istiod's
 * meshConfig (sidecars and waypoints read it).
 */
export function withPolicyStrength(profile: Profile, strength: PolicyStrength): Profile {
  if (strength === 'baseline') return profile;
  // Lab ambient has no waypoint model yet, so nothing there would read it.
  const normalises = profile.mesh === 'istio-sidecar' || (profile.lab === undefined && profile.mesh === 'istio-ambient');
  const pathNormalization: PathNormalization = normalises ? 'DECODE_AND_MERGE_SLASHES' : profile.options.pathNormalization;
  return { ...profile, id: `${profile.id}${HARDENED_ID_SUFFIX}`, options: { ...profile.options, strength, pathNormalization } };
}

/** The profile id without the policy-strength suffix (version sets and cluster names are about the stack). */
export function stackProfileId(profileId: string): string {
  return profileId.endsWith(HARDENED_ID_SUFFIX) ? profileId.slice(0, -HARDENED_ID_SUFFIX.length) : profileId;
}

/**
 * Istio's `meshConfig.pathNormalization` (https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/):
 * how the proxy normalises a request path before AuthorizationPolicy `paths` are matched. `BASE` is Istio's default.
 */
export const PATH_NORMALIZATIONS = ['NONE', 'BASE', 'MERGE_SLASHES', 'DECODE_AND_MERGE_SLASHES'] as const;
export type PathNormalization = (typeof PATH_NORMALIZATIONS)[number];

/**
 * Transparent encryption at the CNI: `wireguard` is Cilium's `encryption.type: wireguard` or Calico's Felix
 * `wireguardEnabled`; kindnet has none. Encrypts node-to-node pod traffic only (same-node packets stay plaintext).
 */
export const ENCRYPTIONS = ['none', 'wireguard'] as const;
export type Encryption = (typeof ENCRYPTIONS)[number];

export interface ComponentVersions {
  readonly kubernetes: string;
  readonly kind?: string;
  readonly calico?: string;
  readonly cilium?: string;
  readonly flannel?: string;
  readonly istio?: string;
  readonly gatewayApi?: string;
}

export interface ProfileOptions {
  /** Cilium: replace kube-proxy with eBPF. */
  readonly kubeProxyReplacement: boolean;
  /** Istio sidecar: use istio-cni instead of the privileged istio-init container. */
  readonly istioCni: boolean;
  /** Lower resource requests for istiod/ztunnel on small machines. */
  readonly smallFootprint: boolean;
  /** Number of worker nodes (cross-node attacks need two). */
  readonly workers: number;
  /** Which policy set to apply. */
  readonly policy: PolicySet;
  /** `--policy-set`: baseline or hardened. */
  readonly strength: PolicyStrength;
  /**
   * The mesh's `meshConfig.pathNormalization`. Kind profiles install Istio's default (`BASE`) and cannot change it;
   * lab stacks set it per stack (core/config/profiles-config.ts).
   */
  readonly pathNormalization: PathNormalization;
  /** The CNI's transparent encryption between nodes (part of the profile id: `<cni>-wireguard`). */
  readonly encryption: Encryption;
}

export interface Profile {
  /** Stable id: `<cni>` or `<cni>+<mesh>`; kindnet with a mesh is just `<mesh>` (e.g. `istio-sidecar`); lab stacks `lab:*`. */
  readonly id: string;
  readonly cni: Cni;
  readonly mesh: Mesh;
  readonly versions: ComponentVersions;
  readonly options: ProfileOptions;
  /** Set only for lab stacks. */
  readonly lab?: LabStackId;
}

export const DEFAULT_PROFILE_OPTIONS: ProfileOptions = {
  kubeProxyReplacement: false,
  istioCni: true,
  smallFootprint: true,
  workers: 2,
  policy: 'layered',
  strength: 'baseline',
  pathNormalization: 'BASE',
  encryption: 'none',
};

export function profileId(cni: Cni, mesh: Mesh, encryption: Encryption = 'none'): string {
  const network = encryption === 'none' ? cni : `${cni}-${encryption}`;
  if (mesh === 'none') return network;
  return network === 'kindnet' ? mesh : `${network}+${mesh}`;
}

/** What attack expectations and applicability look at: the layers a stack has, not how it is provisioned. */
export interface StackTraits {
  readonly profileId: string;
  readonly cni: Cni;
  readonly mesh: Mesh;
  readonly policy: PolicySet;
  /** `--policy-set`: the hardened set adds each layer's strongest documented controls. */
  readonly strength: PolicyStrength;
  /** True on lab stacks: the layers are the lab's models of the real ones. */
  readonly isLab: boolean;
  /** NetworkPolicy (and the CNI's own policy kinds) is applied and enforced (flannel: applied, never enforced). */
  readonly enforcesNetworkPolicy: boolean;
  /** Mesh policies (PeerAuthentication, AuthorizationPolicy, outboundTrafficPolicy) are applied. */
  readonly meshPolicies: boolean;
  /** Sidecar capture is set up by istio-cni (true) or by the privileged istio-init container (false). */
  readonly istioCni: boolean;
  /** The mesh's `meshConfig.pathNormalization` (meaningless without a mesh). */
  readonly pathNormalization: PathNormalization;
  /** The CNI encrypts pod traffic between nodes. */
  readonly encryption: Encryption;
  readonly versions: ComponentVersions;
}

export function stackTraits(profile: Profile): StackTraits {
  const lab = profile.lab;
  return {
    profileId: profile.id,
    cni: profile.cni,
    mesh: profile.mesh,
    policy: profile.options.policy,
    strength: profile.options.strength,
    isLab: lab !== undefined,
    meshPolicies: profile.mesh !== 'none' && profile.options.policy !== 'none',
    istioCni: profile.options.istioCni,
    pathNormalization: profile.options.pathNormalization,
    encryption: profile.options.encryption,
    enforcesNetworkPolicy: profile.options.policy === 'layered' && cniEnforcesNetworkPolicy(profile.cni),
    versions: profile.versions,
  };
}

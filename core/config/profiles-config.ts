import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { BadInputError } from '../domain/errors.ts';
import {
  CNIS,
  DEFAULT_PROFILE_OPTIONS,
  ENCRYPTIONS,
  LAB_STACKS,
  MESHES,
  POLICY_SETS,
  profileId,
  type Cni,
  type LabStackId,
  type PathNormalization,
  type PolicySet,
  type Profile,
} from '../domain/profile.ts';
import { loadPins, parseYaml, type Pins } from './pins.ts';
import { badInputFromZod } from './zod-issues.ts';

export const DEFAULT_PROFILES_FILE = fileURLToPath(new URL('../../clusters/profiles.yaml', import.meta.url));

const optionsSchema = z.strictObject({
  kubeProxyReplacement: z.boolean().optional(),
  istioCni: z.boolean().optional(),
  smallFootprint: z.boolean().optional(),
  workers: z.int().min(1).max(4).optional(),
  policy: z.enum(POLICY_SETS).optional(),
  encryption: z.enum(ENCRYPTIONS).optional(),
});

const profileEntrySchema = z.strictObject({
  cni: z.enum(CNIS),
  mesh: z.enum(MESHES),
  versionSet: z.string().optional(),
  options: optionsSchema.optional(),
});

const profilesFileSchema = z.strictObject({
  defaults: z
    .strictObject({
      versionSet: z.string().optional(),
      options: optionsSchema.optional(),
    })
    .optional(),
  profiles: z.array(profileEntrySchema).min(1),
});

/** CNIs with WireGuard the kind plan turns on: Cilium `encryption.type: wireguard`, Calico Felix `wireguardEnabled`. */
const ENCRYPTING_CNIS: readonly Cni[] = ['cilium', 'calico'];

function flannelVersion(version: string | undefined, setName: string, file: string, index: number): string {
  if (version === undefined) {
    throw new BadInputError(`version set "${setName}" pins no flannel`, `${file}: profiles[${index}]`, 'a `flannel:` release tag in that version set of clusters/pins.yaml');
  }
  return version;
}

export interface ProfileCatalog {
  readonly file: string;
  readonly profiles: readonly Profile[];
}

/** Validate a parsed profiles document against the pins; every problem is a BadInputError naming the field. */
export function buildProfileCatalog(file: string, document: unknown, pins: Pins): ProfileCatalog {
  const parsed = profilesFileSchema.safeParse(document, { reportInput: true });
  if (!parsed.success) throw badInputFromZod(file, parsed.error);
  const knownSets = Object.keys(pins.versionSets);
  const profiles: Profile[] = [];
  const seen = new Set<string>();
  parsed.data.profiles.forEach((entry, index) => {
    const setName = entry.versionSet ?? parsed.data.defaults?.versionSet ?? 'pinned';
    const versions = pins.versionSets[setName];
    if (versions === undefined) {
      throw new BadInputError(`unknown version set "${setName}"`, `${file}: profiles[${index}].versionSet`, knownSets.join(', '));
    }
    const options = { ...DEFAULT_PROFILE_OPTIONS, ...parsed.data.defaults?.options, ...entry.options };
    if (options.encryption !== 'none' && !ENCRYPTING_CNIS.includes(entry.cni)) {
      // kindnet and flannel have no transparent encryption this harness can switch on (flannel's WireGuard backend is
      // a different network, not an option on top of its vxlan one).
      throw new BadInputError(
        `${entry.cni} with encryption "${options.encryption}" is not supported`,
        `${file}: profiles[${index}].options.encryption`,
        `none on any CNI; wireguard on ${ENCRYPTING_CNIS.join(' or ')}`,
      );
    }
    const id = profileId(entry.cni, entry.mesh, options.encryption) + (setName === 'pinned' ? '' : `@${setName}`);
    if (seen.has(id)) throw new BadInputError(`duplicate profile "${id}"`, `${file}: profiles[${index}]`);
    seen.add(id);
    profiles.push({
      id,
      cni: entry.cni,
      mesh: entry.mesh,
      versions: {
        kubernetes: versions.kubernetes,
        kind: versions.kind,
        ...(entry.cni === 'calico' ? { calico: versions.calico } : {}),
        ...(entry.cni === 'cilium' ? { cilium: versions.cilium } : {}),
        ...(entry.cni === 'flannel' ? { flannel: flannelVersion(versions.flannel, setName, file, index) } : {}),
        ...(entry.mesh === 'none' ? {} : { istio: versions.istio }),
        ...(entry.mesh === 'istio-ambient' ? { gatewayApi: versions.gatewayApi } : {}),
      },
      options,
    });
  });
  return { file, profiles };
}

export async function loadProfileCatalog(file: string = DEFAULT_PROFILES_FILE, pinsFile?: string): Promise<ProfileCatalog> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new BadInputError(`cannot read profiles file (${(error as Error).message})`, file);
  }
  const pins = await loadPins(pinsFile);
  return buildProfileCatalog(file, parseYaml(file, text), pins);
}

const LAB_POLICY: Readonly<Record<LabStackId, PolicySet>> = {
  'lab:none': 'none',
  'lab:netpol': 'layered',
  'lab:sidecar': 'mesh-only',
  'lab:netpol+sidecar': 'layered',
  'lab:ambient': 'mesh-only',
};

/**
 * `meshConfig.pathNormalization` per lab stack, so SC10 is measured under both: `lab:sidecar` keeps Istio's default
 * (`BASE`, what the kind profiles install), `lab:netpol+sidecar` runs the scene's hardened choice, the strictest mode
 * istio.io's security best practices describe (`DECODE_AND_MERGE_SLASHES`). Stacks without a sidecar carry the default.
 */
const LAB_PATH_NORMALIZATION: Readonly<Record<LabStackId, PathNormalization>> = {
  'lab:none': 'BASE',
  'lab:netpol': 'BASE',
  'lab:sidecar': 'BASE',
  'lab:netpol+sidecar': 'DECODE_AND_MERGE_SLASHES',
  'lab:ambient': 'BASE',
};

/** Lab stacks are built in: the lab models its layers itself and has no versions to pin. */
export function labProfiles(): readonly Profile[] {
  return LAB_STACKS.map((lab: LabStackId): Profile => {
    const sidecar = lab.includes('sidecar');
    const ambient = lab === 'lab:ambient';
    return {
      id: lab,
      cni: 'kindnet',
      mesh: sidecar ? 'istio-sidecar' : ambient ? 'istio-ambient' : 'none',
      versions: { kubernetes: 'lab' },
      options: { ...DEFAULT_PROFILE_OPTIONS, policy: LAB_POLICY[lab], pathNormalization: LAB_PATH_NORMALIZATION[lab] },
      lab,
    };
  });
}

/** Select profiles by id; an unknown id is bad input naming the known ones. */
export function selectProfiles(all: readonly Profile[], ids: readonly string[], where: string): readonly Profile[] {
  if (ids.length === 0) return all;
  return ids.map((id) => {
    const found = all.find((profile) => profile.id === id);
    if (found === undefined) throw new BadInputError(`unknown profile "${id}"`, where, all.map((profile) => profile.id).join(', '));
    return found;
  });
}

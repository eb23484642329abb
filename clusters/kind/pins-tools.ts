import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { DEFAULT_PINS_FILE, parseYaml, pinsSchema, type VersionSet } from '../../core/config/pins.ts';
import { badInputFromZod } from '../../core/config/zod-issues.ts';
import { BadInputError } from '../../core/domain/errors.ts';

const sha256 = z.string().regex(/^[a-f0-9]{64}$/, 'expected 64 lowercase hex characters (SHA-256)');
const digestRef = z
  .string()
  .regex(/^[a-z0-9.-]+(?::\d+)?(?:\/[a-z0-9._-]+)*:[\w.-]+@sha256:[a-f0-9]{64}$/, 'expected name:tag@sha256:<digest>');
const platformKey = z.string().regex(/^(linux|darwin)-(amd64|arm64)$/, 'expected <os>-<arch>, e.g. linux-amd64');

const toolPlatformSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }),
  sha256,
  /** Path of the binary inside the archive (archives only). */
  member: z.string().min(1).optional(),
});

const toolSchema = z
  .strictObject({
    version: z.string().regex(/^v\d+\.\d+\.\d+$/),
    archive: z.enum(['none', 'tar.gz']),
    platforms: z.record(platformKey, toolPlatformSchema),
  })
  .refine(
    (tool) => tool.archive === 'none' || Object.values(tool.platforms).every((platform) => platform.member !== undefined),
    { message: 'every platform of an archived tool needs `member` (the binary path inside the archive)' },
  );

const chartSchema = z.strictObject({ repo: z.url(), chart: z.string().min(1).optional() });

/** The sections of clusters/pins.yaml the kind provider reads (versionSets is validated by core/config/pins.ts). */
const kindPinsSchema = z.looseObject({
  nodeImages: z.record(z.string(), digestRef),
  tools: z.strictObject({ kind: toolSchema, helm: toolSchema }),
  charts: z.strictObject({ cilium: chartSchema, calico: chartSchema, istio: chartSchema }),
  images: z.strictObject({ registryCache: digestRef, cilium: digestRef.optional() }),
  /** containernetworking/plugins, for the `bridge` plugin flannel delegates to (kindest/node lacks it). */
  cniPlugins: toolSchema.optional(),
});

export type ToolName = 'kind' | 'helm';
export type ToolPin = z.infer<typeof toolSchema>;
export type ToolPlatformPin = z.infer<typeof toolPlatformSchema>;

export interface KindPins {
  readonly file: string;
  readonly versionSets: Readonly<Record<string, VersionSet>>;
  readonly nodeImages: Readonly<Record<string, string>>;
  readonly tools: Readonly<Record<ToolName, ToolPin>>;
  readonly charts: z.infer<typeof kindPinsSchema>['charts'];
  readonly images: z.infer<typeof kindPinsSchema>['images'];
  readonly cniPlugins?: ToolPin;
}

/** Validate a parsed pins document: the shared version sets plus the kind sections; every version set needs a node image. */
export function buildKindPins(file: string, document: unknown): KindPins {
  const base = pinsSchema.safeParse(document);
  if (!base.success) throw badInputFromZod(file, base.error);
  const parsed = kindPinsSchema.safeParse(document);
  if (!parsed.success) throw badInputFromZod(file, parsed.error);
  for (const [setName, versions] of Object.entries(base.data.versionSets)) {
    const image = parsed.data.nodeImages[setName];
    if (image === undefined) {
      throw new BadInputError(`version set "${setName}" has no node image`, `${file}: nodeImages`, 'kindest/node:<k8s>@sha256:<digest>');
    }
    const tag = imageTag(image);
    if (tag !== versions.kubernetes) {
      throw new BadInputError(
        `node image tag ${tag} does not match kubernetes ${versions.kubernetes} of the version set`,
        `${file}: nodeImages.${setName}`,
      );
    }
  }
  return { file, versionSets: base.data.versionSets, ...parsed.data };
}

export async function loadKindPins(file: string = DEFAULT_PINS_FILE): Promise<KindPins> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new BadInputError(`cannot read pins file (${(error as Error).message})`, file);
  }
  return buildKindPins(file, parseYaml(file, text));
}

/** The tag of a `name:tag@sha256:…` reference (the registry host may carry a port, so the last `:` before `@`). */
export function imageTag(reference: string): string {
  const name = reference.split('@')[0] ?? reference;
  return name.slice(name.lastIndexOf(':') + 1);
}

/** The Go-style platform key of this machine (`linux-amd64`), as the pins file names platforms. */
export function currentPlatform(platform: NodeJS.Platform = process.platform, arch: string = process.arch): string {
  const goArch = arch === 'x64' ? 'amd64' : arch;
  return `${platform}-${goArch}`;
}

/** The version set a profile uses, found by its versions (profiles carry versions, not the set name). */
export function versionSetNameFor(pins: KindPins, profileId: string): string {
  const at = profileId.indexOf('@');
  const name = at === -1 ? 'pinned' : profileId.slice(at + 1);
  if (pins.versionSets[name] === undefined) {
    throw new BadInputError(`unknown version set "${name}"`, `profile ${profileId}`, Object.keys(pins.versionSets).join(', '));
  }
  return name;
}

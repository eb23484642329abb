import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { BadInputError } from '../domain/errors.ts';
import { CNIS, MESHES, type Profile } from '../domain/profile.ts';
import { parseYaml } from './pins.ts';
import { badInputFromZod } from './zod-issues.ts';

export const DEFAULT_ESTIMATES_FILE = fileURLToPath(new URL('../../clusters/estimates.yaml', import.meta.url));

const mib = z.int().min(0).max(1024 * 1024);
const part = z.strictObject({ memoryMiB: mib, diskMiB: mib });

const estimatesSchema = z.strictObject({
  cluster: z.strictObject({ controlPlaneMiB: mib, perWorkerMiB: mib, diskMiB: mib }),
  cni: z.strictObject(Object.fromEntries(CNIS.map((cni) => [cni, part])) as Record<(typeof CNIS)[number], typeof part>),
  mesh: z.strictObject(Object.fromEntries(MESHES.map((mesh) => [mesh, part])) as Record<(typeof MESHES)[number], typeof part>),
});
export type ResourceEstimates = z.infer<typeof estimatesSchema>;

export interface ProfileEstimate {
  readonly profileId: string;
  readonly memoryBytes: number;
  readonly diskBytes: number;
}

const MIB = 1024 ** 2;

/** Memory and disk one kind profile needs, composed from clusters/estimates.yaml (see the formula there). */
export function estimateFor(profile: Profile, estimates: ResourceEstimates): ProfileEstimate {
  const cni = estimates.cni[profile.cni];
  const mesh = estimates.mesh[profile.mesh];
  const memoryMiB = estimates.cluster.controlPlaneMiB + profile.options.workers * estimates.cluster.perWorkerMiB + cni.memoryMiB + mesh.memoryMiB;
  const diskMiB = estimates.cluster.diskMiB + cni.diskMiB + mesh.diskMiB;
  return { profileId: profile.id, memoryBytes: memoryMiB * MIB, diskBytes: diskMiB * MIB };
}

export function buildEstimates(file: string, document: unknown): ResourceEstimates {
  const parsed = estimatesSchema.safeParse(document, { reportInput: true });
  if (!parsed.success) throw badInputFromZod(file, parsed.error);
  return parsed.data;
}

export async function loadEstimates(file: string = DEFAULT_ESTIMATES_FILE): Promise<ResourceEstimates> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new BadInputError(`cannot read estimates file (${(error as Error).message})`, file);
  }
  return buildEstimates(file, parseYaml(file, text));
}

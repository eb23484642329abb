import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import { BadInputError } from '../domain/errors.ts';
import { badInputFromZod } from './zod-issues.ts';

export const DEFAULT_PINS_FILE = fileURLToPath(new URL('../../clusters/pins.yaml', import.meta.url));

const semverish = z.string().regex(/^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/, 'expected a version like v1.2.3');

export const versionSetSchema = z.strictObject({
  kind: semverish,
  kubernetes: semverish,
  calico: semverish,
  cilium: semverish,
  /** flannel profiles only: the release tag whose manifest is vendored (clusters/kind/manifests/flannel/<tag>/). */
  flannel: semverish.optional(),
  istio: semverish,
  gatewayApi: semverish,
});
export type VersionSet = z.infer<typeof versionSetSchema>;

/** The pins file. Only `versionSets` is read here; providers read their own sections (tools, images). */
export const pinsSchema = z.looseObject({
  versionSets: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), versionSetSchema),
});
export type Pins = z.infer<typeof pinsSchema>;

export async function loadPins(file: string = DEFAULT_PINS_FILE): Promise<Pins> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new BadInputError(`cannot read pins file (${(error as Error).message})`, file);
  }
  const parsed = pinsSchema.safeParse(parseYaml(file, text), { reportInput: true });
  if (!parsed.success) throw badInputFromZod(file, parsed.error);
  return parsed.data;
}

export function parseYaml(file: string, text: string): unknown {
  try {
    return parse(text);
  } catch (error) {
    throw new BadInputError(`not valid YAML: ${(error as Error).message}`, file);
  }
}

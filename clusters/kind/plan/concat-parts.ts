import type { InstallerPart } from './plan-types.ts';

/** Installer parts one after the other: steps in order, files together. */
export function concat(...parts: readonly InstallerPart[]): InstallerPart {
  return { steps: parts.flatMap((part) => part.steps), files: parts.flatMap((part) => part.files) };
}

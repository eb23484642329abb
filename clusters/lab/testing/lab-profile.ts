import { labProfiles } from '../../../core/config/profiles-config.ts';
import type { LabStackId, Profile } from '../../../core/domain/profile.ts';

/** A built-in lab profile for tests and the benchmark: the same one `--provider lab` runs. */
export function labProfile(stack: LabStackId): Profile {
  const profile = labProfiles().find((candidate) => candidate.lab === stack);
  if (profile === undefined) throw new Error(`no built-in lab profile ${stack}`);
  return profile;
}

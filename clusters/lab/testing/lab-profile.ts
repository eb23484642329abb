import { DEFAULT_PROFILE_OPTIONS, type LabStackId, type Profile } from '../../../core/domain/profile.ts';

/** A lab profile for tests and the benchmark (the real ones come from clusters/profiles.yaml). */
export function labProfile(stack: LabStackId): Profile {
  const netpol = stack === 'lab:netpol' || stack === 'lab:netpol+sidecar';
  const mesh = stack.includes('sidecar') ? 'istio-sidecar' : stack === 'lab:ambient' ? 'istio-ambient' : 'none';
  return {
    id: stack,
    cni: 'kindnet',
    mesh,
    versions: { kubernetes: 'lab' },
    options: { ...DEFAULT_PROFILE_OPTIONS, policy: netpol ? 'layered' : mesh === 'none' ? 'none' : 'mesh-only' },
    lab: stack,
  };
}

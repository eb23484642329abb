import { describe, expect, it } from 'vitest';
import { intruderPod, roguePod } from './attacker-pods.ts';

describe('attacker presets', () => {
  it('intruder: bm-app, own service account, attacker image, idle', () => {
    const pod = intruderPod().build();
    expect(pod.metadata).toMatchObject({ name: 'intruder', namespace: 'bm-app', labels: { app: 'intruder' } });
    expect(pod.spec?.serviceAccountName).toBe('intruder');
    expect(pod.spec?.containers[0]?.image).toBe('breachmatrix/attacker:dev');
    expect(pod.spec?.containers[0]?.command).toEqual(['sleep', 'infinity']);
  });

  it('rogue: bm-rogue with its own service account', () => {
    const pod = roguePod().build();
    expect(pod.metadata).toMatchObject({ name: 'rogue', namespace: 'bm-rogue' });
    expect(pod.spec?.serviceAccountName).toBe('rogue');
  });

  it('attacks refine the presets: placement, identity and privileges', () => {
    const pod = intruderPod({ namespace: 'bm-privileged', name: 'intruder-sc2' }).addCapabilities('NET_ADMIN').runAsUser(1337).build();
    expect(pod.metadata).toMatchObject({ name: 'intruder-sc2', namespace: 'bm-privileged' });
    expect(pod.spec?.containers[0]?.securityContext).toEqual({ runAsUser: 1337, capabilities: { add: ['NET_ADMIN'] } });
    const claimant = roguePod({ namespace: 'bm-app' }).serviceAccountName('frontend').label('app', 'frontend').build();
    expect(claimant.spec?.serviceAccountName).toBe('frontend');
    expect(claimant.metadata?.labels?.app).toBe('frontend');
  });
});

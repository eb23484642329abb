import { describe, expect, it } from 'vitest';
import { loadKindProfiles } from '../../../core/config/testing/all-profiles.ts';
import { estimateFor, loadEstimates } from '../../../core/config/estimates.ts';
import { SCENE } from '../../../manifests/scene.ts';
import { TIMEOUTS } from '../../../core/timeouts.ts';
import { loadKindPins } from '../pins-tools.ts';
import { estimateLines, planEstimate } from './plan-estimate.ts';
import { planKindProfile } from './plan-kind-profile.ts';

async function planFor(id: string, options: { dockerServerVersion?: string; registryCache?: boolean } = {}) {
  const profile = (await loadKindProfiles()).find((candidate) => candidate.id === id);
  if (profile === undefined) throw new Error(`no profile ${id}`);
  const pins = await loadKindPins();
  return { pins, plan: planKindProfile(profile, pins, { runId: 'r1a2b3', ...options }) };
}

describe('the estimate a kind plan carries', () => {
  it('memory and disk are the profile\'s figures from clusters/estimates.yaml, the same doctor compares with', async () => {
    const estimates = await loadEstimates();
    for (const id of ['calico', 'cilium+istio-ambient']) {
      const { plan } = await planFor(id);
      const estimate = planEstimate(plan, estimates);
      const expected = estimateFor(plan.profile, estimates);
      expect(estimate.memoryBytes).toBe(expected.memoryBytes);
      expect(estimate.diskBytes).toBe(expected.diskBytes);
    }
    // A changed estimates file changes the plan: nothing is hard-coded here.
    const { plan } = await planFor('calico');
    const heavier = { ...estimates, cni: { ...estimates.cni, calico: { memoryMiB: 10_240, diskMiB: 0 } } };
    expect(planEstimate(plan, heavier).memoryBytes - planEstimate(plan, estimates).memoryBytes).toBe((10_240 - estimates.cni.calico.memoryMiB) * 1024 ** 2);
  });

  it('images: node image and pinned images by digest, harness images built locally, chart defaults honestly "tag only"', async () => {
    const { pins, plan } = await planFor('cilium+istio-ambient', { registryCache: true });
    const images = planEstimate(plan, await loadEstimates()).images;
    const byReference = new Map(images.map((image) => [image.reference, image.pinning]));
    expect(byReference.get(pins.nodeImages['pinned'] ?? '')).toBe('digest');
    expect(byReference.get(pins.images.registryCache)).toBe('digest');
    expect(byReference.get(pins.images.cilium ?? '')).toBe('digest');
    expect(byReference.get(SCENE.sinkImage)).toBe('built locally');
    expect(byReference.get(SCENE.attackerImage)).toBe('built locally');
    expect(byReference.get(`chart cilium ${plan.profile.versions.cilium}`)).toBe('tag only');
    for (const chart of ['base', 'istiod', 'cni', 'ztunnel']) expect(byReference.get(`chart ${chart} ${plan.profile.versions.istio}`)).toBe('tag only');
    // Nothing is called pinned by digest unless it carries one.
    for (const image of images.filter((candidate) => candidate.pinning === 'digest')) expect(image.reference).toMatch(/@sha256:[0-9a-f]{64}$/);
    expect(images.map((image) => image.reference)).toHaveLength(new Set(images.map((image) => image.reference)).size);
  });

  it('time is the sum of the step deadlines, said to be a bound and not a measurement', async () => {
    const { plan } = await planFor('calico');
    const estimate = planEstimate(plan, await loadEstimates());
    const waits = plan.steps.filter((step) => step.kind === 'wait').reduce((sum, step) => sum + (step.kind === 'wait' ? step.timeoutMs : 0), 0);
    const others = plan.steps.filter((step) => step.kind !== 'wait').length - 1;
    expect(estimate.worstCaseMs).toBe(waits + TIMEOUTS.kindCreateMs + others * TIMEOUTS.componentReadyMs);
    const lines = estimateLines(estimate).join('\n');
    expect(lines).toContain('estimates, not yet measured on a real run');
    expect(lines).toContain(`at most ${Math.ceil(estimate.worstCaseMs / 60_000)} min`);
    expect(lines).toMatch(/chart tigera-operator v?[\d.]+ — tag only/);
  });
});

import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadKindProfiles } from '../../../core/config/testing/all-profiles.ts';
import { plan as planCommand } from '../../../core/cli/commands/plan-action.ts';
import { loadKindPins } from '../pins-tools.ts';
import { planKindProfile } from './plan-kind-profile.ts';
import { planPreamble, teardownCommands } from './write-plan.ts';

let out: string;

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'bm-write-plan-'));
});

afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

async function filesNamed(dir: string, name: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile() && entry.name === name).map((entry) => join(entry.parentPath, entry.name));
}

describe('the kind plan as written for a reader', () => {
  it('`breachmatrix plan` writes one steps file per profile, saying where the kind steps run from', async () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await planCommand({ provider: 'kind', profile: ['calico'], attack: ['EG2'], out });
    } finally {
      write.mockRestore();
    }
    const stepsFiles = await filesNamed(out, 'steps.txt');
    expect(stepsFiles).toEqual([join(out, 'calico', 'steps.txt')]);
    const text = await readFile(join(out, 'calico', 'steps.txt'), 'utf8');
    expect(text).toContain(`# run the kind steps from ${join(out, 'calico', 'kind')}/; their paths are relative to it`);
    expect(text).toMatch(/^1\. \[cluster\/kind\] kind create cluster --name bm-plan-calico --config kind-config\.yaml --kubeconfig kubeconfig$/m);
    expect(text).toMatch(/runner: apply scene\.yaml/);
    // Estimates, and every placeholder of the plan explained.
    expect(text).toMatch(/^# estimate \(clusters\/estimates\.yaml; estimates, not yet measured on a real run\): memory [\d.]+ GiB, disk [\d.]+ GiB$/m);
    expect(text).toMatch(/^#   kindest\/node:v[\d.]+@sha256:[0-9a-f]{64} — digest: /m);
    expect(text).toContain('192.0.2.1 (TEST-NET-1, RFC 5737: never routed) stands in for the sink container');
    expect(text).toContain('the run id "plan" in the cluster name stands in for the run\'s own');
    const attackPlan = await readFile(join(out, 'calico', 'attacks', 'EG2.yaml'), 'utf8');
    for (const placeholder of attackPlan.match(/\b(?:192\.0\.2|198\.51\.100|203\.0\.113)\.\d+\b|\bbm0{14}[0-9a-f]{2}\b/g) ?? []) expect(text).toContain(placeholder);
    expect(text).toContain('#   kind delete cluster --name bm-plan-calico');
  });

  it('explains the sink placeholder and gives the teardown commands', async () => {
    const profile = (await loadKindProfiles()).find((candidate) => candidate.id === 'calico');
    if (profile === undefined) throw new Error('no calico');
    const pins = await loadKindPins();
    const placeholder = planKindProfile(profile, pins, { runId: 'r1a2b3', registryCache: true });
    const preamble = planPreamble(placeholder, 'kind/').join('\n');
    expect(preamble).toContain('192.0.2.1 (TEST-NET-1, RFC 5737: never routed) stands in for the sink container');
    expect(preamble).toContain(`docker inspect -f '{{(index .NetworkSettings.Networks "kind").IPAddress}}' bm-r1a2b3-calico-sink`);
    expect(teardownCommands(placeholder)).toEqual([
      'kind delete cluster --name bm-r1a2b3-calico',
      'docker rm --force bm-r1a2b3-calico-sink',
      'docker rm --force bm-registry-cache   # optional: kept across runs on purpose',
    ]);
    expect(preamble).toContain('#   kind delete cluster --name bm-r1a2b3-calico');
    // With the real address there is no placeholder to explain.
    const real = planPreamble(planKindProfile(profile, pins, { runId: 'r1a2b3', sinkIp: '172.18.0.9' }), 'kind/').join('\n');
    expect(real).not.toContain('192.0.2.1');
    expect(real).toContain('#   docker rm --force bm-r1a2b3-calico-sink');
  });
});

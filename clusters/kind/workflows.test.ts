import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadProfileCatalog } from '../../core/config/profiles-config.ts';
import { POLICY_STRENGTHS } from '../../core/domain/profile.ts';
import { loadKindPins } from './pins-tools.ts';
import { planKindProfile } from './plan/plan-kind-profile.ts';

const repo = (path: string): string => fileURLToPath(new URL(`../../${path}`, import.meta.url));

interface Workflow {
  jobs: Record<string, { strategy?: { matrix?: Record<string, unknown> }; env?: Record<string, string>; steps: { run?: string; if?: string }[] }>;
}

describe('the next-version profiles and the nightly workflow', () => {
  it('profiles-next.yaml is the pinned catalogue on the next version set, and every profile plans with the next pins', async () => {
    const pinned = (await loadProfileCatalog()).profiles.map((profile) => profile.id);
    const next = (await loadProfileCatalog(repo('clusters/kind/profiles-next.yaml'))).profiles;
    expect(next.map((profile) => profile.id)).toEqual(pinned.map((id) => `${id}@next`));
    const pins = await loadKindPins();
    for (const profile of next) {
      const plan = planKindProfile(profile, pins, { runId: 'n1' });
      expect(plan.versionSet).toBe('next');
      expect(plan.nodeImage).toBe(pins.nodeImages['next']);
    }
  });

  it('the nightly matrix covers exactly the catalogue on both version sets and runs the kind end-to-end test on one pinned profile', async () => {
    const workflow = parse(await readFile(repo('.github/workflows/nightly.yml'), 'utf8')) as Workflow;
    const job = workflow.jobs['profile'];
    expect(job?.strategy?.matrix?.['profile']).toEqual((await loadProfileCatalog()).profiles.map((profile) => profile.id));
    expect(job?.strategy?.matrix?.['versionSet']).toEqual(['pinned', 'next']);
    // The hardened policy set on the pinned versions (its columns carry +hardened, so the merge keeps both).
    expect(job?.strategy?.matrix?.['policySet']).toEqual([...POLICY_STRENGTHS]);
    expect(job?.strategy?.matrix?.['exclude']).toEqual([{ versionSet: 'next', policySet: 'hardened' }]);
    expect(job?.env?.['POLICY_SET']).toBe('${{ matrix.policySet }}');
    const runs = job?.steps.map((step) => step.run ?? '').join('\n') ?? '';
    expect(runs).toContain('npx breachmatrix run --provider kind --config "$config" --profile "$id" --policy-set "$POLICY_SET" --out "out/$slug"');
    // Artifacts are named by the slug: a hardened job's must differ from the baseline one's.
    expect(runs).toContain(`slug=$(printf '%s-%s' "$id" "$POLICY_SET" | tr '+@' '--')`);
    expect(job?.steps.find((step) => step.run === 'npm run test:e2e:kind')?.if).toContain("matrix.policySet == 'baseline'");
    expect(runs).toContain('npm run test:e2e:kind');
    const merge = workflow.jobs['merge']?.steps.map((step) => step.run ?? '').join('\n') ?? '';
    expect(merge).toContain('npx breachmatrix report out/*/results.jsonl --out merged');
    expect(merge).toContain('cat merged/summary.md >> "$GITHUB_STEP_SUMMARY"');
  });

  it('pre-upgrade runs current and candidate and fails on a worse cell', async () => {
    const workflow = parse(await readFile(repo('.github/workflows/pre-upgrade.yml'), 'utf8')) as Workflow;
    const runs = workflow.jobs['compare']?.steps.map((step) => step.run ?? '').join('\n') ?? '';
    expect(runs).toContain('--out old');
    expect(runs).toContain('--config clusters/kind/profiles-next.yaml --profile "$PROFILE@next" --out new');
    expect(runs).toContain('npx breachmatrix diff old/results.jsonl new/results.jsonl --fail-on worse');
  });
});

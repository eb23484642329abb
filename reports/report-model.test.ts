import { describe, expect, it } from 'vitest';
import { SAMPLE_KIND, SAMPLE_LAB } from './fixtures/samples.ts';
import { readResults } from './read-results.ts';
import { buildReportModel } from './report-model.ts';

describe('buildReportModel', () => {
  it('groups attacks by family in catalogue order with one column per profile', async () => {
    const model = buildReportModel(await readResults([SAMPLE_LAB, SAMPLE_KIND]));
    expect(model.families.map((group) => group.family)).toEqual([
      'sidecar-bypass',
      'ambient-bypass',
      'egress-exfiltration',
      'lateral-movement',
      'mtls-identity',
      'admission',
    ]);
    expect(model.families[0]?.rows.map((row) => row.attack.id)).toEqual(['SC1', 'SC2', 'SC5']);
    for (const group of model.families) for (const row of group.rows) expect(row.cells).toHaveLength(3);
    expect(model.hasLab).toBe(true);
  });

  it('counts outcomes and lists the unexpected cells', async () => {
    const model = buildReportModel(await readResults([SAMPLE_LAB, SAMPLE_KIND]));
    expect(model.counts).toEqual({ allowed: 7, blocked: 21, inconclusive: 1, 'not-applicable': 3, error: 1, 'not-run': 0, missing: 0 });
    expect(model.countsByProfile.get('cilium+istio-ambient')).toEqual({ allowed: 0, blocked: 8, inconclusive: 1, 'not-applicable': 1, error: 1, 'not-run': 0, missing: 0 });
    expect(model.unexpected.map((cell) => `${cell.profileId}/${cell.attackId}`)).toEqual([
      'lab:netpol+sidecar/SC5',
      'cilium+istio-ambient/EG2',
      'cilium+istio-ambient/LM4',
    ]);
  });

  it('shows cells that never ran as missing', async () => {
    const model = buildReportModel(await readResults([SAMPLE_KIND]));
    const lab = buildReportModel({ ...model.results, profiles: [...model.results.profiles, { ...model.profiles[0]!, id: 'calico' }] });
    expect(lab.counts.missing).toBe(11);
    expect(lab.cell('calico', 'EG1')).toBeUndefined();
  });
});

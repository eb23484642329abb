import { readFile } from 'node:fs/promises';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { SAMPLE_KIND, SAMPLE_LAB } from './fixtures/samples.ts';
import { buildJsonReport, LAB_NOTE, renderJsonReport } from './json-report.ts';
import { readResults } from './read-results.ts';
import { buildReportModel } from './report-model.ts';

// ajv-formats is CommonJS: under NodeNext its default import is the module object holding `default`.
const addFormats = addFormatsModule.default;

async function validator() {
  const schema = JSON.parse(await readFile(new URL('./report.schema.json', import.meta.url), 'utf8')) as object;
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv);
  return ajv.compile(schema);
}

describe('report.json', () => {
  it('validates against the published schema (lab + kind merged)', async () => {
    const model = buildReportModel(await readResults([SAMPLE_LAB, SAMPLE_KIND]));
    const report = JSON.parse(renderJsonReport(buildJsonReport(model, { harnessVersion: '0.1.0' }))) as unknown;
    const validate = await validator();
    const valid = validate(report);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('rejects a report that breaks the schema', async () => {
    const model = buildReportModel(await readResults([SAMPLE_KIND]));
    const report = JSON.parse(renderJsonReport(buildJsonReport(model, { harnessVersion: '0.1.0' }))) as { matrix: { rows: { cells: Record<string, { outcome: string }> }[] }[] };
    const first = report.matrix[0]?.rows[0]?.cells['cilium+istio-ambient'];
    expect(first).toBeDefined();
    if (first !== undefined) first.outcome = 'mostly-blocked';
    const validate = await validator();
    expect(validate(report)).toBe(false);
    expect(validate.errors?.some((error) => error.instancePath.endsWith('/outcome'))).toBe(true);
  });

  it('carries version, providers with the lab labelled, profiles, matrix, unexpected cells and timings', async () => {
    const model = buildReportModel(await readResults([SAMPLE_LAB, SAMPLE_KIND]));
    const report = buildJsonReport(model, { harnessVersion: '9.9.9', generatedAt: new Date('2025-11-23T08:00:00Z') });
    expect(report.schemaVersion).toBe(2);
    expect(report.generatedAt).toBe('2025-11-23T08:00:00.000Z');
    expect(report.harness).toEqual({ version: '9.9.9', runVersions: ['0.1.0'] });
    expect(report.providers).toEqual([{ name: 'lab', isLab: true }, { name: 'kind', isLab: false }]);
    expect(report.labNote).toBe(LAB_NOTE);
    expect(report.profiles.find((profile) => profile.id === 'cilium+istio-ambient')?.versions.cilium).toBe('v1.18.2');
    expect(report.matrix.flatMap((family) => family.rows)).toHaveLength(11);
    const sc5 = report.matrix.find((family) => family.family === 'sidecar-bypass')?.rows.find((row) => row.attackId === 'SC5');
    expect(sc5?.cells['lab:netpol+sidecar']?.evidence.map((item) => item.source)).toEqual(['nft-counter', 'sink']);
    expect(report.unexpected[0]).toMatchObject({ profileId: 'lab:netpol+sidecar', attackId: 'SC5', expected: 'blocked by cni, timeout', observed: 'allowed' });
    expect(report.timings.cells).toBe(33);
    expect(report.timings.startedAt).toBe('2025-11-22T02:00:02.417Z');
    expect(report.timings.durationMs).toBe(Date.parse('2025-11-22T23:03:31.904Z') - Date.parse('2025-11-22T02:00:02.417Z'));
  });

  it('gives each known attack its severity and every ALLOWED cell, and only those, its fixes with a source URL', async () => {
    const report = buildJsonReport(buildReportModel(await readResults([SAMPLE_LAB, SAMPLE_KIND])), { harnessVersion: '0.1.0' });
    expect(report.attacks.find((attack) => attack.id === 'SC1')?.severity).toEqual({ level: 'high', reason: expect.stringContaining('UID') });
    let allowedCells = 0;
    for (const row of report.matrix.flatMap((family) => family.rows)) {
      const allowed = Object.entries(row.cells).filter(([, cell]) => cell?.outcome === 'allowed').map(([profileId]) => profileId);
      allowedCells += allowed.length;
      expect(Object.keys(row.fixes).sort(), row.attackId).toEqual(allowed.sort());
      for (const fix of Object.values(row.fixes).flat()) expect(fix.source.url).toMatch(/^https:\/\//);
    }
    expect(allowedCells).toBeGreaterThan(3);
    const sc1 = report.matrix.flatMap((family) => family.rows).find((row) => row.attackId === 'SC1');
    expect(sc1?.fixes['lab:sidecar']?.map((fix) => fix.layer)).toEqual(['cni', 'admission']);
    expect(sc1?.fixes['cilium+istio-ambient']).toBeUndefined();
    // The schema holds fixes to a layer it knows and an https source.
    const validate = await validator();
    const tampered = JSON.parse(renderJsonReport(report)) as { matrix: { rows: { attackId: string; fixes: Record<string, { layer: string; source: { url: string } }[]> }[] }[] };
    const fix = tampered.matrix.flatMap((family) => family.rows).find((row) => row.attackId === 'SC1')?.fixes['lab:sidecar']?.[0];
    if (fix === undefined) throw new Error('SC1 on lab:sidecar has no fix');
    fix.source.url = 'http://example.invalid/';
    expect(validate(tampered)).toBe(false);
    fix.source.url = 'https://example.invalid/';
    fix.layer = 'firewall';
    expect(validate(tampered)).toBe(false);
    fix.layer = 'cni';
    expect(validate(tampered)).toBe(true);
  });

  it('has no lab note when no column comes from the lab', async () => {
    const report = buildJsonReport(buildReportModel(await readResults([SAMPLE_KIND])), { harnessVersion: '0.1.0' });
    expect(report.labNote).toBeUndefined();
    expect(report.providers).toEqual([{ name: 'kind', isLab: false }]);
  });
});

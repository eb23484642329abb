import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, open, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { Log } from 'sarif';
import { describe, expect, it } from 'vitest';
import { ATTACKS } from '../attack-pods/catalogue/index.ts';
import { SAMPLE_KIND, SAMPLE_LAB, failedProfileResults } from './fixtures/samples.ts';
import { mergeResults } from './merge-results.ts';
import { parseResultsText, readResults } from './read-results.ts';
import { buildReportModel } from './report-model.ts';
import { attackSourceLine, attackSourcePath, buildSarifReport, renderSarifReport } from './sarif-report.ts';

const addFormats = addFormatsModule.default;
const run = promisify(execFile);

const FIXTURES = new URL('../test/fixtures/sarif/', import.meta.url);
const SCHEMA_FILE = new URL('sarif-schema-2.1.0.json', FIXTURES);
const REPOSITORY_ROOT = new URL('../', import.meta.url);
/** The reference validator (devDependency @microsoft/sarif-multitool): its launcher picks the platform's binary. */
const MULTITOOL_LAUNCHER = new URL('../node_modules/@microsoft/sarif-multitool/bin.js', import.meta.url);
/** The Linux binary, which embeds the schema we vendored (the provenance check reads it). */
const MULTITOOL_LINUX_BINARY = new URL('../node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool', import.meta.url);

interface SchemaProvenance {
  readonly files: readonly { readonly file: string; readonly bytes: number; readonly sha256: string; readonly extractedFrom: string }[];
}

function sarifValidator() {
  // strict mode refuses the upstream schema's own style (`required` inside `anyOf` branches); validation is unchanged.
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv.compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as object);
}

async function sampleLog(): Promise<Log> {
  const model = buildReportModel(await readResults([SAMPLE_LAB, SAMPLE_KIND]));
  return JSON.parse(renderSarifReport(buildSarifReport(model, { harnessVersion: '0.1.0' }))) as Log;
}

describe('report.sarif', () => {
  it('uses the vendored SARIF 2.1.0 schema recorded in provenance.json, byte for byte as the validator embeds it', async () => {
    const provenance = JSON.parse(readFileSync(new URL('provenance.json', FIXTURES), 'utf8')) as SchemaProvenance;
    const entry = provenance.files.find((file) => file.file === 'sarif-schema-2.1.0.json');
    const bytes = readFileSync(SCHEMA_FILE);
    expect(bytes.length).toBe(entry?.bytes);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(entry?.sha256);
    const offset = Number(/byte offset (\d+)/.exec(entry?.extractedFrom ?? '')?.[1]);
    const handle = await open(MULTITOOL_LINUX_BINARY, 'r');
    try {
      const embedded = Buffer.alloc(bytes.length);
      await handle.read(embedded, 0, bytes.length, offset);
      expect(embedded.equals(bytes)).toBe(true);
    } finally {
      await handle.close();
    }
  });

  it('validates against the SARIF 2.1.0 schema, and the schema catches a broken log', async () => {
    const validate = sarifValidator();
    const log = await sampleLog();
    expect(validate(log) ? [] : validate.errors).toEqual([]);
    const broken = structuredClone(log) as unknown as { runs: { results: { level: string }[] }[] };
    const first = broken.runs[0]?.results[0];
    if (first === undefined) throw new Error('sample has no result');
    first.level = 'fatal';
    expect(validate(broken)).toBe(false);
    expect(validate.errors?.some((error) => error.instancePath === '/runs/0/results/0/level')).toBe(true);
  });

  it('has one rule per attack: title, technique, references, severity score, tags and level from severity', async () => {
    const log = await sampleLog();
    const rules = log.runs[0]?.tool.driver.rules ?? [];
    const model = buildReportModel(await readResults([SAMPLE_LAB, SAMPLE_KIND]));
    expect(rules.map((rule) => rule.id)).toEqual(model.families.flatMap((group) => group.rows.map((row) => row.attack.id)));
    const sc1 = rules.find((rule) => rule.id === 'SC1');
    const summary = model.results.attacks.find((attack) => attack.id === 'SC1');
    expect(sc1?.shortDescription?.text).toBe(summary?.title);
    expect(sc1?.fullDescription?.text).toBe(summary?.technique);
    expect(sc1?.helpUri).toBe(summary?.references[0]?.url);
    expect(sc1?.defaultConfiguration?.level).toBe('error');
    expect(sc1?.properties?.['security-severity']).toBe('8.0');
    expect(sc1?.properties?.tags).toEqual(['security', 'network-policy', 'sidecar-bypass', 'high']);
    // Every severity maps onto GitHub's bands: critical >= 9, high 7-8.9, medium 4-6.9, low < 4.
    for (const rule of rules) {
      const score = Number(rule.properties?.['security-severity']);
      const band = rule.properties?.tags?.at(-1);
      expect(score >= 9 ? 'critical' : score >= 7 ? 'high' : score >= 4 ? 'medium' : 'low', rule.id).toBe(band);
    }
    expect(rules.find((rule) => rule.id === 'EG7')?.properties?.['security-severity']).toBe('9.5');
  });

  it('has one result per ALLOWED or unexpected cell, located at the attack file and the profile, with the fix in the message', async () => {
    const log = await sampleLog();
    const model = buildReportModel(await readResults([SAMPLE_LAB, SAMPLE_KIND]));
    const results = log.runs[0]?.results ?? [];
    const expected = model.results.cells.filter((cell) => cell.outcome === 'allowed' || !cell.asExpected).map((cell) => `${cell.attackId} ${cell.profileId}`).sort();
    expect(results.map((result) => `${result.ruleId} ${result.locations?.[0]?.logicalLocations?.[0]?.name}`).sort()).toEqual(expected);
    const sc1 = results.find((result) => result.ruleId === 'SC1' && result.locations?.[0]?.logicalLocations?.[0]?.name === 'lab:sidecar');
    expect(sc1?.level).toBe('error');
    expect(sc1?.message.text).toContain('SC1 got through on lab:sidecar (lab:');
    expect(sc1?.message.text).toMatch(/Fix: cni — .*\| admission — ValidatingAdmissionPolicy.*1337.*https:\/\/kubernetes\.io\/docs\/reference\/access-authn-authz\/validating-admission-policy\//);
    expect(sc1?.locations?.[0]?.physicalLocation?.artifactLocation?.uri).toBe('attack-pods/catalogue/sidecar-bypass/sc1.ts');
    expect(sc1?.locations?.[0]?.logicalLocations?.[0]?.fullyQualifiedName).toBe('lab/lab:sidecar');
    // The unexpected LM4 inconclusive cell is a result too, with no fix (nothing got through).
    const lm4 = results.find((result) => result.ruleId === 'LM4');
    expect(lm4?.level).toBe('warning');
    expect(lm4?.message.text).not.toContain('Fix:');
    const fingerprints = results.map((result) => result.partialFingerprints?.['breachmatrix/cell/v1']);
    expect(new Set(fingerprints).size).toBe(results.length);
  });

  it('locates every catalogue attack in a file that exists, at a line naming its id', () => {
    for (const attack of ATTACKS) {
      const path = attackSourcePath(attack);
      expect(existsSync(new URL(path, REPOSITORY_ROOT)), path).toBe(true);
      const line = readFileSync(new URL(path, REPOSITORY_ROOT), 'utf8').split('\n')[attackSourceLine(attack) - 1] ?? '';
      expect(line, attack.id).toContain(`'${attack.id.replace(/-priv$/, '')}'`);
    }
  });

  it('reports a failed profile as a tool notification, not as a result per cell', () => {
    const model = buildReportModel(mergeResults([parseResultsText(failedProfileResults(), 'r.jsonl')]));
    const log = buildSarifReport(model, { harnessVersion: '0.1.0' });
    const invocation = log.runs[0]?.invocations?.[0];
    expect(invocation?.executionSuccessful).toBe(false);
    expect(invocation?.toolExecutionNotifications?.[0]?.message.text).toMatch(/^profile broken failed/);
    expect((log.runs[0]?.results ?? []).map((result) => result.locations?.[0]?.logicalLocations?.[0]?.name)).not.toContain('broken');
  });

  it('passes the reference validator (SARIF Multitool), which flags a broken log', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bm-sarif-'));
    const validate = async (name: string, log: unknown): Promise<{ ruleId?: string; level?: string }[]> => {
      const input = join(dir, `${name}.sarif`);
      const output = join(dir, `${name}.validation.sarif`);
      await writeFile(input, JSON.stringify(log));
      await run(process.execPath, [MULTITOOL_LAUNCHER.pathname, 'validate', input, '--output', output], { timeout: 60_000 });
      const report = JSON.parse(await readFile(output, 'utf8')) as { runs: { results?: { ruleId?: string; level?: string }[] }[] };
      return report.runs[0]?.results ?? [];
    };
    const log = await sampleLog();
    const findings = await validate('good', log);
    expect(findings.filter((finding) => finding.level === 'error')).toEqual([]);
    const broken = structuredClone(log) as unknown as { runs: { tool: { driver: { name?: string } } }[] };
    if (broken.runs[0] !== undefined) delete broken.runs[0].tool.driver.name;
    const brokenFindings = await validate('broken', broken);
    expect(brokenFindings).toContainEqual(expect.objectContaining({ ruleId: 'JSON1002', level: 'error' }));
  }, 120_000);
});

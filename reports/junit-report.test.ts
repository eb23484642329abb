import { describe, expect, it } from 'vitest';
import { LONG_FAILURE, SAMPLE_KIND, SAMPLE_LAB, failedProfileResults, jsonl, testCell, testHeader, testProfile } from './fixtures/samples.ts';
import { renderJunitReport } from './junit-report.ts';
import { mergeResults } from './merge-results.ts';
import { parseResultsText, readResults } from './read-results.ts';
import { buildReportModel } from './report-model.ts';

interface ParsedSuite {
  readonly attributes: Readonly<Record<string, string>>;
  readonly properties: Readonly<Record<string, string>>;
  readonly testcases: readonly string[];
}

function attributes(tag: string): Record<string, string> {
  return Object.fromEntries([...tag.matchAll(/([\w.-]+)="([^"]*)"/g)].map((match) => [match[1] ?? '', match[2] ?? '']));
}

/** A small structural parse of the builder's known output: suites, their properties, their testcases. */
function parseSuites(xml: string): ParsedSuite[] {
  return [...xml.matchAll(/<testsuite (.*?)>([\s\S]*?)<\/testsuite>/g)].map((match) => {
    const body = match[2] ?? '';
    const propertiesBlock = /^\s*<properties>([\s\S]*?)<\/properties>/.exec(body)?.[1] ?? '';
    const properties = Object.fromEntries([...propertiesBlock.matchAll(/<property name="([^"]+)" value="([^"]*)"\/>/g)].map((p) => [p[1] ?? '', p[2] ?? '']));
    const testcases = [...body.matchAll(/<testcase [^>]*?(?:\/>|[^/]>[\s\S]*?<\/testcase>)/g)].map((tc) => tc[0]);
    return { attributes: attributes(match[1] ?? ''), properties, testcases };
  });
}

describe('junit.xml', () => {
  it('has one suite per profile, one testcase per attack, failures/skipped/errors where due', async () => {
    const xml = renderJunitReport(buildReportModel(await readResults([SAMPLE_LAB, SAMPLE_KIND])));
    const suites = parseSuites(xml);
    expect(suites.map((suite) => suite.attributes.name)).toEqual(['lab:sidecar', 'lab:netpol+sidecar', 'cilium+istio-ambient']);
    for (const suite of suites) expect(suite.testcases).toHaveLength(11);

    const kind = suites[2];
    expect(kind?.attributes).toMatchObject({ tests: '11', failures: '1', errors: '1', skipped: '1' });
    expect(kind?.properties).toMatchObject({ cni: 'cilium', mesh: 'istio-ambient', provider: 'kind', isLab: 'false', 'version.cilium': 'v1.18.2', 'version.istio': '1.27.1' });
    const lab = suites[1];
    expect(lab?.attributes).toMatchObject({ tests: '11', failures: '1', errors: '0', skipped: '1' });
    expect(lab?.properties).toMatchObject({ provider: 'lab', isLab: 'true', 'version.kubernetes': 'lab' });

    const failure = lab?.testcases.find((tc) => tc.includes('<failure'));
    expect(failure).toContain('classname="lab:netpol+sidecar.sidecar-bypass"');
    expect(failure).toContain('name="SC5 UDP and ICMP are not captured"');
    expect(failure).toContain('message="expected blocked by cni, timeout (documented, source: NetworkPolicy default-deny egress covers every protocol); observed allowed"');
    expect(failure).toContain('table inet bm-lab chain netpol-bm-app-egress counter packets 1 bytes 60 drop');
    expect(failure).toContain('icmp canary=bm-sc5-e7a210');

    const skipped = kind?.testcases.find((tc) => tc.includes('<skipped'));
    expect(skipped).toContain('name="SC2 Flush the capture rules with NET_ADMIN"');
    expect(skipped).toContain('value="no sidecar capture rules to flush under ambient (see AM4)"');
    expect(skipped).toContain('<skipped message="not applicable: no sidecar capture rules to flush under ambient (see AM4)"/>');

    const error = kind?.testcases.find((tc) => tc.includes('<error'));
    expect(error).toContain('classname="cilium+istio-ambient.egress-exfiltration"');
    expect(error).toContain('dig exited 9');

    const inconclusive = kind?.testcases.find((tc) => tc.includes('name="LM4'));
    expect(inconclusive).toContain('<failure message="expected blocked by cni, timeout (documented, source: LM4: D unless the API server is allowed); observed inconclusive"');
  });

  it('reports cells that never ran: errors when the profile failed, skipped when the run was cut short', () => {
    const profiles = [testProfile('cilium'), testProfile('calico', { cni: 'calico', mesh: 'none' })];
    const file = parseResultsText(
      jsonl([
        testHeader('r', profiles, ['EG1', 'EG2']),
        { type: 'cell', cell: testCell('r', 'cilium', 'EG1') },
        { type: 'profile-error', runId: 'r', profileId: 'calico', component: 'calico-node', message: 'DaemonSet not ready after 600s', at: '2025-11-22T02:10:00.000Z' },
      ]),
      'r.jsonl',
    );
    const suites = parseSuites(renderJunitReport(buildReportModel(mergeResults([file]))));
    expect(suites[0]?.attributes).toMatchObject({ tests: '2', failures: '0', errors: '0', skipped: '1' });
    expect(suites[1]?.attributes).toMatchObject({ tests: '2', failures: '0', errors: '2', skipped: '0' });
    expect(suites[1]?.testcases[0]).toContain('message="not run: calico-node: DaemonSet not ready after 600s"');
  });

  it('keeps evidence containing XML specials and CDATA terminators intact', () => {
    const raw = 'a <b> & "c" ]]> end';
    const cell = testCell('r', 'cilium', 'EG1', { asExpected: false, outcome: 'allowed', evidence: [{ layer: 'none', source: 'sink', verdict: 'delivered', raw }] });
    const file = parseResultsText(jsonl([testHeader('r', [testProfile('cilium')], ['EG1']), { type: 'cell', cell }]), 'r.jsonl');
    const xml = renderJunitReport(buildReportModel(mergeResults([file])));
    const body = /<failure [^>]*><!\[CDATA\[([\s\S]*)\]\]><\/failure>/.exec(xml)?.[1] ?? '';
    expect(body.replaceAll(']]]]><![CDATA[>', ']]>')).toContain(raw);
  });

  it('keys every testcase uniquely across suites and gives each suite its time', async () => {
    const xml = renderJunitReport(buildReportModel(await readResults([SAMPLE_LAB, SAMPLE_KIND])));
    const keys = [...xml.matchAll(/<testcase classname="([^"]+)" name="([^"]+)"/g)].map((match) => `${match[1]} ${match[2]}`);
    expect(keys).toHaveLength(33);
    expect(new Set(keys).size).toBe(33);
    const suites = parseSuites(xml);
    for (const suite of suites) expect(Number(suite.attributes.time)).toBeGreaterThan(0);
    const caseTimes = suites[2]?.testcases.map((tc) => Number(/ time="([\d.]+)"/.exec(tc)?.[1] ?? 'NaN')) ?? [];
    expect(Number(suites[2]?.attributes.time)).toBeCloseTo(caseTimes.reduce((sum, time) => sum + time, 0), 2);
    expect(attributes(/<testsuites (.*?)>/.exec(xml)?.[1] ?? '')).toMatchObject({ tests: '33' });
  });

  it('gives a skipped case of an interrupted run a message, and a failed profile its reason without the evidence story', () => {
    const cut = parseResultsText(jsonl([testHeader('r', [testProfile('cilium')], ['EG1', 'EG2']), { type: 'cell', cell: testCell('r', 'cilium', 'EG1') }]), 'r.jsonl');
    const cutXml = renderJunitReport(buildReportModel(mergeResults([cut])));
    expect(cutXml).toContain('<skipped message="not run (the run was interrupted)"/>');
    const failed = renderJunitReport(buildReportModel(mergeResults([parseResultsText(failedProfileResults(), 'r.jsonl')])));
    const broken = parseSuites(failed)[1];
    expect(broken?.attributes).toMatchObject({ name: 'broken', tests: '2', errors: '2', failures: '0' });
    expect(broken?.testcases[0]).toContain(`message="profile failed (see banner): provisioning: ${LONG_FAILURE}"`);
    expect(broken?.testcases[0]).not.toContain('client signal:');
  });
});

import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LONG_FAILURE, SAMPLE_KIND, SAMPLE_LAB, failedProfileResults, jsonl, testCell, testHeader, testProfile } from './fixtures/samples.ts';
import { renderHtmlReport } from './html-report.ts';
import { buildJsonReport } from './json-report.ts';
import { mergeResults } from './merge-results.ts';
import { parseResultsText, readResults } from './read-results.ts';
import { buildReportModel } from './report-model.ts';
import type { RunResults } from './run-results.ts';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let browser: Browser;
let dir: string;

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  dir = await mkdtemp(join(tmpdir(), 'bm-html-'));
});
afterAll(async () => {
  await browser?.close();
});

interface OpenedPage {
  readonly page: Page;
  readonly url: string;
  readonly requests: string[];
  readonly errors: string[];
}

async function open(results: RunResults, name: string, viewport = { width: 1500, height: 1000 }): Promise<OpenedPage> {
  const file = join(dir, name);
  await writeFile(file, renderHtmlReport(buildJsonReport(buildReportModel(results), { harnessVersion: '0.1.0' })));
  const page = await browser.newPage({ viewport });
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  const url = pathToFileURL(file).href;
  await page.goto(url);
  return { page, url, requests, errors };
}

const visibleRows = (page: Page): Promise<string[]> =>
  page.$$eval('tr.attack-row', (rows) => rows.filter((row) => !(row as HTMLElement).hidden).map((row) => (row as HTMLElement).dataset.attack ?? ''));

describe('report.html in headless Chromium', () => {
  it('shows the matrix, filters rows, opens details on click, and fetches nothing', async () => {
    const { page, url, requests, errors } = await open(await readResults([SAMPLE_LAB, SAMPLE_KIND]), 'report.html');

    expect(await page.locator('thead th.profile').count()).toBe(3);
    expect(await page.locator('tr.attack-row').count()).toBe(11);
    expect(await page.locator('tr.family-row').count()).toBe(6);
    const cellsPerRow = await page.$$eval('tr.attack-row', (rows) => rows.map((row) => row.querySelectorAll('td.cell').length));
    expect(cellsPerRow).toEqual(new Array(11).fill(3));
    expect(await page.locator('#lab-note').textContent()).toContain("lab's model of each layer");
    expect(await page.locator('#filter-count').textContent()).toBe('showing 11 of 11 attacks');

    // Distinct styles: a CNI block and an allowed cell do not share a background.
    const background = (selector: string) => page.$eval(selector, (element) => getComputedStyle(element).backgroundColor);
    const cniBlock = await background('td.cell[data-profile="cilium+istio-ambient"][data-attack="SC1"]');
    const allowed = await background('td.cell[data-profile="lab:sidecar"][data-attack="SC1"]');
    const sidecarBlock = await background('td.cell[data-profile="lab:sidecar"][data-attack="EG1"]');
    expect(new Set([cniBlock, allowed, sidecarBlock]).size).toBe(3);

    await page.screenshot({ path: '/tmp/report.png', fullPage: true });

    // Family filter hides that family's rows and its header.
    await page.locator('input[name="family"][value="egress-exfiltration"]').uncheck();
    expect(await visibleRows(page)).toEqual(['SC1', 'SC2', 'SC5', 'AM3', 'LM1', 'LM4', 'SC8', 'HN1']);
    expect(await page.locator('tr.family-row[data-family="egress-exfiltration"]').isHidden()).toBe(true);
    await page.locator('input[name="family"][value="egress-exfiltration"]').check();

    // Outcome filter: keep only allowed cells.
    for (const state of ['blocked', 'inconclusive', 'not-applicable', 'error', 'missing']) await page.locator(`input[name="state"][value="${state}"]`).uncheck();
    expect(await visibleRows(page)).toEqual(['SC1', 'SC2', 'SC5', 'EG2', 'EG7']);
    expect(await page.locator('#filter-count').textContent()).toBe('showing 5 of 11 attacks');
    for (const state of ['blocked', 'inconclusive', 'not-applicable', 'error', 'missing']) await page.locator(`input[name="state"][value="${state}"]`).check();

    await page.locator('input[name="only-unexpected"]').check();
    expect(await visibleRows(page)).toEqual(['SC5', 'EG2', 'LM4']);
    await page.locator('input[name="only-unexpected"]').uncheck();

    // A click on a cell opens the details with technique, expectation and source, signal, control, evidence.
    expect(await page.locator('#details').isHidden()).toBe(true);
    await page.locator('td.cell[data-profile="lab:netpol+sidecar"][data-attack="SC5"]').click();
    const details = page.locator('#details');
    expect(await details.isVisible()).toBe(true);
    const text = (await details.textContent()) ?? '';
    expect(text).toContain('SC5 · UDP and ICMP are not captured');
    expect(text).toContain('nc -u <sink> <udp-port> with the canary');
    expect(text).toContain('blocked by cni (timeout) — documented');
    expect(text).toContain('NetworkPolicy default-deny egress covers every protocol');
    expect(text).toContain('Client signaldelivered');
    expect(text).toContain('Controlpassed (delivered)');
    expect(text).toContain('Evidence (2)');
    const raws = await details.locator('pre.evidence-raw').allTextContents();
    expect(raws).toEqual([
      'table inet bm-lab chain netpol-bm-app-egress counter packets 1 bytes 60 drop comment "bm-app/default-deny egress"',
      '2025-11-22T23:02:41.220Z icmp canary=bm-sc5-e7a210 from=10.88.1.9 seq=1',
    ]);
    await page.screenshot({ path: '/tmp/report-details.png', fullPage: false });

    await page.locator('td.cell[data-profile="cilium+istio-ambient"][data-attack="LM4"]').click();
    expect(await details.textContent()).toContain('ControlFAILED (timeout) — frontend could not reach 10.96.0.1:443');
    expect(await details.textContent()).toContain('Confidence—');
    await page.locator('#details-close').click();
    expect(await details.isHidden()).toBe(true);

    expect(errors).toEqual([]);
    expect(requests).toEqual([url]);
    await page.close();
  });

  it('keeps hostile evidence and titles as text: no script runs, nothing is fetched', async () => {
    const hostile = '</script><script>window.__pwned = 1</script><img src="http://198.51.100.1/x.png">';
    const header = testHeader('r', [testProfile('cilium')], ['EG1']);
    const attacks = header.attacks.map((attack) => ({ ...attack, title: `<img src="http://198.51.100.2/t.png" onerror="window.__pwned=2">` }));
    const cell = testCell('r', 'cilium', 'EG1', { evidence: [{ layer: 'cni', source: 'hubble', verdict: 'denied', raw: hostile }] });
    const results = mergeResults([parseResultsText(jsonl([{ ...header, attacks }, { type: 'cell', cell }]), 'r.jsonl')]);
    const { page, url, requests, errors } = await open(results, 'hostile.html');

    await page.locator('td.cell[data-attack="EG1"]').click();
    expect(await page.locator('#details pre.evidence-raw').textContent()).toBe(hostile);
    expect(await page.locator('th.attack').textContent()).toContain('<img src="http://198.51.100.2/t.png"');
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('img').count()).toBe(0);
    expect(errors).toEqual([]);
    expect(requests).toEqual([url]);
    await page.close();
  });

  it('uses the page width, shows a score row per stack, and one banner for a failed profile', async () => {
    const { page, errors } = await open(await readResults([SAMPLE_LAB, SAMPLE_KIND]), 'wide.html', { width: 1600, height: 1000 });
    const pageWidth = await page.evaluate(() => document.documentElement.clientWidth);
    const tableWidth = await page.$eval('#matrix', (table) => table.getBoundingClientRect().width);
    // body padding is 24 px a side: the matrix fills the rest (it used ~60 % of a 1600 px window before).
    expect(tableWidth).toBeGreaterThan((pageWidth - 48) * 0.97);
    const scores = await page.$$eval('tr.score-row td.score', (cells) => cells.map((cell) => (cell.textContent ?? '').trim()));
    expect(scores).toHaveLength(3);
    expect(await page.locator('tr.score-row th').textContent()).toBe('score blocked · allowed · inconclusive · n/a · error');
    const kindScore = await page.$$eval('tr.score-row td.score[data-profile="cilium+istio-ambient"] .score-item', (items) => items.map((item) => item.getAttribute('title')));
    expect(kindScore).toEqual(['8 blocked', '0 allowed', '1 inconclusive', '1 n/a', '1 error']);
    expect(await page.locator('.banner.failed').count()).toBe(0);
    await page.close();

    const failed = await open(mergeResults([parseResultsText(failedProfileResults(), 'r.jsonl')]), 'failed.html', { width: 1600, height: 1000 });
    const banners = failed.page.locator('.banner.failed');
    expect(await banners.count()).toBe(1);
    expect(await banners.textContent()).toContain('Profile broken failed — 2 cell(s) could not run');
    expect(await banners.textContent()).toContain(LONG_FAILURE);
    const bannerTop = await banners.evaluate((element) => element.getBoundingClientRect().top);
    const matrixTop = await failed.page.$eval('#matrix', (table) => table.getBoundingClientRect().top);
    expect(bannerTop).toBeLessThan(matrixTop);
    const subs = await failed.page.$$eval('td.cell[data-profile="broken"] .sub', (items) => items.map((item) => item.textContent));
    expect(subs).toEqual(['see banner', 'see banner']);
    const body = (await failed.page.locator('body').innerText()).split(LONG_FAILURE.slice(0, 60)).length - 1;
    expect(body).toBe(1);
    expect([...errors, ...failed.errors]).toEqual([]);
    await failed.page.close();
  });

  it('draws one stacked bar per stack whose segments match the matrix cells, in counts and in rendered size', async () => {
    const { page, errors, requests, url } = await open(await readResults([SAMPLE_LAB, SAMPLE_KIND]), 'chart.html');
    const profiles = await page.$$eval('thead th.profile', (headers) => headers.map((header) => (header as HTMLElement).dataset.profile ?? ''));
    const bars = await page.$$eval('#outcome-chart svg g.bar', (groups) => groups.map((group) => (group as SVGGElement).dataset.profile ?? ''));
    expect(bars).toEqual(profiles);
    for (const profile of profiles) {
      // Expected counts from the matrix table itself: blocked cells by their layer class, the rest by state.
      const expected = await page.$$eval(`td.cell[data-profile="${profile}"]`, (cells) => {
        const tally: Record<string, number> = {};
        for (const cell of cells) {
          const element = cell as HTMLElement;
          const layer = Array.from(element.classList).find((name) => name.startsWith('l-'))?.slice(2);
          const key = element.dataset.state === 'blocked' ? (layer ?? 'blocked') : (element.dataset.state ?? '?');
          tally[key] = (tally[key] ?? 0) + 1;
        }
        return tally;
      });
      const drawn = await page.$$eval(`#outcome-chart g.bar[data-profile="${profile}"] rect.segment`, (rects) =>
        rects.map((rect) => ({ segment: (rect as SVGRectElement).dataset.segment ?? '', count: Number((rect as SVGRectElement).dataset.count), width: rect.getBoundingClientRect().width })),
      );
      expect(Object.fromEntries(drawn.map((entry) => [entry.segment, entry.count])), profile).toEqual(expected);
      const total = drawn.reduce((sum, entry) => sum + entry.count, 0);
      const barWidth = drawn.reduce((sum, entry) => sum + entry.width, 0);
      expect(total).toBe(await page.locator(`td.cell[data-profile="${profile}"]`).count());
      for (const entry of drawn) expect(entry.width / barWidth, `${profile} ${entry.segment}`).toBeCloseTo(entry.count / total, 3);
    }
    // The sample has blocks by several layers and allowed cells: the bars are not one colour.
    const segments = await page.$$eval('#outcome-chart rect.segment', (rects) => [...new Set(rects.map((rect) => (rect as SVGRectElement).dataset.segment))]);
    expect(segments).toEqual(expect.arrayContaining(['cni', 'mesh-sidecar', 'allowed']));
    await page.locator('#outcome-chart').screenshot({ path: '/tmp/report-chart.png' });

    // An ALLOWED cell's details say how bad it is and how to close it, with the source.
    await page.locator('td.cell[data-profile="lab:sidecar"][data-attack="SC1"]').click();
    const details = (await page.locator('#details').textContent()) ?? '';
    expect(details).toContain('Severityhigh — ');
    expect(details).toContain('How to close it');
    expect(await page.$$eval('#details li.fix .fix-layer', (items) => items.map((item) => item.textContent))).toEqual(['cni', 'admission']);
    expect(details).toContain('https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/');
    // A blocked cell gets no fix.
    await page.locator('td.cell[data-profile="cilium+istio-ambient"][data-attack="SC1"]').click();
    expect(await page.locator('#details li.fix').count()).toBe(0);
    expect(errors).toEqual([]);
    expect(requests).toEqual([url]);
    await page.close();
  });

  it('CSP allows the page script by its hash only: markup that slipped past escaping could not run a script', async () => {
    const html = renderHtmlReport(buildJsonReport(buildReportModel(await readResults([SAMPLE_KIND])), { harnessVersion: '0.1.0' }));
    const policy = /<meta http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html)?.[1] ?? '';
    const scriptSrc = policy.split(';').map((part) => part.trim()).find((part) => part.startsWith('script-src')) ?? '';
    expect(scriptSrc).toMatch(/^script-src 'sha256-[A-Za-z0-9+/]+={0,2}'$/);
    expect(policy).not.toContain("'unsafe-eval'");
    // What a broken escaper would let through: an inline script and an event handler. Chromium must refuse both,
    // while the page's own script still runs (the filters work).
    const injected = html.replace('</body>', '<script>window.__pwned = 1</script><div id="bait" onclick="window.__pwned = 2"></div></body>');
    const file = join(dir, 'injected.html');
    await writeFile(file, injected);
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') violations.push(message.text());
    });
    await page.goto(pathToFileURL(file).href);
    await page.locator('#bait').dispatchEvent('click');
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(violations.some((text) => /Content Security Policy/.test(text))).toBe(true);
    expect(await page.locator('#filter-count').textContent()).toMatch(/^showing \d+ of \d+ attacks$/);
    await page.close();
  });
});

import { isUnexpected, type Cell } from '../core/domain/cell.ts';
import { LAYER_PATH_ORDER } from '../core/domain/layer.ts';
import { profileVersions } from './cell-label.ts';
import { h, jsonForScript, renderHtml, trusted, type HtmlElement, type HtmlNode } from './html/html-node.ts';
import { reportPageMain } from './html/report-page-script.ts';
import { LAYER_COLOURS, reportCss } from './html/report-styles.ts';
import type { JsonProfile, JsonReport } from './json-report.ts';
import { MATRIX_STATES, matrixState, type MatrixState } from './report-model.ts';

/** Nothing may be fetched: styles and scripts are inline, everything else is refused. */
const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const STATE_LABELS: Readonly<Record<MatrixState, string>> = {
  blocked: 'blocked',
  allowed: 'allowed',
  inconclusive: 'inconclusive',
  'not-applicable': 'n/a',
  error: 'error',
  'not-run': 'interrupted',
  missing: 'not run',
};

/** Plain symbols rather than emoji: they render without an emoji font (headless CI, minimal desktops). */
const SYMBOLS = { confirmed: '✔', inferred: '≈', allowed: '⚠', inconclusive: '?', 'not-applicable': '–', error: '✖', 'not-run': '‖', missing: '·' } as const;

function cellContent(cell: Cell | null): { main: string; sub: string } {
  if (cell === null) return { main: `${SYMBOLS.missing} not run`, sub: '' };
  switch (cell.outcome) {
    case 'blocked':
      return { main: `${cell.confidence === 'confirmed' ? SYMBOLS.confirmed : SYMBOLS.inferred} ${cell.blockedBy ?? '?'}`, sub: [cell.confidence ?? 'inferred', cell.signal].filter(Boolean).join(' · ') };
    case 'allowed':
      return { main: `${SYMBOLS.allowed} ALLOWED`, sub: cell.signal ?? '' };
    case 'inconclusive':
      return { main: `${SYMBOLS.inconclusive} inconclusive`, sub: cell.control?.passed === false ? 'control failed' : (cell.signal ?? '') };
    case 'not-applicable':
      return { main: `${SYMBOLS['not-applicable']} n/a`, sub: '' };
    case 'error':
      return { main: `${SYMBOLS.error} error`, sub: cell.attempts > 1 ? `${cell.attempts} attempts` : '' };
    case 'not-run':
      return { main: `${SYMBOLS['not-run']} interrupted`, sub: 'not measured' };
  }
}

function matrixCell(profile: JsonProfile, attackId: string, cell: Cell | null): HtmlElement {
  const state = matrixState(cell ?? undefined);
  const classes = ['cell', `s-${state}`];
  if (cell?.outcome === 'blocked' && cell.blockedBy !== undefined) classes.push(`l-${cell.blockedBy}`, `c-${cell.confidence ?? 'inferred'}`);
  const unexpected = cell !== null && isUnexpected(cell);
  if (unexpected) classes.push('unexpected');
  const { main, sub } = cellContent(cell);
  return h(
    'td',
    { class: classes.join(' '), 'data-profile': profile.id, 'data-attack': attackId, 'data-state': state, tabindex: 0, title: `${attackId} on ${profile.id}: click for details` },
    unexpected ? h('span', { class: 'mark', title: 'unexpected: differs from the expectation' }, '!') : [],
    h('span', { class: 'badge' }, main),
    sub === '' ? [] : h('span', { class: 'sub' }, sub),
  );
}

function profileHeader(profile: JsonProfile): HtmlElement {
  return h(
    'th',
    { class: 'profile', scope: 'col', 'data-profile': profile.id },
    profile.id,
    profile.isLab ? h('span', { class: 'lab-tag', title: 'lab provider: the lab\'s model of each layer' }, 'lab') : [],
    h('span', { class: 'versions' }, profileVersions(profile), profile.isLab ? '' : ` · ${profile.provider}`),
  );
}

function matrixTable(report: JsonReport): HtmlElement {
  const titles = new Map(report.attacks.map((attack) => [attack.id, attack.title]));
  const body: HtmlElement[] = [];
  for (const family of report.matrix) {
    body.push(h('tr', { class: 'family-row', 'data-family': family.family }, h('th', { colspan: report.profiles.length + 1, scope: 'rowgroup' }, family.family)));
    for (const row of family.rows) {
      body.push(
        h(
          'tr',
          { class: 'attack-row', 'data-family': family.family, 'data-attack': row.attackId },
          h('th', { class: 'attack', scope: 'row' }, h('span', { class: 'id' }, row.attackId), titles.get(row.attackId) ?? ''),
          report.profiles.map((profile) => matrixCell(profile, row.attackId, row.cells[profile.id] ?? null)),
        ),
      );
    }
  }
  return h(
    'table',
    { class: 'matrix', id: 'matrix' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'attack'), report.profiles.map(profileHeader))),
    h('tbody', {}, body),
  );
}

const STATE_MEANINGS: readonly { readonly state: MatrixState; readonly text: string }[] = [
  { state: 'allowed', text: `${SYMBOLS.allowed} ALLOWED — the attack worked (exfiltration: the sink received the canary)` },
  { state: 'inconclusive', text: `${SYMBOLS.inconclusive} inconclusive — the positive control failed too, no verdict` },
  { state: 'not-applicable', text: `${SYMBOLS['not-applicable']} n/a — the attack does not apply to this stack` },
  { state: 'error', text: `${SYMBOLS.error} error — the attempt failed for a reason that says nothing about the network` },
  { state: 'not-run', text: `${SYMBOLS['not-run']} interrupted — the attempt was in flight when the run was interrupted: nothing was measured` },
  { state: 'missing', text: `${SYMBOLS.missing} not run — run interrupted or profile failed` },
];

function legend(): HtmlElement {
  const layers = LAYER_PATH_ORDER.map((layer) => h('li', {}, h('span', { class: `swatch l-${layer}`, style: `border-left:4px solid ${LAYER_COLOURS[layer].strong}` }), `blocked by ${layer}`));
  return h(
    'ul',
    { class: 'legend', id: 'legend' },
    layers,
    h('li', {}, `${SYMBOLS.confirmed} confirmed by the layer's own record · ${SYMBOLS.inferred} inferred from the client signal (dashed border)`),
    STATE_MEANINGS.map((entry) => h('li', {}, h('span', { class: `swatch s-${entry.state}` }), entry.text)),
    h('li', {}, h('span', { class: 'mark' }, '!'), 'unexpected: the observation differs from the expectation (red frame)'),
  );
}

function checkbox(name: string, value: string, label: string): HtmlElement {
  return h('label', {}, h('input', { type: 'checkbox', name, value, checked: true }), ` ${label}`);
}

function filters(report: JsonReport): HtmlElement {
  return h(
    'div',
    { id: 'filters', role: 'group', 'aria-label': 'filters' },
    h('fieldset', {}, h('legend', {}, 'Family'), report.matrix.map((family) => checkbox('family', family.family, family.family))),
    h('fieldset', {}, h('legend', {}, 'Outcome'), MATRIX_STATES.map((state) => checkbox('state', state, `${STATE_LABELS[state]} (${report.counts[state]})`))),
    h('fieldset', {}, h('legend', {}, 'Expectation'), h('label', {}, h('input', { type: 'checkbox', name: 'only-unexpected', value: 'yes' }), ` only unexpected (${report.unexpected.length})`)),
    h('span', { id: 'filter-count' }),
  );
}

function header(report: JsonReport): HtmlNode[] {
  const runs = report.runs.map((run) => run.runId).join(', ');
  const nodes: HtmlNode[] = [
    h('h1', {}, 'breachmatrix — which layer stops each attack'),
    h('p', { class: 'meta' }, `harness ${report.harness.version} · providers: ${report.providers.map((provider) => provider.name).join(', ')} · runs: ${runs} · ${report.timings.startedAt} → ${report.timings.finishedAt} · generated ${report.generatedAt}`),
  ];
  if (report.labNote !== undefined) {
    const labColumns = report.profiles.filter((profile) => profile.isLab).map((profile) => profile.id).join(', ');
    nodes.push(h('p', { class: 'banner lab', id: 'lab-note' }, h('strong', {}, 'Lab provider'), ` (${labColumns}): ${report.labNote}`));
  }
  if (report.interrupted) nodes.push(h('p', { class: 'banner' }, h('strong', {}, 'Interrupted run'), ': cells that did not finish are shown as not run.'));
  for (const warning of report.warnings) nodes.push(h('p', { class: 'banner' }, warning));
  const { counts } = report;
  nodes.push(
    h(
      'p',
      { class: 'counts' },
      h('span', {}, `${counts.blocked} blocked`),
      h('span', {}, `${counts.allowed} allowed`),
      h('span', {}, `${counts.inconclusive} inconclusive`),
      h('span', {}, `${counts['not-applicable']} n/a`),
      h('span', {}, `${counts.error} error`),
      counts['not-run'] > 0 ? h('span', {}, `${counts['not-run']} interrupted`) : [],
      counts.missing > 0 ? h('span', {}, `${counts.missing} not run`) : [],
      h('strong', {}, `${report.unexpected.length} unexpected`),
    ),
  );
  return nodes;
}

/**
 * The page script as inline source. Transpilers (tsx, vitest) may wrap named functions in a `__name` helper
 * that exists only in the module they compiled; the page gets an identity stand-in so the source runs alone.
 */
function pageScript(): string {
  const source = `var __name = function (target) { return target; };\n(${reportPageMain.toString()})();`;
  if (/<\/script|<!--/i.test(source)) throw new Error('report page script must not contain </script or <!--');
  return source;
}

/** report.html: one self-contained page (inline CSS and JS, report.json embedded), no network access. */
export function renderHtmlReport(report: JsonReport): string {
  const page = h(
    'html',
    { lang: 'en' },
    h(
      'head',
      {},
      h('meta', { charset: 'utf-8' }),
      h('meta', { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY }),
      h('meta', { name: 'viewport', content: 'width=device-width, initial-scale=1' }),
      h('title', {}, `breachmatrix report — ${report.profiles.map((profile) => profile.id).join(', ')}`),
      h('style', {}, trusted(reportCss())),
    ),
    h(
      'body',
      {},
      h('header', {}, header(report)),
      legend(),
      filters(report),
      h(
        'div',
        { class: 'layout' },
        h('div', { class: 'matrix-wrap' }, matrixTable(report)),
        h('aside', { id: 'details', hidden: true, 'aria-live': 'polite' }, h('button', { id: 'details-close', type: 'button', 'aria-label': 'close details' }, '×'), h('div', { id: 'details-body' })),
      ),
      h('script', { type: 'application/json', id: 'bm-report' }, trusted(jsonForScript(report))),
      h('script', {}, trusted(pageScript())),
    ),
  );
  return `<!doctype html>\n${renderHtml(page)}\n`;
}

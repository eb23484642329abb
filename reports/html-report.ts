import { createHash } from 'node:crypto';
import { isUnexpected, type Cell } from '../core/domain/cell.ts';
import { LAYER_PATH_ORDER } from '../core/domain/layer.ts';
import { profileVersions } from './cell-label.ts';
import { h, jsonForScript, renderHtml, trusted, type HtmlElement, type HtmlNode } from './html/html-node.ts';
import { depthBadge, depthSection, DEPTH_CSS } from './html/depth-view.ts';
import { outcomeChart } from './html/outcome-chart.ts';
import { reportPageMain } from './html/report-page-script.ts';
import { LAYER_COLOURS, reportCss } from './html/report-styles.ts';
import type { JsonProfile, JsonReport } from './json-report.ts';
import { isFailedProfileCell, MATRIX_STATES, matrixState, type MatrixState } from './report-model.ts';
import { SCORE_STATES, SEE_BANNER, STATE_LABELS, scoreText, scoredStates } from './state-labels.ts';
import { sceneHtmlSection } from './scene-self-test-report.ts';

/**
 * Nothing may be fetched: styles and the one script are inline, everything else is refused. The script is allowed
 * by its SHA-256 alone (CSP Level 2 hash source), so markup that ever slipped through escaping still could not run
 * a script of its own: https://www.w3.org/TR/CSP3/#framework-directive-source-list
 */
export function contentSecurityPolicy(script: string): string {
  const hash = createHash('sha256').update(script, 'utf8').digest('base64');
  return `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${hash}'; img-src data:; base-uri 'none'; form-action 'none'`;
}

/** Plain symbols rather than emoji: they render without an emoji font (headless CI, minimal desktops). */
const SYMBOLS = { confirmed: '✔', inferred: '≈' } as const;

function stateMain(state: MatrixState): string {
  const { symbol, label } = STATE_LABELS[state];
  return `${symbol} ${state === 'allowed' ? label.toUpperCase() : label}`;
}

function cellContent(cell: Cell | null, failedProfileCell: boolean): { main: string; sub: string } {
  if (cell === null) return { main: stateMain('missing'), sub: '' };
  if (failedProfileCell) return { main: stateMain(cell.outcome), sub: SEE_BANNER };
  switch (cell.outcome) {
    case 'blocked':
      return { main: `${cell.confidence === 'confirmed' ? SYMBOLS.confirmed : SYMBOLS.inferred} ${cell.blockedBy ?? '?'}`, sub: [cell.confidence ?? 'inferred', cell.signal].filter(Boolean).join(' · ') };
    case 'allowed':
      return { main: stateMain('allowed'), sub: cell.signal ?? '' };
    case 'inconclusive':
      return { main: stateMain('inconclusive'), sub: cell.control?.passed === false ? 'control failed' : (cell.signal ?? '') };
    case 'error':
      return { main: stateMain('error'), sub: cell.attempts > 1 ? `${cell.attempts} attempts` : '' };
    default:
      return { main: stateMain(cell.outcome), sub: '' };
  }
}

function matrixCell(profile: JsonProfile, attackId: string, cell: Cell | null): HtmlElement {
  const state = matrixState(cell ?? undefined);
  const failedProfileCell = isFailedProfileCell(cell, profile.errors);
  const classes = ['cell', `s-${state}`];
  if (cell?.outcome === 'blocked' && cell.blockedBy !== undefined) classes.push(`l-${cell.blockedBy}`, `c-${cell.confidence ?? 'inferred'}`);
  const unexpected = cell !== null && isUnexpected(cell);
  if (unexpected) classes.push('unexpected');
  const { main, sub } = cellContent(cell, failedProfileCell);
  return h(
    'td',
    { class: classes.join(' '), 'data-profile': profile.id, 'data-attack': attackId, 'data-state': state, tabindex: 0, title: `${attackId} on ${profile.id}: click for details` },
    unexpected ? h('span', { class: 'mark', title: 'unexpected: differs from the expectation' }, '!') : [],
    h('span', { class: 'badge' }, main),
    sub === '' ? [] : h('span', { class: 'sub' }, sub),
    depthBadge(cell),
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

/** Per-stack score (blocked · allowed · inconclusive · n/a · error), under the column headers. */
function scoreRow(report: JsonReport): HtmlElement {
  const states = scoredStates(...report.profiles.map((profile) => profile.counts));
  return h(
    'tr',
    { class: 'score-row' },
    h('th', { scope: 'row' }, 'score ', h('span', { class: 'score-key' }, states.map((state) => STATE_LABELS[state].label).join(' · '))),
    report.profiles.map((profile) =>
      h('td', { class: 'score', 'data-profile': profile.id }, states.map((state) => h('span', { class: `score-item s-${state}`, title: `${profile.counts[state]} ${STATE_LABELS[state].label}` }, String(profile.counts[state])))),
    ),
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
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'attack'), report.profiles.map(profileHeader)), scoreRow(report)),
    h('tbody', {}, body),
  );
}

const STATE_MEANINGS: readonly { readonly state: MatrixState; readonly text: string }[] = SCORE_STATES.filter((state) => state !== 'blocked').map((state) => ({
  state,
  text: `${stateMain(state)} — ${STATE_LABELS[state].meaning}`,
}));

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
    h('fieldset', {}, h('legend', {}, 'Outcome'), MATRIX_STATES.map((state) => checkbox('state', state, `${STATE_LABELS[state].label} (${report.counts[state]})`))),
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
  for (const profile of report.profiles.filter((entry) => entry.failed)) {
    const cells = report.matrix.flatMap((family) => family.rows.map((row) => row.cells[profile.id] ?? null)).filter((cell) => isFailedProfileCell(cell, profile.errors)).length;
    nodes.push(
      h(
        'div',
        { class: 'banner failed', 'data-profile': profile.id, role: 'alert' },
        h('strong', {}, `Profile ${profile.id} failed`),
        ` — ${cells} cell(s) could not run; they say "${SEE_BANNER}".`,
        profile.errors.map((error) => h('p', { class: 'failure-reason' }, h('span', { class: 'component' }, `${error.component} (${error.at}): `), error.message)),
      ),
    );
  }
  if (report.labNote !== undefined) {
    const labColumns = report.profiles.filter((profile) => profile.isLab).map((profile) => profile.id).join(', ');
    nodes.push(h('p', { class: 'banner lab', id: 'lab-note' }, h('strong', {}, 'Lab provider'), ` (${labColumns}): ${report.labNote}`));
  }
  if (report.interrupted) nodes.push(h('p', { class: 'banner' }, h('strong', {}, 'Interrupted run'), ': cells that did not finish are shown as not run.'));
  for (const warning of report.warnings) nodes.push(h('p', { class: 'banner' }, warning));
  nodes.push(
    h(
      'p',
      { class: 'counts' },
      h('span', {}, scoreText(report.counts)),
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
  const script = pageScript();
  const page = h(
    'html',
    { lang: 'en' },
    h(
      'head',
      {},
      h('meta', { charset: 'utf-8' }),
      h('meta', { 'http-equiv': 'Content-Security-Policy', content: contentSecurityPolicy(script) }),
      h('meta', { name: 'viewport', content: 'width=device-width, initial-scale=1' }),
      h('title', {}, `breachmatrix report — ${report.profiles.map((profile) => profile.id).join(', ')}`),
      h('style', {}, trusted(reportCss() + DEPTH_CSS)),
    ),
    h(
      'body',
      {},
      h('header', {}, header(report)),
      outcomeChart(report),
      legend(),
      filters(report),
      h(
        'div',
        { class: 'layout' },
        h('div', { class: 'matrix-wrap' }, matrixTable(report)),
        h('aside', { id: 'details', hidden: true, 'aria-live': 'polite' }, h('button', { id: 'details-close', type: 'button', 'aria-label': 'close details' }, '×'), h('div', { id: 'details-body' })),
      ),
      depthSection(report),
      sceneHtmlSection(report.profiles),
      h('script', { type: 'application/json', id: 'bm-report' }, trusted(jsonForScript(report))),
      h('script', {}, trusted(script)),
    ),
  );
  return `<!doctype html>\n${renderHtml(page)}\n`;
}

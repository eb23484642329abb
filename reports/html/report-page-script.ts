import type { Fix } from '../../core/domain/attack.ts';
import type { Cell } from '../../core/domain/cell.ts';
import type { EvidenceItem } from '../../core/domain/evidence.ts';
import type { JsonReport } from '../json-report.ts';

/**
 * The page's own script. It runs in the browser: it is serialised with Function.prototype.toString into
 * report.html, so it must not reference anything outside its body (type imports are erased and fine).
 * It wires the filters and fills the details panel from the embedded report.json, using DOM APIs only
 * (textContent, never innerHTML), so evidence text can never become markup.
 */
export function reportPageMain(): void {
  type Child = Node | string | null | undefined;

  function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: { className?: string; text?: string } = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
    const node = document.createElement(tag);
    if (props.className !== undefined) node.className = props.className;
    if (props.text !== undefined) node.textContent = props.text;
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(typeof child === 'string' ? document.createTextNode(child) : child);
    }
    return node;
  }

  function field(label: string, value: Child): HTMLElement {
    return el('div', { className: 'field' }, el('dt', { text: label }), el('dd', {}, value));
  }

  function expectationText(cell: Cell): string {
    const expected = cell.expected;
    const what = expected.outcome === 'blocked' ? `blocked by ${expected.blockedBy ?? 'any layer'}` : expected.outcome;
    return `${what}${expected.signal === undefined ? '' : ` (${expected.signal})`} — ${expected.certainty}`;
  }

  function observedText(cell: Cell): string {
    if (cell.outcome !== 'blocked') return cell.outcome;
    return `blocked by ${cell.blockedBy ?? '?'}`;
  }

  /** `from → to:port (protocol)`, the way both the attempt's and the control's flows are shown. */
  function flowText(flow: { from?: string; to?: string; port?: number; protocol?: string }): string {
    return `${flow.from ?? '?'} → ${flow.to ?? '?'}${flow.port === undefined ? '' : `:${flow.port}`} (${flow.protocol ?? '?'})`;
  }

  function controlText(cell: Cell): string {
    const control = cell.control;
    if (control === undefined) return 'none';
    const path = control.kind === undefined ? '' : `${control.kind}: ${flowText(control)} — `;
    return `${path}${control.passed ? 'passed' : 'FAILED'} (${control.signal})${control.detail === undefined ? '' : ` — ${control.detail}`}`;
  }

  function evidenceBlock(item: EvidenceItem): HTMLElement {
    const matched = item.matched === undefined || item.matched.length === 0 ? '' : ` · matched ${item.matched.join(', ')}`;
    const head = `${item.layer} · ${item.source} · ${item.verdict}${item.rule === undefined ? '' : ` · ${item.rule}`}${matched}`;
    return el(
      'li',
      { className: `evidence v-${item.verdict}` },
      el('div', { className: 'evidence-head', text: head }),
      item.detail === undefined ? null : el('div', { className: 'evidence-detail', text: item.detail }),
      el('pre', { className: 'evidence-raw', text: item.raw }),
    );
  }

  const dataElement = document.getElementById('bm-report');
  const panel = document.getElementById('details');
  const panelBody = document.getElementById('details-body');
  const counter = document.getElementById('filter-count');
  if (dataElement === null || panel === null || panelBody === null || counter === null) return;
  const report = JSON.parse(dataElement.textContent ?? '{}') as JsonReport;
  const attacks = new Map(report.attacks.map((attack) => [attack.id, attack]));
  const profiles = new Map(report.profiles.map((profile) => [profile.id, profile]));
  const cells = new Map<string, Cell>();
  const fixes = new Map<string, readonly Fix[]>();
  for (const family of report.matrix) {
    for (const row of family.rows) {
      for (const [profileId, cell] of Object.entries(row.cells)) if (cell !== null) cells.set(`${profileId} ${row.attackId}`, cell);
      for (const [profileId, list] of Object.entries(row.fixes ?? {})) fixes.set(`${profileId} ${row.attackId}`, list);
    }
  }

  function fixBlock(fix: Fix): HTMLElement {
    return el(
      'li',
      { className: 'fix' },
      el('span', { className: 'fix-layer', text: fix.layer }),
      ` ${fix.feature}: ${fix.policy} `,
      el('span', { className: 'fix-source', text: `— ${fix.source.title} — ${fix.source.url}` }),
    );
  }

  function showDetails(profileId: string, attackId: string): void {
    if (panel === null || panelBody === null) return;
    const attack = attacks.get(attackId);
    const profile = profiles.get(profileId);
    const cell = cells.get(`${profileId} ${attackId}`);
    const list = el('dl', { className: 'fields' });
    list.append(
      field('Stack', `${profileId}${profile?.isLab === true ? ' (lab model)' : ''}`),
      field('Technique', attack?.technique ?? ''),
    );
    if (attack?.severity !== undefined) list.append(field('Severity', `${attack.severity.level} — ${attack.severity.reason}`));
    const children: Child[] = [el('h2', { text: `${attackId} · ${attack?.title ?? ''}` }), el('p', { className: 'details-family', text: attack?.family ?? '' }), list];
    if (cell === undefined) {
      list.append(field('Result', 'not run'));
    } else {
      list.append(
        // A not-run cell measured nothing: it is neither as expected nor unexpected.
        field('Observed', el('span', { className: cell.asExpected || cell.outcome === 'not-run' ? 'ok' : 'unexpected-text', text: `${observedText(cell)}${cell.asExpected || cell.outcome === 'not-run' ? '' : ' — unexpected'}` })),
        field('Expected', expectationText(cell)),
        field('Source of the expectation', cell.expected.source + (cell.expected.note === undefined ? '' : ` — ${cell.expected.note}`)),
        field('Client signal', cell.signal ?? 'none'),
        field('Attempt flow', cell.flow === undefined ? 'not recorded' : flowText(cell.flow)),
        field('Control', controlText(cell)),
        field('Confidence', cell.confidence ?? '—'),
      );
      if (cell.reason !== undefined) list.append(field('Reason', cell.reason));
      if (cell.canary !== undefined) list.append(field('Canary', cell.canary));
      list.append(field('Attempts · time', `${cell.attempts} · control ${cell.timings.controlMs} ms, attempt ${cell.timings.attemptMs} ms, evidence ${cell.timings.evidenceMs} ms`));
      const cellFixes = fixes.get(`${profileId} ${attackId}`) ?? [];
      if (cellFixes.length > 0) {
        children.push(el('h3', { text: 'How to close it' }));
        children.push(el('ul', { className: 'fix-list' }, ...cellFixes.map(fixBlock)));
      }
      children.push(el('h3', { text: `Evidence (${cell.evidence.length})` }));
      children.push(cell.evidence.length === 0 ? el('p', { className: 'muted', text: 'No layer recorded anything for this attempt.' }) : el('ul', { className: 'evidence-list' }, ...cell.evidence.map(evidenceBlock)));
      if (cell.depth !== undefined) {
        // Depth by ablation: each pass is its own attempt on a stack with one policy group, with its own records.
        const depth = cell.depth;
        const count = depth.count === undefined ? `incomplete (at least ${depth.atLeast ?? 0}): ${depth.incomplete ?? ''}` : `${depth.count}${depth.count === 1 ? ' — a single point of failure' : ''}`;
        children.push(el('h3', { text: `Depth: ${count}` }));
        children.push(
          el(
            'ul',
            { className: 'depth-list' },
            ...depth.layers.map((entry) =>
              el(
                'li',
                {},
                el('strong', { text: `only the ${entry.policies} policies: ` }),
                `${entry.outcome === 'blocked' ? `blocked by ${entry.blockedBy ?? '?'} (${entry.confidence ?? 'inferred'})` : entry.outcome}${entry.stops ? ' — stops it alone' : ''}${entry.reason !== undefined && entry.outcome !== 'blocked' && entry.outcome !== 'allowed' ? ` — ${entry.reason}` : ''}${entry.canary === undefined ? '' : ` · canary ${entry.canary}`}`,
                entry.evidence.length === 0 ? null : el('ul', { className: 'evidence-list' }, ...entry.evidence.map(evidenceBlock)),
              ),
            ),
          ),
        );
      }
    }
    if (attack !== undefined && attack.references.length > 0) {
      children.push(el('h3', { text: 'References' }));
      children.push(el('ul', {}, ...attack.references.map((reference) => el('li', { text: `${reference.title} — ${reference.url}` }))));
    }
    panelBody.replaceChildren(...children.filter((child): child is Node => typeof child === 'object' && child !== null));
    panel.hidden = false;
    for (const selected of Array.from(document.querySelectorAll('td.cell.selected'))) selected.classList.remove('selected');
    document.querySelector(`td.cell[data-profile="${CSS.escape(profileId)}"][data-attack="${CSS.escape(attackId)}"]`)?.classList.add('selected');
  }

  function checkedValues(name: string): Set<string> {
    return new Set(Array.from(document.querySelectorAll<HTMLInputElement>(`input[name="${name}"]:checked`), (input) => input.value));
  }

  function applyFilters(): void {
    const families = checkedValues('family');
    const states = checkedValues('state');
    const onlyUnexpected = document.querySelector<HTMLInputElement>('input[name="only-unexpected"]')?.checked === true;
    let shown = 0;
    const rows = Array.from(document.querySelectorAll<HTMLTableRowElement>('tr.attack-row'));
    for (const row of rows) {
      let anyMatch = false;
      for (const td of Array.from(row.querySelectorAll<HTMLTableCellElement>('td.cell'))) {
        const match = states.has(td.dataset.state ?? '') && (!onlyUnexpected || td.classList.contains('unexpected'));
        td.classList.toggle('dim', !match);
        anyMatch ||= match;
      }
      row.hidden = !families.has(row.dataset.family ?? '') || !anyMatch;
      if (!row.hidden) shown += 1;
    }
    for (const header of Array.from(document.querySelectorAll<HTMLTableRowElement>('tr.family-row'))) {
      header.hidden = !rows.some((row) => row.dataset.family === header.dataset.family && !row.hidden);
    }
    if (counter !== null) counter.textContent = `showing ${shown} of ${rows.length} attacks`;
  }

  document.addEventListener('change', (event) => {
    if (event.target instanceof HTMLInputElement && event.target.closest('#filters') !== null) applyFilters();
  });
  document.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (target?.closest('#details-close') != null) {
      panel.hidden = true;
      return;
    }
    const td = target?.closest<HTMLTableCellElement>('td.cell');
    if (td != null) showDetails(td.dataset.profile ?? '', td.dataset.attack ?? '');
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') panel.hidden = true;
    const td = event.target instanceof HTMLTableCellElement && event.target.classList.contains('cell') ? event.target : null;
    if (td !== null && (event.key === 'Enter' || event.key === ' ')) {
      event.preventDefault();
      showDetails(td.dataset.profile ?? '', td.dataset.attack ?? '');
    }
  });
  applyFilters();
}

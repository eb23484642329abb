import type { Cell } from '../../core/domain/cell.ts';
import { depthLabel, depthPassLines } from '../depth-summary.ts';
import type { JsonReport } from '../json-report.ts';
import { h, type HtmlElement, type HtmlNode } from './html-node.ts';

/** Depth badges and the single-points-of-failure list (depth by ablation, `run --depth`). */
export const DEPTH_CSS = `
.depth{display:inline-block;margin-top:2px;padding:0 4px;border-radius:3px;font-size:11px;border:1px solid #999}
.depth.d-0{background:#fde2e1;border-color:#c0392b}
.depth.d-1{background:#fff1c2;border-color:#b7791f;font-weight:600}
.depth.d-2,.depth.d-3{background:#def7e5;border-color:#2f855a}
.depth.d-incomplete{background:#eee;border-style:dashed}
.depth-view table{border-collapse:collapse}.depth-view td,.depth-view th{border:1px solid #ccc;padding:2px 6px;text-align:left}
`;

/** The badge under a cell: `depth 2`, `depth 1` (a single point of failure), `depth ≥1?`; the passes in its title. */
export function depthBadge(cell: Cell | null): readonly HtmlNode[] {
  const label = depthLabel(cell?.depth);
  if (cell?.depth === undefined || label === undefined) return [];
  const count = cell.depth.count;
  const short = count === undefined ? `depth ≥${cell.depth.atLeast ?? 0}?` : `depth ${count}`;
  const title = [label, ...depthPassLines(cell.depth), ...(cell.depth.incomplete ? [`incomplete: ${cell.depth.incomplete}`] : [])].join('\n');
  return [h('span', { class: `depth d-${count === undefined ? 'incomplete' : String(Math.min(count, 3))}`, title, 'data-depth': count === undefined ? 'incomplete' : String(count) }, short)];
}

/** The depth view: mean depth per stack and every cell one policy group alone stops. */
export function depthSection(report: JsonReport): readonly HtmlNode[] {
  const stacks = report.profiles.filter((profile) => profile.depth !== undefined);
  if (stacks.length === 0 || report.singlePointsOfFailure === undefined) return [];
  const rows: HtmlElement[] = stacks.map((profile) =>
    h(
      'tr',
      {},
      h('th', { scope: 'row' }, profile.id),
      h('td', {}, profile.depth?.mean === undefined ? '—' : profile.depth.mean.toFixed(2)),
      h('td', {}, `${profile.depth?.measured ?? 0} of ${profile.depth?.cells ?? 0}`),
      h('td', {}, String(profile.depth?.singlePointsOfFailure ?? 0)),
      h('td', {}, String(profile.depth?.zeroDepthBlocked ?? 0)),
    ),
  );
  const points = report.singlePointsOfFailure;
  return [h(
    'section',
    { class: 'depth-view', id: 'depth' },
    h('h2', {}, 'Depth: which layers stop each attack on their own'),
    h('p', {}, 'Each attack also ran with only one policy group applied (lab: on a copy of the stack; kind, kubeconfig: on the same cluster, the other groups’ policy objects deleted and re-applied after; the layers themselves still run). Depth is how many groups stop it alone; 1 is a single point of failure.'),
    h(
      'table',
      {},
      h('thead', {}, h('tr', {}, ['stack', 'mean depth', 'measured', 'single points of failure', 'blocked only by the groups together'].map((text) => h('th', { scope: 'col' }, text)))),
      h('tbody', {}, rows),
    ),
    h('h3', {}, `Single points of failure (${points.length})`),
    points.length === 0
      ? h('p', {}, 'None: no measured cell rests on one policy group alone.')
      : h(
          'ul',
          { class: 'spof' },
          points.map((point) => h('li', { 'data-profile': point.profileId, 'data-attack': point.attackId }, h('strong', {}, point.attackId), ` ${point.title} — on ${point.profileId}, only the ${point.policies} policies (${point.layer}) stop it`)),
        ),
  )];
}

import type { Cell } from '../../core/domain/cell.ts';
import { LAYER_PATH_ORDER, type BlockingLayer } from '../../core/domain/layer.ts';
import type { JsonReport } from '../json-report.ts';
import { STATE_LABELS } from '../state-labels.ts';
import { h, type HtmlElement } from './html-node.ts';
import { LAYER_COLOURS } from './report-styles.ts';

/** A bar segment: blocked by one layer (or by a layer the cell did not name), or a state that is not a block. */
export type ChartSegment = BlockingLayer | 'blocked' | 'allowed' | 'inconclusive' | 'not-applicable' | 'error' | 'not-run' | 'missing';

/** Left to right: blocks in path order, then what got through, then what gave no verdict. */
export const CHART_SEGMENTS: readonly ChartSegment[] = [...LAYER_PATH_ORDER, 'blocked', 'allowed', 'inconclusive', 'not-applicable', 'error', 'not-run', 'missing'];

const OTHER_COLOURS: Readonly<Record<Exclude<ChartSegment, BlockingLayer>, string>> = {
  blocked: '#8c959f',
  allowed: '#cf222e',
  inconclusive: '#d4a72c',
  'not-applicable': '#d1d9e0',
  error: '#24292f',
  'not-run': '#eaeef2',
  missing: '#f6f8fa',
};

function colour(segment: ChartSegment): string {
  return segment in LAYER_COLOURS ? LAYER_COLOURS[segment as BlockingLayer].strong : OTHER_COLOURS[segment as Exclude<ChartSegment, BlockingLayer>];
}

export function segmentLabel(segment: ChartSegment): string {
  if ((LAYER_PATH_ORDER as readonly string[]).includes(segment)) return `blocked by ${segment}`;
  if (segment === 'blocked') return 'blocked (layer not named)';
  return STATE_LABELS[segment as Exclude<ChartSegment, BlockingLayer | 'blocked'>].label;
}

function segmentOf(cell: Cell | null): ChartSegment {
  if (cell === null) return 'missing';
  if (cell.outcome === 'blocked') return cell.blockedBy ?? 'blocked';
  return cell.outcome;
}

/** Per profile id, how many of its cells fall in each segment (every segment present, zeros included). */
export function segmentCounts(report: JsonReport): Map<string, Record<ChartSegment, number>> {
  const counts = new Map(report.profiles.map((profile) => [profile.id, Object.fromEntries(CHART_SEGMENTS.map((segment) => [segment, 0])) as Record<ChartSegment, number>]));
  for (const row of report.matrix.flatMap((family) => family.rows)) {
    for (const profile of report.profiles) {
      const perProfile = counts.get(profile.id);
      if (perProfile !== undefined) perProfile[segmentOf(row.cells[profile.id] ?? null)] += 1;
    }
  }
  return counts;
}

/** Geometry in SVG user units: one bar per stack, each bar the full width for all of that stack's cells. */
export const CHART_GEOMETRY = { labelWidth: 190, barWidth: 600, barHeight: 18, gap: 8, countWidth: 60 } as const;

/**
 * Stacked bars, one per stack: blocked by each layer, allowed, inconclusive, n/a, error (and not run). Built here as
 * inline SVG from the typed builder: no script, no network, readable without the page's JavaScript.
 */
export function outcomeChart(report: JsonReport): HtmlElement {
  const { labelWidth, barWidth, barHeight, gap, countWidth } = CHART_GEOMETRY;
  const counts = segmentCounts(report);
  const height = report.profiles.length * (barHeight + gap) + gap;
  const bars = report.profiles.map((profile, index) => {
    const perProfile = counts.get(profile.id);
    const total = perProfile === undefined ? 0 : CHART_SEGMENTS.reduce((sum, segment) => sum + perProfile[segment], 0);
    const y = gap + index * (barHeight + gap);
    let x = labelWidth;
    const rects: HtmlElement[] = [];
    for (const segment of CHART_SEGMENTS) {
      const count = perProfile?.[segment] ?? 0;
      if (count === 0 || total === 0) continue;
      const width = (count / total) * barWidth;
      rects.push(
        h(
          'rect',
          { class: 'segment', 'data-segment': segment, 'data-count': count, x: x.toFixed(3), y, width: width.toFixed(3), height: barHeight, fill: colour(segment) },
          h('title', {}, `${profile.id}: ${count} ${segmentLabel(segment)}`),
        ),
      );
      x += width;
    }
    return h(
      'g',
      { class: 'bar', 'data-profile': profile.id, 'data-total': total },
      h('text', { x: labelWidth - 8, y: y + barHeight - 5, 'text-anchor': 'end' }, profile.isLab ? `${profile.id} (lab)` : profile.id),
      rects,
      h('text', { x: labelWidth + barWidth + 6, y: y + barHeight - 5 }, `${total} cells`),
    );
  });
  const present = CHART_SEGMENTS.filter((segment) => [...counts.values()].some((perProfile) => perProfile[segment] > 0));
  return h(
    'figure',
    { id: 'outcome-chart' },
    h('figcaption', {}, 'Per stack: which layer blocked how many attacks, and how many got through'),
    h(
      'svg',
      { xmlns: 'http://www.w3.org/2000/svg', viewBox: `0 0 ${labelWidth + barWidth + countWidth} ${height}`, width: labelWidth + barWidth + countWidth, height, role: 'img', 'aria-label': 'stacked bars of outcomes per stack' },
      bars,
    ),
    h(
      'ul',
      { class: 'chart-legend' },
      present.map((segment) => h('li', { 'data-segment': segment }, h('span', { class: 'chart-swatch', style: `background:${colour(segment)}` }), segmentLabel(segment))),
    ),
  );
}

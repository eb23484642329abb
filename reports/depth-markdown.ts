import type { Cell } from '../core/domain/cell.ts';
import { profileDepth, singlePointsOfFailure } from './depth-summary.ts';

/**
 * summary.md's depth section (depth by ablation): mean depth per stack and the single points of failure — each
 * attack that only one policy group stops on its own. Empty when no cell carries a depth.
 */
export function depthMarkdownSection(profileIds: readonly string[], cells: readonly Cell[], cell: (text: string) => string): string[] {
  if (!cells.some((candidate) => candidate.depth !== undefined)) return [];
  const lines = [
    '## Depth: which layers stop each attack on their own',
    '',
    'Each attack also ran with only one policy group applied (lab: on a copy of the stack; kind, kubeconfig: on the same cluster, the other groups’ policy objects deleted and re-applied after; the layers themselves still run). Depth is how many groups stop it alone; a pass that did not measure its group leaves the depth incomplete, never lower.',
    '',
    '| stack | mean depth | measured | single points of failure | blocked only by the groups together |',
    '|---|---|---|---|---|',
  ];
  for (const profileId of profileIds) {
    const depth = profileDepth(cells.filter((candidate) => candidate.profileId === profileId));
    if (depth === undefined) continue;
    lines.push(`| ${cell(profileId)} | ${depth.mean === undefined ? '—' : depth.mean.toFixed(2)} | ${depth.measured} of ${depth.cells} | ${depth.singlePointsOfFailure} | ${depth.zeroDepthBlocked} |`);
  }
  const points = singlePointsOfFailure(cells);
  lines.push('', `### Single points of failure (${points.length})`, '');
  if (points.length === 0) lines.push('None: no measured cell rests on one policy group alone.');
  for (const point of points) lines.push(`- **${cell(point.attackId)}** ${cell(point.title)} — on \`${cell(point.profileId)}\`, only the ${cell(point.policies)} policies (${cell(point.layer)}) stop it`);
  return [...lines, ''];
}

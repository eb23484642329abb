import type { SceneCheck } from '../core/domain/scene-self-test.ts';
import { h, type HtmlElement } from './html/html-node.ts';
import type { JsonProfile, JsonSceneSelfTest } from './json-report.ts';

/** What the reports say about one profile's scene self-test: a line when it passed, the whole table when not. */

export function sceneSummaryText(scene: JsonSceneSelfTest): string {
  const failed = scene.checks.filter((check) => !check.passed).length;
  const seconds = (scene.durationMs / 1000).toFixed(1);
  return failed === 0
    ? `scene self-test: ${scene.checks.length} check${scene.checks.length === 1 ? '' : 's'} passed (${seconds} s)`
    : `scene self-test FAILED: ${failed} of ${scene.checks.length} checks (${seconds} s); the profile ran no attack`;
}

const COLUMNS = ['check', 'expected', 'observed', 'tries', 'detail'] as const;

function row(check: SceneCheck): string[] {
  return [`${check.passed ? '✔' : '✖'} ${check.name}`, check.expected, check.observed, String(check.tries), check.detail];
}

/** summary.md section: one line per profile that has a self-test; the full table under each failed one. */
export function sceneMarkdownSection(profiles: readonly Pick<JsonProfile, 'id' | 'sceneSelfTest'>[], cell: (text: string) => string): string[] {
  const tested = profiles.filter((profile) => profile.sceneSelfTest !== undefined);
  if (tested.length === 0) return [];
  const lines = ['## Scene self-test', ''];
  for (const profile of tested) {
    const scene = profile.sceneSelfTest;
    if (scene === undefined) continue;
    lines.push(`- **${cell(profile.id)}** ${cell(sceneSummaryText(scene))}`);
  }
  for (const profile of tested) {
    const scene = profile.sceneSelfTest;
    if (scene === undefined || scene.passed) continue;
    lines.push('', `### ${cell(profile.id)}: scene self-test`, '', `| ${COLUMNS.join(' | ')} |`, `|${COLUMNS.map(() => '---').join('|')}|`);
    for (const check of scene.checks) lines.push(`| ${row(check).map(cell).join(' | ')} |`);
  }
  return lines;
}

/** report.html section: the same line per profile, and the table of every failed self-test. */
export function sceneHtmlSection(profiles: readonly Pick<JsonProfile, 'id' | 'sceneSelfTest'>[]): HtmlElement[] {
  const tested = profiles.filter((profile) => profile.sceneSelfTest !== undefined);
  if (tested.length === 0) return [];
  const items = tested.map((profile) => h('li', { class: profile.sceneSelfTest?.passed === true ? 'scene-ok' : 'scene-failed' }, h('strong', {}, profile.id), ` ${profile.sceneSelfTest === undefined ? '' : sceneSummaryText(profile.sceneSelfTest)}`));
  const tables = tested
    .filter((profile) => profile.sceneSelfTest?.passed === false)
    .map((profile) =>
      h(
        'table',
        { class: 'scene-self-test' },
        h('caption', {}, `${profile.id}: scene self-test`),
        h('thead', {}, h('tr', {}, COLUMNS.map((column) => h('th', {}, column)))),
        h('tbody', {}, (profile.sceneSelfTest?.checks ?? []).map((check) => h('tr', { class: check.passed ? 'scene-ok' : 'scene-failed' }, row(check).map((text) => h('td', {}, text))))),
      ),
    );
  return [h('section', { id: 'scene-self-test' }, h('h2', {}, 'Scene self-test'), h('ul', {}, items), tables)];
}

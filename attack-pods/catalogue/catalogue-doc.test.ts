import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadAllStackTraits } from '../../core/config/testing/all-profiles.ts';
import type { AttackDefinition } from '../../core/domain/attack.ts';
import type { StackTraits } from '../../core/domain/profile.ts';
import { CATALOGUE_DOC_COMMAND, CATALOGUE_DOC_PATH, renderCatalogueDoc } from './catalogue-doc.ts';
import { ATTACKS } from './index.ts';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

let stacks: StackTraits[] = [];
let hardened: StackTraits[] = [];
let rendered = '';

beforeAll(async () => {
  stacks = await loadAllStackTraits();
  hardened = await loadAllStackTraits('hardened');
  rendered = renderCatalogueDoc(ATTACKS, stacks, hardened);
});

/** The lines of one attack's section. */
function section(doc: string, id: string): string {
  const start = doc.indexOf(`\n### ${id}: `);
  expect(start, `no section for ${id}`).toBeGreaterThan(0);
  const end = doc.indexOf('\n### ', start + 1);
  return doc.slice(start, end < 0 ? undefined : end);
}

describe(CATALOGUE_DOC_PATH, () => {
  it('is up to date with the catalogue code', () => {
    const committed = readFileSync(join(REPO_ROOT, CATALOGUE_DOC_PATH), 'utf8');
    // toBe would print a 200 kB diff; say what to run instead.
    expect(committed === rendered, `${CATALOGUE_DOC_PATH} is stale: regenerate it with \`${CATALOGUE_DOC_COMMAND}\` and commit it`).toBe(true);
  });

  it('has a section per attack with its technique, plans, references and an expectation row per stack', () => {
    for (const attack of ATTACKS) {
      const text = section(rendered, attack.id);
      expect(text, attack.id).toContain('- **Technique**: ');
      expect(text, attack.id).toContain(`- **Success criterion**: ${attack.success}`);
      expect(text, attack.id).toMatch(/- \*\*Attempt\*\*/);
      expect(text, attack.id).toMatch(/- \*\*Control\*\*/);
      for (const reference of attack.references) expect(text, attack.id).toContain(`](${reference.url})`);
      for (const stack of stacks) {
        const expectation = attack.expect(stack);
        const row = text.split('\n').find((line) => line.startsWith(`| ${stack.profileId} | `));
        expect(row, `${attack.id} on ${stack.profileId}`).toBeDefined();
        expect(row, `${attack.id} on ${stack.profileId}`).toContain(` | ${expectation.certainty} | S`);
      }
    }
  });

  it('has a hardened section listing exactly the expectations --policy-set hardened changes', () => {
    const start = rendered.indexOf('\n## Under --policy-set hardened');
    expect(start).toBeGreaterThan(0);
    const hardenedText = rendered.slice(start);
    const rows = hardenedText.split('\n').filter((line) => /^\| [A-Z]{2}\d/.test(line));
    const changed = ATTACKS.flatMap((attack) =>
      stacks.flatMap((stack, index) => {
        const after = hardened[index];
        if (after === undefined) throw new Error('hardened stacks pair with the baseline ones');
        const was = attack.expect(stack);
        const now = attack.expect(after);
        return was.outcome === now.outcome && was.blockedBy === now.blockedBy ? [] : [`${attack.id} ${after.profileId}`];
      }),
    );
    expect(rows.map((row) => row.split(' | ').slice(0, 2).join(' ').replace('| ', ''))).toEqual(changed);
    // The Done-when: LM2 refused at admission on every lab stack.
    for (const lab of hardened.filter((stack) => stack.isLab)) {
      expect(rows.find((row) => row.startsWith(`| LM2 | ${lab.profileId} |`)), lab.profileId).toContain('| blocked by admission (admission-denied) |');
    }
    expect(section(rendered, 'LM2')).toContain('created by the pod creator `breachmatrix-pod-creator`');
  });

  it('names the attempt script and destination as the plan has them', () => {
    const sc1 = section(rendered, 'SC1');
    expect(sc1).toContain('- **Attempt**: `http-probe.sh` · http to `198.51.100.10:8080`');
    expect(sc1).toContain('runAsUser 1337');
    // SC1's control walks the attempt's own path: the node (a permitted client) reaches the same sink address and port.
    expect(sc1).toContain('- **Control**: same-destination, proven by sink-canary · `http-probe.sh` · http to `198.51.100.10:8080`');
    expect(sc1).toContain('hostNetwork');
    expect(section(rendered, 'SC4')).toContain('`http-probe.sh` in an init container');
  });

  it('changes when an expectation changes (so the staleness check can fail)', () => {
    const changed: AttackDefinition[] = ATTACKS.map((attack) =>
      attack.id === 'EG2' ? { ...attack, expect: (stack) => ({ ...attack.expect(stack), certainty: 'inferred' as const }) } : attack,
    );
    const other = renderCatalogueDoc(changed, stacks, hardened);
    expect(other).not.toBe(rendered);
    expect(section(other, 'EG2')).toContain('| kindnet | allowed | inferred |');
  });

  it('escapes table pipes and keeps only URL autolinks in angle brackets', () => {
    const weird: AttackDefinition = { ...(ATTACKS[0] as AttackDefinition), id: 'X1', title: 'a | b', expect: () => ({ outcome: 'allowed', certainty: 'documented', source: 'x <tag> | y <https://istio.io/a>' }) };
    const doc = renderCatalogueDoc([weird], stacks.slice(0, 1), hardened.slice(0, 1));
    expect(doc).toContain('### X1: a \\| b');
    expect(doc).toContain('- S1: x &lt;tag> \\| y <https://istio.io/a>');
  });
});

import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import {
  buildInpodRules,
  DEFAULT_INPOD_SETTINGS,
  renderInpodRestoreInput,
  renderInpodRule,
  type InpodRule,
} from './inpod-rules.ts';
import { UPSTREAM_FIXTURES_DIR } from '../../../manifests/contract/upstream-fixtures.ts';

/** Istio's own golden, vendored with its provenance (test/fixtures/upstream/provenance.json). */
const GOLDEN = `${UPSTREAM_FIXTURES_DIR}/istio-capture/ambient-inpod-default.golden`;

/** The golden's `-A` lines as `table|-A …`; `--to-port` and `--to-ports` are the same iptables option. */
function goldenAppendLines(): string[] {
  return readFileSync(GOLDEN, 'utf8')
    .split('\n')
    .map((line) => /^iptables -t (\w+) (-A .*)$/.exec(line.trim()))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => `${match[1]}|${(match[2] ?? '').replace(/--to-port (\d)/, '--to-ports $1')}`);
}

const tabled = (rules: readonly InpodRule[]): string[] => rules.map((rule) => `${rule.table}|${renderInpodRule(rule)}`);

describe('ambient in-pod rules against istio-cni\'s golden', () => {
  it('the default settings render the golden line for line, in order', () => {
    expect(tabled(buildInpodRules(DEFAULT_INPOD_SETTINGS))).toEqual(goldenAppendLines());
  });

  it('without DNS capture only the UDP 53 redirect is missing: nothing but TCP is captured', () => {
    const rules = buildInpodRules({ ...DEFAULT_INPOD_SETTINGS, dnsCapture: false });
    expect(tabled(rules)).toEqual(goldenAppendLines().filter((line) => !line.includes('--dport 53')));
    expect(rules.filter((rule) => rule.protocol === 'udp')).toEqual([]);
  });

  it('mark 0x3 exempts from every capture rule and 169.254.7.127 is accepted both ways', () => {
    const rules = buildInpodRules(DEFAULT_INPOD_SETTINGS);
    const captures = rules.filter((rule) => rule.target.kind === 'tproxy' || (rule.target.kind === 'redirect' && rule.protocol === 'tcp'));
    expect(captures).toHaveLength(3);
    for (const rule of captures) expect(rule.mark).toEqual({ value: 0x3, mask: 0xfff, negate: true });
    const probe = rules.filter((rule) => rule.source === '169.254.7.127' || rule.destination?.cidr === '169.254.7.127');
    expect(probe.map((rule) => [rule.table, rule.target.kind])).toEqual([
      ['mangle', 'accept'],
      ['nat', 'accept'],
    ]);
  });
});

describe('after kernel canonicalisation', () => {
  /** Loads restore input into a fresh network namespace and returns `iptables-nft-save`'s rule lines. */
  async function canonical(input: string): Promise<string[]> {
    const netns = `bm-inpod-${randomBytes(3).toString('hex')}`;
    await execa('ip', ['netns', 'add', netns]);
    try {
      await execa('ip', ['netns', 'exec', netns, 'iptables-nft-restore', '--noflush'], { input });
      const saved = await execa('ip', ['netns', 'exec', netns, 'iptables-nft-save']);
      return saved.stdout.split('\n').filter((line) => line.startsWith('-A ') || line.startsWith('*'));
    } finally {
      await execa('ip', ['netns', 'del', netns]);
    }
  }

  it('loads into a real namespace and saves exactly as the golden\'s own rules do', async () => {
    const golden = goldenAppendLines();
    const goldenInput = ['mangle', 'nat']
      .map((table) => {
        const lines = golden.filter((line) => line.startsWith(`${table}|`)).map((line) => line.slice(table.length + 1));
        const chains = [...new Set(lines.map((line) => line.split(' ')[1]).filter((c) => c?.startsWith('ISTIO_')))];
        return [`*${table}`, ...chains.map((chain) => `:${chain} - [0:0]`), ...lines, 'COMMIT'].join('\n');
      })
      .join('\n');
    const ours = await canonical(renderInpodRestoreInput(buildInpodRules(DEFAULT_INPOD_SETTINGS)));
    expect(ours).toEqual(await canonical(`${goldenInput}\n`));
    expect(ours.filter((line) => line.includes('TPROXY'))).toHaveLength(2);
  });
});

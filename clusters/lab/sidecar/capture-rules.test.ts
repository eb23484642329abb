import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { BadInputError } from '../../../core/domain/errors.ts';
import {
  buildCaptureRules,
  captureSettingsFromAnnotations,
  renderRestoreInput,
  renderRule,
  type CaptureSettings,
} from './capture-rules.ts';
import { UPSTREAM_FIXTURES_DIR } from '../../../manifests/contract/upstream-fixtures.ts';

/** Istio's own goldens, vendored with their provenance (test/fixtures/upstream/provenance.json). */
const GOLDEN_DIR = `${UPSTREAM_FIXTURES_DIR}/istio-capture`;

/** The `-A` lines of a golden file, whichever of its two spellings it uses. */
function goldenAppendLines(file: string): string[] {
  return readFileSync(`${GOLDEN_DIR}/${file}`, 'utf8')
    .split('\n')
    .map((line) => line.trim().replace(/^iptables -t nat /, ''))
    .filter((line) => line.startsWith('-A '));
}

const bare: CaptureSettings = {
  proxyUid: 1337,
  proxyGid: 1337,
  outboundPort: 15001,
  inboundPort: 15006,
  inboundPorts: [],
  excludeInboundPorts: [],
  outboundIpRanges: [],
  excludeOutboundIpRanges: [],
  excludeOutboundPorts: [],
};

describe('capture rules against istio-iptables goldens', () => {
  it('inbound wildcard capture renders the golden line for line', () => {
    const lines = buildCaptureRules({ ...bare, inboundPorts: '*' }).map(renderRule);
    expect(lines).toEqual(goldenAppendLines('sidecar-inbound-ports-wildcard.golden'));
  });

  it('excludeOutboundPorts 22,80,443 renders the golden line for line', () => {
    const lines = buildCaptureRules({ ...bare, excludeOutboundPorts: [22, 80, 443] }).map(renderRule);
    expect(lines).toEqual(goldenAppendLines('sidecar-outbound-ports-exclude.golden'));
  });

  it('the annotation path produces the same rules as the golden', () => {
    const settings = captureSettingsFromAnnotations(
      {
        'traffic.sidecar.istio.io/excludeOutboundPorts': '22, 80,443',
        'traffic.sidecar.istio.io/includeInboundPorts': '',
        'traffic.sidecar.istio.io/includeOutboundIPRanges': '',
      },
      'bm-app/x',
    );
    expect(buildCaptureRules(settings).map(renderRule)).toEqual(
      goldenAppendLines('sidecar-outbound-ports-exclude.golden'),
    );
  });
});

describe('capture settings from annotations', () => {
  it('defaults to the full sidecar set: every inbound port but 15090/15021/15020/22, every destination', () => {
    const lines = buildCaptureRules(captureSettingsFromAnnotations({}, 'bm-app/api')).map(renderRule);
    for (const port of [15090, 15021, 15020, 22, 15008]) {
      expect(lines).toContain(`-A ISTIO_INBOUND -p tcp --dport ${port} -j RETURN`);
    }
    expect(lines).toContain('-A ISTIO_INBOUND -p tcp -j ISTIO_IN_REDIRECT');
    expect(lines.at(-1)).toBe('-A ISTIO_OUTPUT -j ISTIO_REDIRECT');
    expect(lines).toContain('-A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN');
    expect(lines).toContain('-A ISTIO_OUTPUT -m owner --gid-owner 1337 -j RETURN');
    // DNS capture is off and nothing but TCP is redirected.
    expect(lines.filter((line) => line.includes('REDIRECT --to-ports')).every((l) => l.includes('-p tcp'))).toBe(true);
    expect(lines.some((line) => line.includes('15053'))).toBe(false);
  });

  it('excludeOutboundIPRanges returns before the final redirect; 0.0.0.0/0 disables capture (SC3)', () => {
    const lines = buildCaptureRules(
      captureSettingsFromAnnotations({ 'traffic.sidecar.istio.io/excludeOutboundIPRanges': '0.0.0.0/0,10.1.2.3' }, 'p'),
    ).map(renderRule);
    const exclude = lines.indexOf('-A ISTIO_OUTPUT -d 0.0.0.0/0 -j RETURN');
    expect(exclude).toBeGreaterThan(0);
    expect(lines).toContain('-A ISTIO_OUTPUT -d 10.1.2.3/32 -j RETURN');
    expect(lines.indexOf('-A ISTIO_OUTPUT -j ISTIO_REDIRECT')).toBeGreaterThan(exclude);
  });

  it('includeOutboundIPRanges lists redirect only those ranges; includeInboundPorts lists only those ports', () => {
    const settings = captureSettingsFromAnnotations(
      {
        'traffic.sidecar.istio.io/includeOutboundIPRanges': '10.96.0.0/12',
        'traffic.sidecar.istio.io/includeInboundPorts': '8080,9090',
        'traffic.sidecar.istio.io/excludeInboundPorts': '9090',
      },
      'p',
    );
    const lines = buildCaptureRules(settings).map(renderRule);
    expect(lines).toContain('-A ISTIO_OUTPUT -d 10.96.0.0/12 -j ISTIO_REDIRECT');
    expect(lines).not.toContain('-A ISTIO_OUTPUT -j ISTIO_REDIRECT');
    expect(lines).toContain('-A ISTIO_INBOUND -p tcp --dport 8080 -j ISTIO_IN_REDIRECT');
    // With an explicit include list the exclude list does not apply (istio-iptables semantics).
    expect(lines).toContain('-A ISTIO_INBOUND -p tcp --dport 9090 -j ISTIO_IN_REDIRECT');
    expect(lines).not.toContain('-A ISTIO_INBOUND -p tcp -j ISTIO_IN_REDIRECT');
  });

  it('rejects bad annotation values naming the annotation', () => {
    expect(() =>
      captureSettingsFromAnnotations({ 'traffic.sidecar.istio.io/excludeOutboundPorts': '80,http' }, 'bm-app/x'),
    ).toThrow(BadInputError);
    expect(() =>
      captureSettingsFromAnnotations({ 'traffic.sidecar.istio.io/excludeOutboundIPRanges': '10.0.0.0/33' }, 'bm-app/x'),
    ).toThrow(/excludeOutboundIPRanges/);
  });
});

describe('capture rules in the kernel (iptables-nft)', () => {
  const netnses: string[] = [];
  async function scratch(): Promise<string> {
    const name = `bmcr-${randomBytes(3).toString('hex')}`;
    await execa('ip', ['netns', 'add', name]);
    netnses.push(name);
    return name;
  }
  async function natSave(netns: string): Promise<string[]> {
    const { stdout } = await execa('ip', ['netns', 'exec', netns, 'iptables-nft-save', '-t', 'nat']);
    return stdout.split('\n').filter((line) => line.startsWith('-A ') || line.startsWith(':ISTIO'));
  }
  afterAll(async () => {
    for (const name of netnses) await execa('ip', ['netns', 'del', name], { reject: false });
  });

  it('loads identically to the golden once the kernel has canonicalised both', async () => {
    const golden = readFileSync(`${GOLDEN_DIR}/sidecar-inbound-ports-wildcard.golden`, 'utf8')
      .split('\n')
      .filter((line) => !line.endsWith('-save'))
      .join('\n')
      .replace('* nat', '*nat');
    const theirs = await scratch();
    await execa('ip', ['netns', 'exec', theirs, 'iptables-nft-restore', '--noflush'], { input: `${golden}\n` });
    const ours = await scratch();
    await execa('ip', ['netns', 'exec', ours, 'iptables-nft-restore', '--noflush'], {
      input: renderRestoreInput(buildCaptureRules({ ...bare, inboundPorts: '*' })),
    });
    const saved = await natSave(ours);
    expect(saved.length).toBeGreaterThan(10);
    expect(saved).toEqual(await natSave(theirs));
  });

  it('the default set loads with the nft backend and `iptables -t nat -F` removes every rule', async () => {
    const netns = await scratch();
    await execa('ip', ['netns', 'exec', netns, 'iptables-nft-restore', '--noflush'], {
      input: renderRestoreInput(buildCaptureRules(captureSettingsFromAnnotations({}, 'p'))),
    });
    expect(await natSave(netns)).toContain('-A ISTIO_OUTPUT -j ISTIO_REDIRECT');
    await execa('ip', ['netns', 'exec', netns, 'iptables', '-t', 'nat', '-F']);
    expect((await natSave(netns)).filter((line) => line.startsWith('-A '))).toEqual([]);
  });
});

import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { HOST_PROBE_SETTINGS, hostProbeRule, renderHostProbeRuleset } from './host-probe-rules.ts';

const members = [
  { ip: '10.244.1.10', pod: 'bm-app/api' },
  { ip: '10.244.1.3', pod: 'bm-app/db' },
];

describe('istio-cni host probe rule', () => {
  it('default (iptables backend): TCP from any local socket to a set member is SNATed to 169.254.7.127', () => {
    expect(hostProbeRule(HOST_PROBE_SETTINGS)).toBe(
      'meta l4proto tcp meta skuid 0-4294967295 ip daddr @istio-inpod-probes-v4 counter snat ip to 169.254.7.127',
    );
  });

  it('nftables backend: only the kubelet UID matches', () => {
    expect(hostProbeRule({ ...HOST_PROBE_SETTINGS, origin: { kind: 'socket-uid', uid: 0 } })).toBe(
      'meta l4proto tcp meta skuid 0 ip daddr @istio-inpod-probes-v4 counter snat ip to 169.254.7.127',
    );
  });

  it('the set is flushed and refilled in the same text, members in address order with their pod as comment', () => {
    const text = renderHostProbeRuleset(HOST_PROBE_SETTINGS, members);
    const lines = text.trim().split('\n');
    expect(lines.at(-2)).toBe('flush set inet istio-ambient-nat istio-inpod-probes-v4');
    expect(lines.at(-1)).toBe('add element inet istio-ambient-nat istio-inpod-probes-v4 { 10.244.1.3 comment "bm-app/db", 10.244.1.10 comment "bm-app/api" }');
    expect(renderHostProbeRuleset(HOST_PROBE_SETTINGS, []).includes('add element')).toBe(false);
  });
});

describe('loaded into a real namespace', () => {
  async function withNetns<T>(body: (netns: string) => Promise<T>): Promise<T> {
    const netns = `bm-probe-${randomBytes(3).toString('hex')}`;
    await execa('ip', ['netns', 'add', netns]);
    try {
      return await body(netns);
    } finally {
      await execa('ip', ['netns', 'del', netns]);
    }
  }
  const load = (netns: string, text: string) => execa('ip', ['netns', 'exec', netns, 'nft', '-f', '-'], { input: text });
  const list = async (netns: string): Promise<string> =>
    (await execa('ip', ['netns', 'exec', netns, 'nft', 'list', 'table', 'inet', 'istio-ambient-nat'])).stdout;

  it('reloading replaces the members (a pod that left is gone) and keeps one rule in a srcnat postrouting chain', async () => {
    const listed = await withNetns(async (netns) => {
      await load(netns, renderHostProbeRuleset(HOST_PROBE_SETTINGS, members));
      const first = await list(netns);
      await load(netns, renderHostProbeRuleset(HOST_PROBE_SETTINGS, [members[0] ?? { ip: '', pod: '' }]));
      return { first, second: await list(netns) };
    });
    expect(listed.first).toContain('elements = { 10.244.1.3 comment "bm-app/db", 10.244.1.10 comment "bm-app/api" }');
    expect(listed.second).toContain('elements = { 10.244.1.10 comment "bm-app/api" }');
    expect(listed.second).not.toContain('10.244.1.3');
    expect(listed.second).toContain('type nat hook postrouting priority srcnat; policy accept;');
    const rules = listed.second.split('\n').filter((line) => line.includes('snat ip to'));
    expect(rules.map((line) => line.trim().replace(/counter packets \d+ bytes \d+/, 'counter'))).toEqual([hostProbeRule(HOST_PROBE_SETTINGS)]);
  });
});

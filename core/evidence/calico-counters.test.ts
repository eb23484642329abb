import { describe, expect, it } from 'vitest';
import type { FlowDescriptor } from '../domain/evidence.ts';
import { cidrContains, parseCalicoCounters, parseCounterDump } from './calico-counters.ts';

// `iptables-save -c` lines as in projectcalico/app-policy#15.
const SAVE_BEFORE = [
  '*filter',
  ':cali-fw-cali4876a21f409 - [0:0]',
  '[418:40128] -A cali-fw-cali4876a21f409 -m comment --comment "cali:c9vomBij68FZfACs" -m mark --mark 0x0/0x20000 -j cali-po-default.database',
  '[418:40128] -A cali-fw-cali4876a21f409 -m comment --comment "cali:GPkQuI7eKRO6Ok6_" -m comment --comment "Return if policy accepted" -m mark --mark 0x10000/0x10000 -j RETURN',
  '[0:0] -A cali-fw-cali4876a21f409 -m comment --comment "cali:ykjyQpE2NwkWpbTd" -m comment --comment "Drop if no policies passed packet" -m mark --mark 0x0/0x20000 -j DROP',
  '[3:180] -A cali-fw-cali5458c730763 -m comment --comment "cali:aaaaaaaaaaaaaaaa" -m comment --comment "Drop if no policies passed packet" -m mark --mark 0x0/0x20000 -j DROP',
  '[7:420] -A cali-fw-cali4876a21f409 -m comment --comment "cali:U_uF6VQoKAohXmTC" -m conntrack --ctstate INVALID -j DROP',
  'COMMIT',
].join('\n');
const SAVE_AFTER = SAVE_BEFORE.replace('[0:0] -A cali-fw-cali4876a21f409', '[2:120] -A cali-fw-cali4876a21f409')
  .replace('[3:180] -A cali-fw-cali5458c730763', '[5:300] -A cali-fw-cali5458c730763')
  .replace('[7:420] -A cali-fw-cali4876a21f409', '[9:540] -A cali-fw-cali4876a21f409');

// `iptables -L -v -x -n` of a policy chain with an explicit Deny (monzo/calico-accountant#4, exact counts).
const LIST = (packets: number) =>
  [
    'Chain cali-po-_iIL2GVSReX3hYOgY4sn (1 references)',
    '    pkts      bytes target     prot opt in     out     source               destination',
    `${packets} 70000 DROP       all  --  *      *       0.0.0.0/0            172.18.0.0/16        /* cali:5MnLDRihpdsyPItp */`,
    '       5      300 MARK       tcp  --  *      *       0.0.0.0/0            10.96.0.10           /* cali:Xq2 */ tcp dpt:53 MARK or 0x10000',
  ].join('\n');

const fromDbPod: FlowDescriptor = { protocol: 'tcp', sourceIp: '10.244.1.5', destinationIp: '172.18.0.9', destinationPort: 9000 };

describe('parseCounterDump', () => {
  it('reads both dump formats with chain, id, packets and target', () => {
    const save = parseCounterDump(SAVE_BEFORE);
    expect(save).toHaveLength(5);
    expect(save[2]).toMatchObject({ chain: 'cali-fw-cali4876a21f409', key: 'cali:ykjyQpE2NwkWpbTd', packets: 0, target: 'DROP' });
    const list = parseCounterDump(LIST(1164));
    expect(list[0]).toMatchObject({ chain: 'cali-po-_iIL2GVSReX3hYOgY4sn', packets: 1164, target: 'DROP', destination: '172.18.0.0/16' });
    expect(list[1]).toMatchObject({ protocol: 'tcp', destinationPort: 53 });
  });

  it('keys a rule without a cali: id by its position in its own chain, in both formats', () => {
    const save = parseCounterDump(
      ['[1:60] -A cali-a -j ACCEPT', '[2:120] -A cali-b -m comment --comment "cali:bbbb" -j DROP', '[3:180] -A cali-b -j DROP', '[4:240] -A cali-a -j DROP'].join('\n'),
    );
    expect(save.map((rule) => `${rule.chain} ${rule.key}`)).toEqual(['cali-a #1', 'cali-b cali:bbbb', 'cali-b #2', 'cali-a #2']);
    const list = parseCounterDump(LIST(7).replace(' /* cali:5MnLDRihpdsyPItp */', ''));
    expect(list.map((rule) => rule.key)).toEqual(['#1', 'cali:Xq2']);
  });
});

describe('parseCalicoCounters', () => {
  it('credits the default deny of the attempt\'s endpoint whose counter rose, not the conntrack INVALID drop', () => {
    const items = parseCalicoCounters({ before: SAVE_BEFORE, after: SAVE_AFTER, flow: fromDbPod, interfaces: ['cali4876a21f409'], sourceInterface: 'cali4876a21f409' });
    expect(items).toEqual([
      {
        layer: 'cni',
        source: 'calico-counter',
        verdict: 'denied',
        raw: '[2:120] -A cali-fw-cali4876a21f409 -m comment --comment "cali:ykjyQpE2NwkWpbTd" -m comment --comment "Drop if no policies passed packet" -m mark --mark 0x0/0x20000 -j DROP',
        rule: 'cali-fw-cali4876a21f409',
        detail: 'default deny (no policy passed the packet) in cali-fw-cali4876a21f409 dropped 2 more packets',
        matched: ['source-interface'],
      },
    ]);
  });

  it('never confirms on a shared chain: a destination\'s or a policy\'s drop counter may be another attempt\'s', () => {
    const toDb = parseCalicoCounters({ before: SAVE_BEFORE, after: SAVE_AFTER, flow: fromDbPod, interfaces: ['cali4876a21f409'], sourceInterface: 'cali0ther0000000' });
    expect(toDb.map((item) => item.verdict)).toEqual(['observed']);
    expect(toDb[0]?.detail).toContain('may be another attempt');
    expect(parseCalicoCounters({ before: LIST(1164), after: LIST(1165), flow: fromDbPod, sourceInterface: 'cali4876a21f409' })[0]?.verdict).toBe('observed');
  });

  it('reads an explicit Deny in a policy chain when its destination covers the flow (an observation: the chain is shared)', () => {
    const items = parseCalicoCounters({ before: LIST(1164), after: LIST(1165), flow: fromDbPod });
    expect(items.map((item) => [item.verdict, item.detail?.split(';')[0]])).toEqual([['observed', 'policy Deny rule in cali-po-_iIL2GVSReX3hYOgY4sn dropped 1 more packet']]);
  });

  it('says nothing when no counter rose or the rule does not cover the flow', () => {
    expect(parseCalicoCounters({ before: LIST(1164), after: LIST(1164), flow: fromDbPod })).toEqual([]);
    const elsewhere: FlowDescriptor = { ...fromDbPod, destinationIp: '1.1.1.1' };
    expect(parseCalicoCounters({ before: LIST(1164), after: LIST(1170), flow: elsewhere })).toEqual([]);
  });

  it('checks CIDR containment for IPv4', () => {
    expect(cidrContains('172.18.0.0/16', '172.18.200.1')).toBe(true);
    expect(cidrContains('172.18.0.0/16', '172.19.0.1')).toBe(false);
    expect(cidrContains('10.0.0.5', '10.0.0.5')).toBe(true);
  });
});

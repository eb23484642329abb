import { describe, expect, it } from 'vitest';
import type { FlowDescriptor, TimeWindow } from '../domain/evidence.ts';
import { parseCalicoLog } from './calico-log.ts';

// The kernel LOG target's format (as in the syslog lines of gist theonewolf/7829761) with Calico's prefix.
const SYN_TO_SINK =
  'Jul 15 01:32:14 kind-worker2 kernel: [1033918.821626] calico-packet: IN=cali7331f3f3ad8 OUT=eth0 MAC=ee:ee:ee:ee:ee:ee:92:34:10:65:b5:ee:08:00 SRC=10.244.3.30 DST=172.18.0.9 LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=35557 DF PROTO=TCP SPT=44525 DPT=9000 WINDOW=64240 RES=0x00 SYN URGP=0 MARK=0x10000';
const UDP_OTHER_POD =
  'Jul 15 01:32:14 kind-worker2 kernel: [1033918.900000] calico-packet: IN=cali883409cde35 OUT=eth0 MAC=ee:ee:ee:ee:ee:ee:aa:bb:cc:dd:ee:ff:08:00 SRC=10.244.3.31 DST=172.18.0.9 LEN=40 TOS=0x00 PREC=0x00 TTL=63 ID=1 PROTO=UDP SPT=5000 DPT=9001 LEN=20';
const LATER_SYN =
  'Jul 15 01:45:00 kind-worker2 kernel: [1034700.000000] calico-packet: IN=cali7331f3f3ad8 OUT=eth0 SRC=10.244.3.30 DST=172.18.0.9 LEN=60 TTL=63 DF PROTO=TCP SPT=44600 DPT=9000 SYN URGP=0';
const DMESG_DROP =
  '[1033918.821700] calico-drop: IN=cali7331f3f3ad8 OUT=eth0 SRC=10.244.3.30 DST=172.18.0.9 LEN=60 TTL=63 DF PROTO=TCP SPT=44526 DPT=9000 SYN URGP=0';
const OTHER_KERNEL_LINE = 'Jul 15 01:32:14 kind-worker2 kernel: [1033918.1] IPv6: ADDRCONF(NETDEV_CHANGE): cali7331f3f3ad8: link becomes ready';

const window: TimeWindow = { from: new Date('2025-07-15T01:32:12Z'), to: new Date('2025-07-15T01:32:16Z') };
const toSinkTcp: FlowDescriptor = { protocol: 'tcp', sourceIp: '10.244.3.30', destinationIp: '172.18.0.9', destinationPort: 9000 };

describe('parseCalicoLog', () => {
  it('is a denial when the policy puts the Log rule before a Deny', () => {
    const items = parseCalicoLog([OTHER_KERNEL_LINE, SYN_TO_SINK].join('\n'), toSinkTcp, window, 'precedes-deny');
    expect(items).toEqual([
      {
        layer: 'cni',
        source: 'calico-log',
        verdict: 'denied',
        raw: SYN_TO_SINK,
        detail: 'Calico logged and dropped 10.244.3.30 → 172.18.0.9:9000 (TCP, in cali7331f3f3ad8, out eth0)',
        at: '2025-07-15T01:32:14.000Z',
        matched: ['window', 'protocol', 'source-ip', 'destination-ip', 'destination-port'],
      },
    ]);
  });

  it('is only an observation when nobody said the Log rule guards a Deny', () => {
    const [item] = parseCalicoLog(SYN_TO_SINK, toSinkTcp, window);
    expect(item?.verdict).toBe('observed');
  });

  it('reads calico-drop (LogAndDrop) as a denial; a dmesg line has no wall time and is not window-checked', () => {
    const [item] = parseCalicoLog(DMESG_DROP, toSinkTcp, window);
    expect(item?.verdict).toBe('denied');
    expect(item?.at).toBeUndefined();
  });

  it('skips other sources, other protocols and lines outside the window', () => {
    expect(parseCalicoLog([UDP_OTHER_POD, LATER_SYN].join('\n'), toSinkTcp, window, 'precedes-deny')).toEqual([]);
    expect(parseCalicoLog(SYN_TO_SINK, { ...toSinkTcp, protocol: 'udp', destinationPort: undefined }, window, 'precedes-deny')).toEqual([]);
  });
});

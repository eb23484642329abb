import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { inNetns, parseProcNetTable, socketInodes } from './proc-sockets.ts';
import { readFile } from 'node:fs/promises';

// Lines as /proc/net/tcp and /proc/net/udp print them (header, a listener, an established connection).
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 53211 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F90 0100007F:A2C4 01 00000000:00000000 00:00000000 00000000     0        0 53300 1 0000000000000000 20 4 30 10 -1
`;
const UDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  100: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 61000 2 0000000000000000 0
`;

describe('/proc socket tables', () => {
  it('reads listening TCP and bound UDP ports with their inodes, skipping connections', () => {
    expect(parseProcNetTable(TCP, 'TCP')).toEqual([{ protocol: 'TCP', port: 8080, inode: 53211 }]);
    expect(parseProcNetTable(UDP, 'UDP')).toEqual([{ protocol: 'UDP', port: 53, inode: 61000 }]);
  });

  it('sees a listener this process opened, owned by this process, in its own namespace', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const sockets = [...parseProcNetTable(await readFile('/proc/self/net/tcp', 'utf8'), 'TCP')];
      const mine = await socketInodes(process.pid);
      const listener = sockets.find((socket) => socket.protocol === 'TCP' && socket.port === port);
      expect(listener).toBeDefined();
      expect(mine.has(listener?.inode ?? -1)).toBe(true);
      expect(await inNetns(process.pid, 'bm-no-such-namespace')).toBe(false);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

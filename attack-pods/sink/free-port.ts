import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { InfrastructureError } from '../../core/domain/errors.ts';

const ATTEMPTS = 20;

function bindTcp(host: string, port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen({ host, port, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

function bindUdp(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind({ address: host, port, exclusive: true }, () => socket.close(() => resolve(true)));
  });
}

/**
 * A high port that is free right now on `host` for TCP and, with `udpToo`, for UDP as well (DNS needs both).
 * For tests that must pass ports as flags; a service that can take port 0 should take it instead.
 */
export async function freePort(host: string, options: { readonly udpToo?: boolean } = {}): Promise<number> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const port = await bindTcp(host, 0);
    if (port === undefined) continue;
    if (!options.udpToo || (await bindUdp(host, port))) return port;
  }
  throw new InfrastructureError('free-port', `no free port on ${host} after ${ATTEMPTS} attempts`);
}

import type { SinkAddress } from '../../core/domain/scene-addresses.ts';
import { SCENE } from '../scene.ts';

/** The scene's sink at `ip` (where the provider runs it): the scene's ports and the exfil zone it answers for. */
export function sceneSinkAddress(ip: string): SinkAddress {
  return {
    ip,
    httpPort: SCENE.sink.httpPort,
    tcpPort: SCENE.sink.tcpPort,
    udpPort: SCENE.sink.udpPort,
    dnsPort: SCENE.sink.dnsPort,
    dnsZone: SCENE.exfilZone,
  };
}

import type { KubeObject } from '../../../core/domain/cluster.ts';
import { selects, type WorkloadRef } from './istio-objects.ts';

/**
 * Which inbound ports the lab sidecar treats as HTTP (L7 authorization, 403 answers) and which as opaque
 * TCP (connection closed on denial). Istio decides by the Service port: a name `http`, `http-*`, `http2*`,
 * `grpc*` or an `appProtocol` of http/http2/grpc means HTTP, `tcp*` means TCP. The lab uses the same rule
 * when a Service selecting the pod is among the objects it was given; without one it falls back to the
 * scene's convention: 80, 8000, 8080, 8081 and 9090 are HTTP (api:8080, api metrics 9090, sink 8080/8081),
 * everything else (db:5432, sink 9000) is TCP.
 */
export const HTTP_PORTS_BY_CONVENTION: readonly number[] = [80, 8000, 8080, 8081, 9090];

const HTTP_NAME = /^(http|http2|grpc|grpc-web)(-|$)/;

interface ServicePort {
  readonly name?: string;
  readonly port?: number;
  readonly targetPort?: number | string;
  readonly appProtocol?: string;
}

/** Istio's protocol selection for one Service port: HTTP by `appProtocol` or name, else TCP. */
export function isHttpServicePort(port: { readonly name?: string; readonly appProtocol?: string }): boolean {
  return HTTP_NAME.test((port.appProtocol ?? port.name ?? '').toLowerCase());
}

function servicePorts(object: KubeObject, workload: WorkloadRef): ServicePort[] {
  if (object.kind !== 'Service' || object.metadata.namespace !== workload.namespace) return [];
  const spec = object['spec'];
  if (typeof spec !== 'object' || spec === null) return [];
  const { selector, ports } = spec as { selector?: Record<string, string>; ports?: ServicePort[] };
  if (selector === undefined || !selects(selector, workload.labels)) return [];
  return Array.isArray(ports) ? ports : [];
}

/** The HTTP ports of a workload: Service-declared ones win, the convention fills the rest. */
export function httpPorts(objects: readonly KubeObject[], workload: WorkloadRef): number[] {
  const http = new Set(HTTP_PORTS_BY_CONVENTION);
  for (const object of objects) {
    for (const port of servicePorts(object, workload)) {
      const target = typeof port.targetPort === 'number' ? port.targetPort : port.port;
      if (target === undefined) continue;
      const protocol = (port.appProtocol ?? port.name ?? '').toLowerCase();
      if (HTTP_NAME.test(protocol)) http.add(target);
      else if (protocol.startsWith('tcp')) http.delete(target);
    }
  }
  return [...http].sort((a, b) => a - b);
}

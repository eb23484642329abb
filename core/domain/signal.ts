/**
 * What the attacker's client saw. Attack scripts print exactly one JSON result line carrying one of these;
 * attribution narrows the blocking layer from it and confirms with the layers' own records.
 */
export const CLIENT_SIGNALS = [
  'delivered', // the request reached its target / the sink (for exfiltration: the sink confirms separately)
  'connected', // a TCP connection was established and a response came back (non-HTTP probes)
  'http-ok', // any HTTP response from the real target (2xx–4xx that the target itself produced)
  'http-403', // Envoy `RBAC: access denied` (sidecar or waypoint)
  'http-403-cilium', // Cilium L7 proxy `Access denied`
  'http-502', // Envoy BlackHoleCluster / REGISTRY_ONLY
  'header-stripped', // the target answered, but a header the client forged never reached it (a proxy removed or replaced it)
  'timeout', // silent drop (curl 28, nc timeout)
  'refused', // TCP RST on connect (curl 7)
  'reset', // connection reset or closed after the handshake (curl 52/56)
  'tls-error', // TLS handshake failed (curl 35)
  'admission-denied', // the API server (or the lab's PSA) rejected the attacker pod
  'nxdomain', // DNS said the name does not exist
  'dns-refused', // DNS REFUSED / SERVFAIL (Cilium DNS proxy)
  'permission-denied', // the script itself lacked a privilege (e.g. iptables without NET_ADMIN)
  'unreachable', // ICMP unreachable / no route
  'error', // the script failed for a reason that says nothing about the network
] as const;
export type ClientSignal = (typeof CLIENT_SIGNALS)[number];

/** Signals that mean the attempt got through at the client's end. */
export const PASS_SIGNALS: ReadonlySet<ClientSignal> = new Set(['delivered', 'connected', 'http-ok']);

/** Signals that mean something on the path stopped the attempt. */
export const BLOCK_SIGNALS: ReadonlySet<ClientSignal> = new Set([
  'http-403',
  'http-403-cilium',
  'http-502',
  'header-stripped',
  'timeout',
  'refused',
  'reset',
  'tls-error',
  'admission-denied',
  'nxdomain',
  'dns-refused',
  'unreachable',
]);

export function isClientSignal(value: unknown): value is ClientSignal {
  return typeof value === 'string' && (CLIENT_SIGNALS as readonly string[]).includes(value);
}

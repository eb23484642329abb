/**
 * What an Istio sidecar's HTTP connection manager does to the request headers a client sends, as the lab sidecar
 * reproduces it on its inbound HTTP hop. The pure model (`forwardedRequestHeaders`) and the HAProxy lines
 * (`renderForwardedHeaders`) come from the same lists; forwarded-headers.integration.test.ts checks one against the other.
 *
 * Sources, at the pinned Istio 1.31 line (tag 1.31.0-rc.0, the nearest tag of the pin in istio/istio):
 * - x-forwarded-client-cert: Istio sets `forward_client_cert_details: APPEND_FORWARD` on sidecar listeners
 *   (pilot/pkg/networking/util/proxy_headers.go `GetProxyHeadersFromProxyConfig`). Envoy removes the header whenever
 *   the downstream connection is not mutual TLS, and with APPEND_FORWARD appends the peer's details otherwise
 *   (envoyproxy/envoy source/common/http/conn_manager_utility.cc `mutateXfccRequestHeader`). A client's own XFCC
 *   therefore dies at its own sidecar (the app → sidecar hop is plaintext) or, without one, at the destination's; the
 *   workload sees only `By=<its identity>;…;URI=<the peer's>`. The lab's outbound hop is L4, so both removals happen
 *   here; the lab writes By, Subject and URI, not Hash (the peer certificate's digest stays on the TLS hop).
 * - x-forwarded-for: sidecars run with `use_remote_address: false` (pilot/pkg/networking/core/listener_builder.go,
 *   PILOT_SIDECAR_USE_REMOTE_ADDRESS defaults to false), so Envoy neither appends to nor replaces the header: it
 *   reaches the workload as the client wrote it (conn_manager_utility.cc `mutateRequestHeaders`).
 * - x-envoy-* internal headers: Envoy removes them from every request it does not deem internal
 *   (conn_manager_utility.cc `cleanInternalHeaders`). Since Envoy 1.33 no address is internal unless
 *   `internal_address_config` says so, and Istio sets it on sidecars only with useRemoteAddress or
 *   ENABLE_HCM_INTERNAL_NETWORKS, both off by default (listener_builder.go): every request is external, a forged
 *   single-address x-forwarded-for included (the CVE-2024-45806 class is closed on the pinned release).
 */

import { BadInputError } from '../../../core/domain/errors.ts';

/** Headers Envoy's `cleanInternalHeaders` removes from external requests, plus `x-envoy-internal`, which it always resets. */
export const ENVOY_INTERNAL_ONLY_HEADERS = [
  'x-envoy-internal',
  'x-envoy-retriable-status-codes',
  'x-envoy-retriable-header-names',
  'x-envoy-retry-on',
  'x-envoy-retry-grpc-on',
  'x-envoy-max-retries',
  'x-envoy-upstream-alt-stat-name',
  'x-envoy-upstream-rq-timeout-ms',
  'x-envoy-upstream-rq-per-try-timeout-ms',
  'x-envoy-upstream-rq-timeout-alt-response',
  'x-envoy-expected-rq-timeout-ms',
  'x-envoy-force-trace',
  'x-envoy-ip-tags',
  'x-envoy-original-url',
  'x-envoy-hedge-on-per-try-timeout',
] as const;

export const XFCC_HEADER = 'x-forwarded-client-cert';

/** The connection a request arrived on, as far as header handling cares. */
export interface InboundConnection {
  /** `cluster.local/ns/N/sa/S` of the mTLS peer; undefined for plaintext. */
  readonly peerPrincipal: string | undefined;
  /** This sidecar's own principal (the `By=` of the XFCC it writes). */
  readonly localPrincipal: string;
}

/** The XFCC value Envoy's APPEND_FORWARD writes for an mTLS peer, as the lab renders it (no Hash). */
export function xfccFor(connection: { readonly peerPrincipal: string; readonly localPrincipal: string }): string {
  return `By=spiffe://${connection.localPrincipal};Subject="";URI=spiffe://${connection.peerPrincipal}`;
}

/** The headers the workload receives for `headers` (names in lower case) arriving on `connection`. */
export function forwardedRequestHeaders(headers: Readonly<Record<string, string>>, connection: InboundConnection): Record<string, string> {
  const internalOnly = new Set<string>(ENVOY_INTERNAL_ONLY_HEADERS);
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase();
    if (internalOnly.has(key) || key === XFCC_HEADER) continue;
    result[key] = value;
  }
  if (connection.peerPrincipal !== undefined) {
    result[XFCC_HEADER] = xfccFor({ peerPrincipal: connection.peerPrincipal, localPrincipal: connection.localPrincipal });
  }
  return result;
}

/**
 * HAProxy lines for the inbound HTTP backend: drop the internal-only headers and the client's XFCC, then write the
 * peer's XFCC when the connection was mTLS (`principalVar` holds the peer principal only then).
 */
export function renderForwardedHeaders(localPrincipal: string, principalVar: string): string[] {
  if (!/^[A-Za-z0-9._/-]+$/.test(localPrincipal)) {
    throw new BadInputError(`principal "${localPrincipal}" cannot be written into an HAProxy line`, 'lab sidecar', 'letters, digits, . _ / -');
  }
  const xfcc = xfccFor({ localPrincipal, peerPrincipal: `%[var(${principalVar})]` }).replaceAll('"', '\\"');
  return [
    ...ENVOY_INTERNAL_ONLY_HEADERS.map((name) => `http-request del-header ${name}`),
    `http-request del-header ${XFCC_HEADER}`,
    `http-request set-header ${XFCC_HEADER} "${xfcc}" if { var(${principalVar}) -m found }`,
  ];
}

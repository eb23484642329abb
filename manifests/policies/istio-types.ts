/**
 * The subset of Istio's `security.istio.io/v1` and `networking.istio.io/v1` kinds, and of Gateway API's
 * `gateway.networking.k8s.io/v1` Gateway, that the harness writes (schemas: test/fixtures/upstream/schemas/istio, gateway-api).
 */
export interface NamespacedMetadata {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface WorkloadSelector {
  readonly matchLabels: Readonly<Record<string, string>>;
}

export interface PolicyTargetReference {
  readonly group: string;
  readonly kind: 'Service' | 'Gateway' | 'ServiceEntry';
  readonly name: string;
}

export interface AuthorizationSource {
  readonly principals?: readonly string[];
}

/** `methods` and `paths` are L7 fields: ztunnel cannot enforce them, so they only appear in policies bound to a proxy. */
export interface AuthorizationOperation {
  readonly ports?: readonly string[];
  readonly methods?: readonly string[];
  readonly paths?: readonly string[];
  readonly hosts?: readonly string[];
}

export interface AuthorizationRule {
  readonly from?: readonly { readonly source: AuthorizationSource }[];
  readonly to?: readonly { readonly operation: AuthorizationOperation }[];
}

export interface AuthorizationPolicy {
  readonly apiVersion: 'security.istio.io/v1';
  readonly kind: 'AuthorizationPolicy';
  readonly metadata: NamespacedMetadata;
  readonly spec: {
    readonly selector?: WorkloadSelector;
    readonly targetRefs?: readonly PolicyTargetReference[];
    readonly action: 'ALLOW' | 'DENY';
    readonly rules: readonly AuthorizationRule[];
  };
}

export interface PeerAuthentication {
  readonly apiVersion: 'security.istio.io/v1';
  readonly kind: 'PeerAuthentication';
  readonly metadata: NamespacedMetadata;
  readonly spec: { readonly mtls: { readonly mode: 'STRICT' | 'PERMISSIVE' | 'DISABLE' } };
}

export interface IstioSidecar {
  readonly apiVersion: 'networking.istio.io/v1';
  readonly kind: 'Sidecar';
  readonly metadata: NamespacedMetadata;
  readonly spec: {
    readonly outboundTrafficPolicy: { readonly mode: 'REGISTRY_ONLY' | 'ALLOW_ANY' };
    /** `namespace/dnsName` hosts the proxies may reach (Sidecar `egress[].hosts`). */
    readonly egress?: readonly { readonly hosts: readonly string[] }[];
  };
}

export interface WaypointGateway {
  readonly apiVersion: 'gateway.networking.k8s.io/v1';
  readonly kind: 'Gateway';
  readonly metadata: NamespacedMetadata;
  readonly spec: {
    readonly gatewayClassName: string;
    readonly listeners: readonly { readonly name: string; readonly port: number; readonly protocol: string }[];
  };
}

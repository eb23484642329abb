/**
 * The scene every stack gets: names, namespaces, ports and labels
 * shared by the manifest builders, the attacks, the lab and the kind provider. Change them here only.
 */
export const SCENE = {
  namespaces: {
    /** In the mesh where there is one; default-deny. */
    app: 'bm-app',
    /** Outside the mesh; PSA baseline enforced. */
    rogue: 'bm-rogue',
    /** PSA privileged: where privileged variants measure the data plane. */
    privileged: 'bm-privileged',
  },
  workloads: {
    frontend: { name: 'frontend', serviceAccount: 'frontend', port: 8080 },
    api: { name: 'api', serviceAccount: 'api', port: 8080, metricsPort: 9090 },
    db: { name: 'db', serviceAccount: 'db', port: 5432 },
    intruder: { name: 'intruder', serviceAccount: 'intruder' },
    rogue: { name: 'rogue', serviceAccount: 'rogue' },
  },
  /** Label every object the run makes carries, so a sweep can find leftovers. */
  managedByLabel: { key: 'app.kubernetes.io/managed-by', value: 'breachmatrix' },
  runIdLabel: 'breachmatrix.dev/run-id',
  /** The label workloads are selected by. */
  appLabel: 'app',
  /** DNS zone the sink is authoritative for. */
  exfilZone: 'exfil.test',
  /** Sink ports (same in the lab and in the kind side container). */
  sink: { httpPort: 8080, tcpPort: 9000, udpPort: 9001, dnsPort: 53, queryPort: 8081 },
  /** Emulated cloud metadata endpoint. */
  metadata: { ip: '169.254.169.254', port: 80 },
  /** kubelet probes in ambient are SNATed to this address (istio.io ambient NetworkPolicy page). */
  ambientProbeSource: '169.254.7.127/32',
  /** ambient HBONE port. */
  hbonePort: 15008,
  /** Istio proxy UID/GID, exempt from capture. */
  proxyUid: 1337,
  /** Envoy ports. */
  envoy: { admin: 15000, outbound: 15001, inbound: 15006, health: 15021, agent: 15020, stats: 15090 },
  /**
   * Who asks the API server for each pod (`request.userInfo.username` in admission). `harness`: the identity the
   * harness applies the scene with — kind's admin kubeconfig user, whose client certificate kubeadm issues as
   * `kubernetes-admin` in group `kubeadm:cluster-admins` (https://kubernetes.io/docs/setup/best-practices/certificates/);
   * the lab names its own requests the same way. `podCreator`: a user who may create pods in bm-app and nothing
   * more (RBAC in scene/pod-creator-rbac.ts) — the attacker of an identity claim (LM2), impersonated on kind.
   */
  requesters: {
    harness: { username: 'kubernetes-admin', groups: ['kubeadm:cluster-admins', 'system:authenticated'] },
    podCreator: { username: 'breachmatrix-pod-creator', groups: ['system:authenticated'] },
  },
  attackerImage: 'breachmatrix/attacker:dev',
  sinkImage: 'breachmatrix/sink:dev',
} as const;

export type WorkloadName = keyof typeof SCENE.workloads;

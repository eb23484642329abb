/**
 * Every timeout the harness uses, in one place. Values are milliseconds unless the name says otherwise.
 * A blocked attempt costs one short connect timeout; everything slow (provisioning) has its own named budget.
 */
export const TIMEOUTS = {
  /** Attack scripts: TCP connect timeout (curl --connect-timeout, nc -w), seconds. */
  connectSeconds: 2,
  /** Attack scripts: whole-request budget (curl --max-time), seconds. */
  requestSeconds: 4,
  /** DNS lookups in scripts (dig +time), seconds. */
  dnsSeconds: 2,
  /** Deadline for one script exec, a little above the script's own budget so its result line is read. */
  scriptExecMs: 15_000,
  /**
   * Eavesdropping: the victim sends only after the sniffer's script reports its capture open (tcpdump's "listening
   * on"); without that report within this budget the cell is `error`. Well inside captureMaxSeconds.
   */
  captureOpenMs: 5_000,
  /**
   * Eavesdropping: the longest a capture runs, seconds from tcpdump's start (the harness normally ends it sooner, once
   * the victim's request returned). Only an upper bound: it leaves the script's start and its parsing room inside
   * scriptExecMs (12 of 15 s), so a slow victim on a loaded machine still sends inside the capture.
   */
  captureMaxSeconds: 12,
  /**
   * Eavesdropping: after the victim's request returned (or the control's own send), the capture stays open this long
   * before its stop marker is sent, so the flow's last packets (its FIN, the final ACK) are captured too.
   */
  captureDrainMs: 1_000,
  /** Eavesdropping: the exec that ends a capture from the sniffer's own pod (one marker datagram, attack-pods/script-stop.ts). */
  captureStopMs: 5_000,
  /** How long the sink is polled for a canary after the attempt ended (UDP/ICMP arrive late). */
  sinkSettleMs: 1_500,
  /**
   * Lab: pod (network namespace + processes, a sidecar's proxy included) ready. Under a loaded 2-core machine a
   * proxy can take seconds to listen; only a slow pod pays this, never a blocked attempt.
   */
  labPodReadyMs: 20_000,
  /** Lab: one listing of a namespace's listening TCP sockets (`ss` in the namespace), polled while a pod starts. */
  labSocketListMs: 5_000,
  /** kind: attacker pod scheduled and running. */
  kindPodReadyMs: 120_000,
  /** Evidence collection for one attempt (log reads, counter dumps). */
  evidenceMs: 20_000,
  /**
   * Attack suites start with their profile's provisioning and their tests wait for its cluster. Creation, each
   * component and the scene self-test have their own budgets above; this only bounds a test waiting on a hung one.
   */
  profileReadyMs: 1_800_000,
  /** Scene self-test: each flow the policies deny must turn from allowed to denied within this. */
  convergenceMs: 120_000,
  /** Scene self-test: spacing of the probes of one denied flow. */
  convergenceProbeIntervalMs: 1_000,
  /** Depth on kube providers: a deleted policy object must read back absent (finalizers) within this. */
  ablationDeleteMs: 60_000,
  /** Depth on kube providers: spacing of those reads. */
  ablationPollMs: 500,
  /** kind: cluster creation. */
  kindCreateMs: 600_000,
  /** kind: one stack component (CNI, istiod, ztunnel…) becoming ready. */
  componentReadyMs: 600_000,
  /** Teardown of one cluster; past it the run still exits and names what is left. */
  teardownMs: 120_000,
  /** kind: after the CoreDNS rollout, a pod's lookup in the exfiltration zone must reach the sink within this. */
  corednsForwardingMs: 180_000,
  /** Pause before a Kubernetes watch that ended (server close, client idle abort) is started again… */
  watchRestartMs: 250,
  /** …doubling while restarts bring no event, up to this. */
  watchRestartMaxMs: 8_000,
  /** Tool download (kind, helm) per file. */
  downloadMs: 300_000,
  /** `clean`: a broker folder with no socket this long after it was made belongs to no starting run. */
  brokerSocketGraceMs: 60_000,
  /** doctor: one host probe (`docker version`, a throwaway-namespace iptables rule, a HEAD request). */
  doctorProbeMs: 10_000,
  /** The spawner process died: how often a process it had started is checked for being gone. */
  spawnerOrphanPollMs: 50,
} as const;

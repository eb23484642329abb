import { FIX, rating, when, type AdviceTable } from '../fix-builders.ts';
import { REF } from '../references.ts';

/** Severity and fixes of the host-network family. */
export const HOST_NETWORK_ADVICE: AdviceTable = {
  HN2: {
    severity: rating('high', 'a host-network pod speaks with the node\'s address, outside pod identity and the mesh'),
    fixes: () => [FIX.podSecurityBaseline('hostNetwork')],
  },
  'HN2-priv': {
    severity: rating('high', 'a host-network pod in a privileged namespace calls pods on other nodes with a node address'),
    fixes: (stack) => [
      FIX.defaultDenyIngress('node addresses are not among the allowed clients'),
      FIX.strictMtls(stack.mesh === 'istio-ambient' ? 'mesh-ztunnel' : 'mesh-sidecar'),
      FIX.podSecurityBaseline('hostNetwork'),
    ],
  },
  HN3: {
    severity: rating('high', 'a pod reaches the kubelet and the API server directly'),
    fixes: (stack) => [
      FIX.defaultDenyEgress('node IPs and the API server are not in the allow-list'),
      ...when(stack.cni === 'cilium', FIX.ciliumEntities('leave out host, remote-node and kube-apiserver')),
      { layer: 'api', feature: 'Kubelet authentication/authorization', policy: 'anonymous auth off, webhook authorization on (a 401 still proves reach: keep the network fix)', source: REF.kubeletAuth },
    ],
  },
  'HN3-nodeport': {
    severity: rating('medium', 'a NodePort on a node IP is reachable from any pod'),
    fixes: (stack) => [
      FIX.defaultDenyEgress('node IPs are not in the allow-list'),
      ...when(stack.cni === 'cilium', FIX.ciliumEntities('leave out host and remote-node')),
    ],
  },
  HN4: {
    severity: rating('critical', 'nsenter into the node\'s network namespace is a node compromise'),
    fixes: () => [FIX.podSecurityBaseline('hostPID and privileged')],
  },
  'HN4-priv': {
    severity: rating('critical', 'in a privileged namespace, nsenter into the node\'s network namespace: no network layer applies any more'),
    fixes: () => [FIX.podSecurityBaseline('hostPID and privileged'), FIX.refusePodSpec('set privileged, hostPID or hostNetwork, outside the platform\'s own namespaces')],
  },
  HN5: {
    severity: rating('medium', 'Calico failsafe ports stay open on every node even under a host endpoint default-deny'),
    fixes: (stack) => [FIX.podSecurityBaseline('hostNetwork'), ...when(stack.cni === 'calico', calicoFailsafeFix())],
  },
  'HN5-priv': {
    severity: rating('medium', 'a host-network pod in a privileged namespace reaches another node\'s failsafe ports'),
    fixes: (stack) => [...when(stack.cni === 'calico', calicoFailsafeFix()), FIX.podSecurityBaseline('hostNetwork')],
  },
  HN6: {
    severity: rating('medium', 'an accepted rogue RA lets a pod become the node\'s IPv6 router: a man in the middle for the node\'s IPv6 traffic (CVE-2020-10749, CVSS 6.0)'),
    fixes: () => [
      FIX.dropNetRaw(),
      {
        layer: 'cni',
        feature: 'a CNI release with the CVE-2020-10749 fix (CNI plugins >= v0.8.6, Calico >= 3.14.1), or the node sysctl net.ipv6.conf.all.accept_ra=0',
        policy: 'the node never takes router advertisements from a pod interface',
        source: REF.cve202010749,
      },
    ],
  },
  HN7: {
    severity: rating('medium', 'a pod reaches services its node binds to 127.0.0.1 only, trusted as local (CVE-2020-8558)'),
    fixes: () => [
      FIX.dropNetRaw(),
      FIX.defaultDenyEgress('no rule allows 127.0.0.0/8 or the node'),
      {
        layer: 'cni',
        feature: 'node sysctl net.ipv4.conf.all.route_localnet=0, or kubelet/kube-proxy\'s KUBE-FIREWALL rule (Kubernetes >= 1.18.4)',
        policy: 'non-local packets to 127.0.0.0/8 are dropped on every node; keep route_localnet off unless localhost NodePorts are needed',
        source: REF.cve20208558,
      },
    ],
  },
};

function calicoFailsafeFix() {
  return {
    layer: 'cni',
    feature: 'Calico FelixConfiguration failsafeInboundHostPorts',
    policy: 'narrow the failsafe ports to what the cluster needs (e.g. the API server and etcd from control-plane addresses only)',
    source: REF.calicoFelixFailsafe,
  } as const;
}

import { z } from 'zod';

/**
 * The kind v1alpha4 Cluster config as a strict schema, written from kind v0.32.0's pkg/apis/config/v1alpha4/types.go
 * (https://github.com/kubernetes-sigs/kind/blob/v0.32.0/pkg/apis/config/v1alpha4/types.go):
 * kind decodes its config strictly, so an unknown field here is an unknown field there.
 */
const portRange = z.int().min(-1).max(65535);
const patch6902 = z.strictObject({ group: z.string(), version: z.string(), kind: z.string(), patch: z.string() });
const cidr = z.string().regex(/^[0-9a-f:.]+\/\d{1,3}$/i);

const nodeSchema = z.strictObject({
  role: z.enum(['control-plane', 'worker']).optional(),
  image: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  extraMounts: z
    .array(
      z.strictObject({
        hostPath: z.string(),
        containerPath: z.string(),
        readOnly: z.boolean().optional(),
        selinuxRelabel: z.boolean().optional(),
        propagation: z.enum(['None', 'HostToContainer', 'Bidirectional']).optional(),
      }),
    )
    .optional(),
  extraPortMappings: z
    .array(
      z.strictObject({
        containerPort: portRange,
        hostPort: portRange.optional(),
        listenAddress: z.string().optional(),
        protocol: z.enum(['TCP', 'UDP', 'SCTP']).optional(),
      }),
    )
    .optional(),
  kubeadmConfigPatches: z.array(z.string()).optional(),
  kubeadmConfigPatchesJSON6902: z.array(patch6902).optional(),
});

export const kindConfigSchema = z.strictObject({
  kind: z.literal('Cluster'),
  apiVersion: z.literal('kind.x-k8s.io/v1alpha4'),
  name: z.string().optional(),
  nodes: z
    .array(nodeSchema)
    .min(1)
    .refine((nodes) => nodes.some((node) => (node.role ?? 'control-plane') === 'control-plane'), 'at least one control-plane node')
    .optional(),
  networking: z
    .strictObject({
      ipFamily: z.enum(['ipv4', 'ipv6', 'dual']).optional(),
      apiServerAddress: z.string().optional(),
      apiServerPort: portRange.optional(),
      podSubnet: cidr.optional(),
      serviceSubnet: cidr.optional(),
      disableDefaultCNI: z.boolean().optional(),
      kubeProxyMode: z.enum(['iptables', 'ipvs', 'nftables', 'none']).optional(),
      dnsSearch: z.array(z.string()).optional(),
    })
    .optional(),
  featureGates: z.record(z.string(), z.boolean()).optional(),
  runtimeConfig: z.record(z.string(), z.string()).optional(),
  kubeadmConfigPatches: z.array(z.string()).optional(),
  kubeadmConfigPatchesJSON6902: z.array(patch6902).optional(),
  containerdConfigPatches: z.array(z.string()).optional(),
  containerdConfigPatchesJSON6902: z.array(z.string()).optional(),
});

/** Public API of the lab provider (see README.md in this folder). */
export { createLabProvider } from './lab-provider.ts';
export { sweepLabLeftovers } from './lab-sweep.ts';
export { installInterruptTeardown } from './interrupt-teardown.ts';
export { LabCluster } from './lab-cluster.ts';
export { parseSinkAnswer } from './lab-services.ts';
export { LAB_TOOLS, checkLabHost } from './preflight.ts';
export { LAB_ADDRESSES } from './addressing.ts';

/**
 * Test fixture: creates a lab with a pod, prints `READY <lab name>` and blocks until interrupted. Used by the
 * interrupt test to prove Ctrl-C removes everything.
 */
import { pod } from '../../../manifests/pod-builder.ts';
import { installInterruptTeardown } from '../interrupt-teardown.ts';
import { LabCluster } from '../lab-cluster.ts';
import { labProfile } from './lab-profile.ts';

const lab = await LabCluster.create(labProfile('lab:netpol'), { runId: 'interrupt-test', onProgress: () => undefined });
installInterruptTeardown(lab);
await lab.apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bm-app' } }]);
await lab.createPod(pod('waiter', 'bm-app').build(), { timeoutMs: 10_000 });
process.stdout.write(`READY ${lab.name}\n`);
setInterval(() => undefined, 1_000);

import { FIX, rating, type AdviceTable } from '../fix-builders.ts';

/** Severity and fixes of the admission family. */
export const ADMISSION_ADVICE: AdviceTable = {
  HN1: {
    severity: rating('critical', 'a pod with hostNetwork, hostPID and privileged owns its node'),
    fixes: () => [FIX.podSecurityBaseline('hostNetwork, hostPID, privileged and hostPort')],
  },
};

import type { VersionSet } from '../../../core/config/pins.ts';
import type { Profile } from '../../../core/domain/profile.ts';
import type { KindPins } from '../pins-tools.ts';

/** What every stack installer reads. */
export interface InstallerContext {
  readonly profile: Profile;
  readonly pins: KindPins;
  readonly versions: VersionSet;
  readonly clusterName: string;
  readonly kubeconfig: string;
}

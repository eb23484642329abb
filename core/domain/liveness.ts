/**
 * Whether the destination side of an attempt was alive for its whole window (Cluster.destinationLiveness). A
 * `blocked` verdict stands only on `alive`: a destination that died, restarted or cannot be checked makes the cell
 * `error`, never `blocked` (a dead proxy refuses connections exactly like a policy).
 */
export type DestinationLiveness =
  /** Every process or container serving the destination ran through the window; `checked` says what was looked at. */
  | { readonly status: 'alive'; readonly checked: readonly string[] }
  /** `died` names what was not running (and how it ended, when known). */
  | { readonly status: 'dead'; readonly died: string }
  /** The provider cannot tell (the flow names no destination it knows): treated as not alive. */
  | { readonly status: 'unknown'; readonly reason: string };

/**
 * `docker image save --platform` exists from Docker Engine 28.0 (release notes:
 * https://docs.docker.com/engine/release-notes/28/#280 — "docker image save: add --platform"). Older engines, as
 * shipped by many distributions, reject the flag.
 */
export const SAVE_PLATFORM_MIN_MAJOR = 28;

/** The engine's major version from `docker info --format {{.ServerVersion}}` (e.g. `27.5.1`, `28.0.4-1.fc42`). */
export function dockerMajorVersion(serverVersion: string): number | undefined {
  const match = /^\s*(\d+)\.\d+/.exec(serverVersion);
  return match?.[1] === undefined ? undefined : Number.parseInt(match[1], 10);
}

/** Whether `docker image save --platform` can be used; an unknown version cannot (fail closed). */
export function canSavePlatform(serverVersion: string | undefined): boolean {
  const major = serverVersion === undefined ? undefined : dockerMajorVersion(serverVersion);
  return major !== undefined && major >= SAVE_PLATFORM_MIN_MAJOR;
}

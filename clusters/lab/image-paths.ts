import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The repository root, found from this file's place in it. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The lab runs no images: paths the attacker/workload images have under /opt/breachmatrix are mapped to the same
 * files in the repository, so the same pod command works in a container and in the lab. Most specific first.
 */
const IMAGE_PATHS: readonly (readonly [string, string])[] = [
  ['/opt/breachmatrix/workload_server.py', 'attack-pods/workload-server/workload_server.py'],
  ['/opt/breachmatrix/workload-server/', 'attack-pods/workload-server/'],
  ['/opt/breachmatrix/scripts/', 'attack-pods/scripts/'],
  ['/opt/breachmatrix/sink/', 'attack-pods/sink/'],
  ['/opt/breachmatrix/', 'attack-pods/'],
];

/** Container PATH: the Debian system directories, never a user's (pyenv shims under /root are unreadable to pod users). */
export const CONTAINER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function mapImagePath(argument: string, repoRoot: string = REPO_ROOT): string {
  let mapped = argument;
  for (const [imagePath, repoPath] of IMAGE_PATHS) {
    // join() keeps a trailing slash, so directory prefixes stay directory prefixes.
    if (mapped.includes(imagePath)) mapped = mapped.split(imagePath).join(join(repoRoot, repoPath));
  }
  return mapped;
}

/** Maps a container command (argv) to the lab: image paths to repo files, `python3` to the system interpreter. */
export function mapContainerCommand(command: readonly string[], repoRoot: string = REPO_ROOT): string[] {
  return command.map((argument, index) => {
    if (index === 0 && (argument === 'python3' || argument === 'python')) return '/usr/bin/python3';
    return mapImagePath(argument, repoRoot);
  });
}

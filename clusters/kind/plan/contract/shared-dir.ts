import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { InfrastructureError } from '../../../../core/domain/errors.ts';

const REPO_DIR = fileURLToPath(new URL('../../../../', import.meta.url));

/**
 * The shared reference schemas (`shared/schemas/`): `$BREACHMATRIX_SHARED_DIR`, else `<repo>/../shared`.
 * Missing is a failure naming where it looked — contract tests must never pass by finding nothing to check.
 */
export function sharedSchemasDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['BREACHMATRIX_SHARED_DIR'];
  const shared = fromEnv !== undefined && fromEnv !== '' ? resolve(fromEnv) : resolve(REPO_DIR, '..', 'shared');
  const schemas = resolve(shared, 'schemas');
  if (!existsSync(schemas)) {
    throw new InfrastructureError(
      'contract schemas',
      `no schemas directory at ${schemas} (looked in ${fromEnv ? '$BREACHMATRIX_SHARED_DIR' : '<repo>/../shared'}); set BREACHMATRIX_SHARED_DIR to the shared folder`,
    );
  }
  return schemas;
}

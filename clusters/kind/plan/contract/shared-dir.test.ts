import { describe, expect, it } from 'vitest';
import { InfrastructureError } from '../../../../core/domain/errors.ts';
import { sharedSchemasDir } from './shared-dir.ts';

describe('sharedSchemasDir', () => {
  it('fails naming the directory it looked in when the shared schemas are absent', () => {
    expect(() => sharedSchemasDir({ BREACHMATRIX_SHARED_DIR: '/nonexistent/shared' })).toThrow(InfrastructureError);
    expect(() => sharedSchemasDir({ BREACHMATRIX_SHARED_DIR: '/nonexistent/shared' })).toThrow(
      /no schemas directory at \/nonexistent\/shared\/schemas .*BREACHMATRIX_SHARED_DIR/,
    );
  });

  it('finds the schemas beside the repository by default', () => {
    expect(sharedSchemasDir({})).toMatch(/shared\/schemas$/);
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadInputError } from '../../../core/domain/errors.ts';
import { caCertPath, createLabCa, workloadCertificate } from './lab-ca.ts';

describe('lab CA', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bm-ca-'));
    await createLabCa(dir);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('issues a certificate with the SPIFFE URI SAN that verifies against the root', async () => {
    const cert = await workloadCertificate(dir, 'bm-app', 'frontend');
    expect(cert.principal).toBe('cluster.local/ns/bm-app/sa/frontend');
    const text = await execa('openssl', ['x509', '-in', cert.certPath, '-noout', '-ext', 'subjectAltName']);
    expect(text.stdout).toContain('URI:spiffe://cluster.local/ns/bm-app/sa/frontend');
    const verify = await execa('openssl', ['verify', '-CAfile', caCertPath(dir), '-purpose', 'sslclient', cert.certPath]);
    expect(verify.stdout).toContain(': OK');
  });

  it('caches per identity (same file, same serial) and separates identities', async () => {
    const [a, b] = await Promise.all([workloadCertificate(dir, 'bm-app', 'api'), workloadCertificate(dir, 'bm-app', 'api')]);
    expect(a).toEqual(b);
    const serial = async (path: string) => (await execa('openssl', ['x509', '-in', path, '-noout', '-serial'])).stdout;
    const again = await workloadCertificate(dir, 'bm-app', 'api');
    expect(await serial(again.certPath)).toBe(await serial(a.certPath));
    const other = await workloadCertificate(dir, 'bm-app', 'db');
    expect(await serial(other.certPath)).not.toBe(await serial(a.certPath));
  });

  it('signs many identities at once, each with its own serial (pods started together; a shared serial file raced)', async () => {
    const accounts = Array.from({ length: 12 }, (_, index) => `sa-${index}`);
    const certs = await Promise.all(accounts.map((account) => workloadCertificate(dir, 'bm-many', account)));
    const serials = await Promise.all(certs.map(async (cert) => (await execa('openssl', ['x509', '-in', cert.certPath, '-noout', '-serial'])).stdout));
    expect(new Set(serials).size).toBe(accounts.length);
    for (const cert of certs) {
      const verify = await execa('openssl', ['verify', '-CAfile', caCertPath(dir), cert.certPath]);
      expect(verify.stdout).toContain(': OK');
    }
  });

  it('refuses identities that are not DNS labels', () => {
    expect(() => workloadCertificate(dir, 'bm-app', 'Front End')).toThrow(BadInputError);
  });
});

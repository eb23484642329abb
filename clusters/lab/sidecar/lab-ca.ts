import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { runCommand } from '../host-command.ts';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BadInputError, InfrastructureError } from '../../../core/domain/errors.ts';
import { SIDECAR_TIMEOUTS } from './timeouts.ts';

/**
 * The lab's stand-in for istiod's CA: a root in `caDir` and one certificate per workload identity carrying
 * the SPIFFE URI SAN `spiffe://cluster.local/ns/<ns>/sa/<sa>`, as Istio issues them. Certificates are
 * cached per identity on disk (and per process while being made), so pods sharing a service account share
 * a certificate, as Istio workloads do.
 */

export const TRUST_DOMAIN = 'cluster.local';

export interface WorkloadCertificate {
  readonly spiffeId: string;
  /** Envoy's principal: the SPIFFE id without `spiffe://`. */
  readonly principal: string;
  readonly certPath: string;
  readonly keyPath: string;
  /** Certificate followed by key, the file HAProxy's `crt` takes. */
  readonly bundlePath: string;
  readonly caPath: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function caCertPath(caDir: string): string {
  return join(caDir, 'ca.pem');
}

export function spiffeIdOf(namespace: string, serviceAccount: string): string {
  return `spiffe://${TRUST_DOMAIN}/ns/${namespace}/sa/${serviceAccount}`;
}

async function openssl(args: readonly string[]): Promise<void> {
  // Keys, certificates and serials stay root's whatever the caller's umask.
  const result = await runCommand('sh', ['-c', 'umask 077 && exec openssl "$@"', 'openssl', ...args], { timeoutMs: SIDECAR_TIMEOUTS.toolMs });
  if (result.exitCode !== 0) {
    throw new InfrastructureError('lab-ca', `openssl ${args[0] ?? ''} failed: ${result.stderr.trim().slice(0, 500)}`);
  }
}

const caInFlight = new Map<string, Promise<void>>();

/** Creates the root CA in `dir` unless it is already there. */
export function createLabCa(dir: string): Promise<void> {
  const pending = caInFlight.get(dir);
  if (pending !== undefined) return pending;
  const making = (async () => {
    if (existsSync(caCertPath(dir))) return;
    // Holds the root's key: root only, whatever the umask.
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
    const staging = join(dir, `.ca-${process.pid}`);
    await mkdir(staging, { recursive: true, mode: 0o700 });
    await openssl([
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', join(staging, 'ca-key.pem'), '-out', join(staging, 'ca.pem'), '-days', '30',
      '-subj', `/O=${TRUST_DOMAIN}/CN=breachmatrix lab root`,
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    await rename(join(staging, 'ca-key.pem'), join(dir, 'ca-key.pem'));
    await rename(join(staging, 'ca.pem'), caCertPath(dir));
    await rm(staging, { recursive: true, force: true });
  })();
  caInFlight.set(dir, making);
  making.catch(() => caInFlight.delete(dir));
  return making;
}

const certInFlight = new Map<string, Promise<WorkloadCertificate>>();

/** The certificate of one identity, issued on first use. */
/**
 * A random positive certificate serial (RFC 5280 §4.1.2.2: unique per CA, at most 20 octets; CAs use random ones).
 * Not `-CAcreateserial`: that read-increment-writes one serial file, and two workloads signed at once (pods started
 * together) raced on it ("Unable to load number from ca.srl").
 */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return `0x${bytes.toString('hex')}`;
}

export function workloadCertificate(caDir: string, namespace: string, serviceAccount: string): Promise<WorkloadCertificate> {
  for (const [what, value] of [['namespace', namespace], ['service account', serviceAccount]] as const) {
    if (!DNS_LABEL.test(value)) {
      throw new BadInputError(`${what} "${value}" is not a DNS label`, 'lab sidecar identity', 'lowercase RFC 1123 labels');
    }
  }
  const dir = join(caDir, 'workloads', `${namespace}.${serviceAccount}`);
  const spiffeId = spiffeIdOf(namespace, serviceAccount);
  const certificate: WorkloadCertificate = {
    spiffeId,
    principal: spiffeId.slice('spiffe://'.length),
    certPath: join(dir, 'cert.pem'),
    keyPath: join(dir, 'key.pem'),
    bundlePath: join(dir, 'bundle.pem'),
    caPath: caCertPath(caDir),
  };
  const pending = certInFlight.get(dir);
  if (pending !== undefined) return pending;
  const making = (async () => {
    if (existsSync(certificate.bundlePath)) return certificate;
    if (!existsSync(caCertPath(caDir))) {
      throw new InfrastructureError('lab-ca', `no root CA in ${caDir}: call createLabCa first`);
    }
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
    const csr = join(dir, 'req.csr');
    const ext = join(dir, 'ext.cnf');
    await openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', certificate.keyPath, '-out', csr, '-subj', `/O=${TRUST_DOMAIN}`]);
    // Istio workload certificates: no CN, the identity is the URI SAN only; usable as client and server.
    await writeFile(ext, [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth,clientAuth',
      `subjectAltName=critical,URI:${spiffeId}`,
      '',
    ].join('\n'), { mode: 0o600 });
    await openssl(['x509', '-req', '-in', csr, '-CA', caCertPath(caDir), '-CAkey', join(caDir, 'ca-key.pem'),
      '-set_serial', randomSerial(), '-out', certificate.certPath, '-days', '7', '-extfile', ext]);
    const bundle = `${await readFile(certificate.certPath, 'utf8')}${await readFile(certificate.keyPath, 'utf8')}`;
    await writeFile(`${certificate.bundlePath}.tmp`, bundle, { mode: 0o600 });
    await rename(`${certificate.bundlePath}.tmp`, certificate.bundlePath);
    return certificate;
  })();
  certInFlight.set(dir, making);
  making.catch(() => certInFlight.delete(dir));
  return making;
}

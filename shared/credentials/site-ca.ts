// @peculiar/x509 resolves its algorithm providers through tsyringe, which needs
// the Reflect metadata polyfill loaded before it.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { access, chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../errors.js';

/**
 * The site CA: a self-signed ECDSA P-256 certificate authority that signs the
 * broker's server certificate and every agent's and the collector's client
 * certificate. Mosquitto trusts exactly this CA (`cafile`) with
 * `require_certificate true`, so a certificate from any other CA is refused
 * during the TLS handshake. node:crypto can read certificates but not create
 * them, hence @peculiar/x509 (on the same WebCrypto).
 */
export const CA_KEY_FILE = 'ca.key.pem';
export const CA_CERT_FILE = 'ca.crt.pem';

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
const subtle = webcrypto.subtle;
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export interface SiteCa {
  cert: x509.X509Certificate;
  privateKey: CryptoKey;
  certPem: string;
  certPath: string;
}

export interface IssuedCertificate {
  certPem: string;
  /** PKCS#8 PEM; write it with mode 0600. */
  keyPem: string;
  serialNumber: string;
  notAfter: Date;
}

const DAY_MS = 86_400_000;

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

/** X.509 serials are positive integers of at most 20 octets (RFC 5280 §4.1.2.2). */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await subtle.exportKey('pkcs8', key));
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }) as string;
}

async function importPrivateKey(pem: string, where: string): Promise<CryptoKey> {
  try {
    const der = createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });
    return await subtle.importKey('pkcs8', der, ALG, false, ['sign']);
  } catch (err) {
    throw new AppError('CONFIG_INVALID', `${where} is not an ECDSA P-256 private key in PEM: ${(err as Error).message}`, { cause: err });
  }
}

/** Creates a CA in `dir` (key 0600) unless one is there. Returns whether it was created. */
export async function loadOrCreateSiteCa(dir: string, { days = 3650, name = 'hashwatt site CA' } = {}): Promise<{ ca: SiteCa; created: boolean }> {
  const keyPath = join(dir, CA_KEY_FILE);
  const certPath = join(dir, CA_CERT_FILE);
  const [hasKey, hasCert] = await Promise.all([exists(keyPath), exists(certPath)]);
  if (hasKey && hasCert) return { ca: await loadSiteCa(dir), created: false };
  if (hasKey !== hasCert) {
    throw new AppError('CONFIG_INVALID', `${dir} holds only one of ${CA_KEY_FILE} and ${CA_CERT_FILE}; restore the other or choose an empty --ca-dir`);
  }
  const keys = (await subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=${name} ${randomBytes(4).toString('hex')}, O=hashwatt`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + days * DAY_MS),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(keyPath, await privateKeyPem(keys.privateKey), { mode: 0o600 });
  await chmod(keyPath, 0o600);
  const certPem = cert.toString('pem');
  await writeFile(certPath, `${certPem}\n`, { mode: 0o644 });
  return { ca: { cert, privateKey: keys.privateKey, certPem, certPath }, created: true };
}

export async function loadSiteCa(dir: string): Promise<SiteCa> {
  const keyPath = join(dir, CA_KEY_FILE);
  const certPath = join(dir, CA_CERT_FILE);
  let keyText: string;
  let certText: string;
  try {
    [keyText, certText] = await Promise.all([readFile(keyPath, 'utf8'), readFile(certPath, 'utf8')]);
  } catch (err) {
    throw new AppError('CONFIG_NOT_FOUND', `cannot read the site CA in ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(certText);
  } catch (err) {
    throw new AppError('CONFIG_INVALID', `${certPath} is not a PEM certificate: ${(err as Error).message}`, { cause: err });
  }
  return { cert, privateKey: await importPrivateKey(keyText, keyPath), certPem: cert.toString('pem'), certPath };
}

export interface IssueOptions {
  commonName: string;
  /** `client` for agents and the collector, `server` for the broker. */
  usage: 'client' | 'server';
  /** Server certificates: the names and addresses clients connect to. */
  dnsNames?: string[];
  ipAddresses?: string[];
  days?: number;
}

/** A new P-256 key and a certificate for it signed by the site CA. */
export async function issueCertificate(ca: SiteCa, options: IssueOptions): Promise<IssuedCertificate> {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(options.commonName)) {
    throw new AppError('USAGE', `certificate common name "${options.commonName}" may hold only letters, digits, ".", "_" and "-" (at most 64)`);
  }
  const keys = (await subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const notAfter = new Date(now + (options.days ?? 825) * DAY_MS);
  if (notAfter > ca.cert.notAfter) throw new AppError('USAGE', `the certificate would outlive the site CA (valid until ${ca.cert.notAfter.toISOString()}); pass a smaller --days`);
  const names: { type: 'dns' | 'ip'; value: string }[] = [
    ...(options.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(options.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const serialNumber = randomSerial();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber,
    subject: `CN=${options.commonName}`,
    issuer: ca.cert.subject,
    notBefore: new Date(now - 60_000),
    notAfter,
    publicKey: keys.publicKey,
    signingKey: ca.privateKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
      new x509.ExtendedKeyUsageExtension([options.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert.publicKey),
      ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : []),
    ],
  });
  return { certPem: `${cert.toString('pem')}\n`, keyPem: await privateKeyPem(keys.privateKey), serialNumber, notAfter };
}

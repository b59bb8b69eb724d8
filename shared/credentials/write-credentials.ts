import { access, chmod, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../errors.js';
import { generatePassword, passwordFileLine } from './mosquitto-password.js';
import { CA_CERT_FILE, issueCertificate, loadOrCreateSiteCa } from './site-ca.js';

/**
 * Writes one broker identity's credentials into a folder for the operator to
 * carry to the gateway (or collector host). Secrets go only into files with
 * mode 0600; what the broker needs (password-file line, ACL block) is returned
 * for printing, since neither reveals the secret.
 */
export interface CredentialRequest {
  username: string;
  aclBlock: string;
  mode: 'password' | 'cert';
  outDir: string;
  /** Site CA folder: required for `cert` (created when empty); for `password` its CA certificate is copied for TLS. */
  caDir?: string;
  /** Client certificate lifetime. */
  days?: number;
  force?: boolean;
}

export interface WrittenFile {
  path: string;
  what: string;
  secret: boolean;
}

export interface WrittenCredentials {
  username: string;
  files: WrittenFile[];
  /** Only in `password` mode; the caller prints it only when asked to. */
  password?: string;
  passwordFileLine?: string;
  aclBlock: string;
  caCreated: boolean;
  /** Paths for the program's `broker:` config section. */
  broker: { caFile?: string; certFile?: string; keyFile?: string };
}

export const FILES = {
  password: 'password',
  env: 'broker.env',
  passwd: 'passwd',
  acl: 'acl.conf',
  key: 'client.key.pem',
  cert: 'client.crt.pem',
  ca: CA_CERT_FILE,
} as const;

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

export async function writeCredentials(req: CredentialRequest): Promise<WrittenCredentials> {
  const names: string[] = req.mode === 'password' ? [FILES.password, FILES.env, FILES.passwd, FILES.acl] : [FILES.key, FILES.cert, FILES.acl];
  if (req.caDir) names.push(FILES.ca);
  if (!req.force) {
    for (const name of names) {
      const path = join(req.outDir, name);
      if (await exists(path)) throw new AppError('ALREADY_EXISTS', `${path} already exists; use --force to replace it (the broker must then get the new credentials too)`);
    }
  }
  if (req.mode === 'cert' && !req.caDir) throw new AppError('USAGE', '--cert needs --ca-dir DIR (the site CA; created there when the folder has none)');

  // Load or create the CA before writing anything, so a broken CA leaves no half-written folder.
  const site = req.caDir ? await loadOrCreateSiteCa(req.caDir) : undefined;
  await mkdir(req.outDir, { recursive: true, mode: 0o700 });
  const files: WrittenFile[] = [];
  const write = async (name: string, content: string, what: string, secret: boolean) => {
    const path = join(req.outDir, name);
    await writeFile(path, content, { mode: secret ? 0o600 : 0o644 });
    await chmod(path, secret ? 0o600 : 0o644); // mode on writeFile only applies to new files
    files.push({ path, what, secret });
    return path;
  };

  const result: WrittenCredentials = { username: req.username, files, aclBlock: req.aclBlock, caCreated: site?.created ?? false, broker: {} };
  if (site) {
    const caPath = join(req.outDir, FILES.ca);
    await copyFile(site.ca.certPath, caPath);
    files.push({ path: caPath, what: 'site CA certificate (broker.caFile)', secret: false });
    result.broker.caFile = caPath;
  }
  if (req.mode === 'password') {
    const password = generatePassword();
    const line = passwordFileLine(req.username, password);
    await write(FILES.password, `${password}\n`, 'broker password', true);
    await write(FILES.env, `HASHWATT_BROKER__USERNAME=${req.username}\nHASHWATT_BROKER__PASSWORD=${password}\n`, 'environment file for systemd (EnvironmentFile=)', true);
    // The hash is not secret (190 random bits cannot be guessed back), but it has no business being world-readable.
    await write(FILES.passwd, `${line}\n`, 'line for the broker password_file', true);
    result.password = password;
    result.passwordFileLine = line;
  } else {
    const issued = await issueCertificate(site!.ca, { commonName: req.username, usage: 'client', ...(req.days ? { days: req.days } : {}) });
    result.broker.keyFile = await write(FILES.key, issued.keyPem, 'client private key (broker.keyFile)', true);
    result.broker.certFile = await write(FILES.cert, issued.certPem, `client certificate, CN=${req.username}, valid until ${issued.notAfter.toISOString().slice(0, 10)} (broker.certFile)`, false);
  }
  await write(FILES.acl, req.aclBlock, 'block for the broker acl_file', false);
  return result;
}

import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../errors.js';

export const PRIVATE_KEY_FILE = 'control-signing.key.pem';
export const PUBLIC_KEY_FILE = 'control-signing.pub.pem';

export interface KeyPairPaths {
  privateKeyPath: string;
  publicKeyPath: string;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Writes a new Ed25519 pair as PEM; the private key is created with mode 0600 and never overwritten unless `force`. */
export async function writeKeyPair(dir: string, { force = false } = {}): Promise<KeyPairPaths> {
  const privateKeyPath = join(dir, PRIVATE_KEY_FILE);
  const publicKeyPath = join(dir, PUBLIC_KEY_FILE);
  if (!force) {
    for (const path of [privateKeyPath, publicKeyPath]) {
      if (await exists(path)) throw new AppError('ALREADY_EXISTS', `${path} already exists; use --force to replace it (agents trusting the old key will refuse new controls)`);
    }
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  await mkdir(dir, { recursive: true });
  await writeFile(privateKeyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  await chmod(privateKeyPath, 0o600); // mode on writeFile only applies to new files
  await writeFile(publicKeyPath, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
  return { privateKeyPath, publicKeyPath };
}

export async function loadPrivateKey(path: string): Promise<KeyObject> {
  const pem = await readKeyFile(path, 'private');
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`key type is ${key.asymmetricKeyType}`);
    return key;
  } catch (err) {
    throw new AppError('CONFIG_INVALID', `${path} is not an Ed25519 private key in PEM: ${(err as Error).message}`, { cause: err });
  }
}

export async function loadPublicKey(path: string): Promise<KeyObject> {
  return parsePublicKey(await readKeyFile(path, 'public'), path);
}

/** Accepts a PEM public key, or derives the public half from a private key PEM. */
export function parsePublicKey(pem: string, where = 'public key'): KeyObject {
  try {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`key type is ${key.asymmetricKeyType}`);
    return key;
  } catch (err) {
    throw new AppError('CONFIG_INVALID', `${where} is not an Ed25519 public key in PEM: ${(err as Error).message}`, { cause: err });
  }
}

async function readKeyFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new AppError('CONFIG_NOT_FOUND', `cannot read the ${what} key file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
}

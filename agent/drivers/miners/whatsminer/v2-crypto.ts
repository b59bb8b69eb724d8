import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import { AppError } from '../../../../shared/errors.js';
import { md5CryptHash } from './md5-crypt.js';

/**
 * Whatsminer API v2 write-command crypto (Whatsminer API V2.0.x, "Encryption
 * algorithm"; the same steps pyasic's btminer backend takes):
 *   host_passwd_md5 = md5crypt(admin password, salt)   (hash field only)
 *   host_sign       = md5crypt(host_passwd_md5 + time, newsalt)
 *   aes key         = SHA-256(host_passwd_md5), AES-256-ECB, NUL padding to 16
 *   wire            = {"enc":1,"data":base64(aes(json with "token": host_sign))}
 * Replies come back as {"enc":"base64"} under the same key.
 */

export interface V2TokenChallenge {
  time: string;
  salt: string;
  newsalt: string;
}

export interface V2Session {
  hostPasswordHash: string;
  sign: string;
  key: Buffer;
}

export function deriveV2Session(password: string, challenge: V2TokenChallenge): V2Session {
  const hostPasswordHash = md5CryptHash(password, challenge.salt);
  const sign = md5CryptHash(hostPasswordHash + challenge.time, challenge.newsalt);
  return { hostPasswordHash, sign, key: createHash('sha256').update(hostPasswordHash).digest() };
}

function zeroPad(data: Buffer): Buffer {
  const rest = data.length % 16;
  return rest === 0 ? data : Buffer.concat([data, Buffer.alloc(16 - rest)]);
}

export function encryptV2(key: Buffer, plaintext: string): string {
  const cipher = createCipheriv('aes-256-ecb', key, null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(zeroPad(Buffer.from(plaintext, 'utf8'))), cipher.final()]).toString('base64');
}

export function decryptV2(key: Buffer, base64: string): string {
  const data = Buffer.from(base64, 'base64');
  if (data.length === 0 || data.length % 16 !== 0) {
    throw new AppError('PROTOCOL', `encrypted Whatsminer payload is ${data.length} bytes, not a non-empty multiple of 16`);
  }
  const decipher = createDecipheriv('aes-256-ecb', key, null);
  decipher.setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(data), decipher.final()]);
  let end = plain.length;
  while (end > 0 && plain[end - 1] === 0) end--;
  return plain.subarray(0, end).toString('utf8');
}

/** The `{"enc":1,"data":…}` request for a write command. */
export function sealV2Command(session: V2Session, command: Record<string, unknown>): string {
  const body = JSON.stringify({ ...command, token: session.sign });
  return JSON.stringify({ enc: 1, data: encryptV2(session.key, body) });
}

import md5 from 'nano-md5';
import { AppError } from '../../../../shared/errors.js';

/**
 * md5-crypt (`$1$`, the FreeBSD/glibc scheme `openssl passwd -1` prints). The
 * Whatsminer v2 write API derives its keys from it. nano-md5 is used because it
 * is already a dependency and matches `openssl passwd -1` on our test vectors
 * (see v2-crypto.test.ts); this wrapper adds the spec's 8-character salt cut
 * and a clear error instead of nano-md5's bare "too long key".
 */
const MAX_KEY_CHARS = 64;

export function md5Crypt(password: string, salt: string): string {
  if (password.length > MAX_KEY_CHARS) {
    throw new AppError('USAGE', `md5-crypt input is ${password.length} characters; at most ${MAX_KEY_CHARS} are supported`);
  }
  if (!/^[./0-9A-Za-z]+$/.test(salt)) {
    throw new AppError('PROTOCOL', `md5-crypt salt ${JSON.stringify(salt)} has characters outside [./0-9A-Za-z]`);
  }
  return md5.crypt(password, `$1$${salt.slice(0, 8)}$`);
}

/** The hash part of `$1$salt$hash`, which is what Whatsminer uses as key material. */
export function md5CryptHash(password: string, salt: string): string {
  const full = md5Crypt(password, salt);
  const hash = full.split('$')[3];
  if (!hash) throw new AppError('INTERNAL', 'md5-crypt produced no hash field');
  return hash;
}

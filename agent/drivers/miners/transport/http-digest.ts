import { createHash, randomBytes } from 'node:crypto';

/** HTTP Digest access authentication (RFC 7616 with MD5, RFC 2069 fallback), as the stock Antminer web UI demands. */

export interface DigestChallenge {
  realm: string;
  nonce: string;
  qop?: string;
  opaque?: string;
  algorithm?: string;
}

export function parseDigestChallenge(header: string | string[] | undefined): DigestChallenge | undefined {
  const value = Array.isArray(header) ? header.find((h) => /^digest\s/i.test(h)) : header;
  if (!value || !/^digest\s/i.test(value)) return undefined;
  const fields: Record<string, string> = {};
  for (const match of value.slice(7).matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)) {
    fields[match[1]!.toLowerCase()] = match[2] ?? match[3] ?? '';
  }
  if (fields.realm === undefined || fields.nonce === undefined) return undefined;
  return { realm: fields.realm, nonce: fields.nonce, qop: fields.qop, opaque: fields.opaque, algorithm: fields.algorithm };
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

export function digestAuthorization(
  challenge: DigestChallenge,
  request: { username: string; password: string; method: string; uri: string },
  cnonce = randomBytes(8).toString('hex'),
): string {
  const ha1 = md5(`${request.username}:${challenge.realm}:${request.password}`);
  const ha2 = md5(`${request.method}:${request.uri}`);
  const qop = challenge.qop?.split(',').map((q) => q.trim()).includes('auth') ? 'auth' : undefined;
  const nc = '00000001';
  const response = qop ? md5(`${ha1}:${challenge.nonce}:${nc}:${cnonce}:${qop}:${ha2}`) : md5(`${ha1}:${challenge.nonce}:${ha2}`);
  const parts = [
    `username="${request.username}"`,
    `realm="${challenge.realm}"`,
    `nonce="${challenge.nonce}"`,
    `uri="${request.uri}"`,
    `response="${response}"`,
  ];
  if (challenge.algorithm) parts.push(`algorithm=${challenge.algorithm}`);
  if (challenge.opaque !== undefined) parts.push(`opaque="${challenge.opaque}"`);
  if (qop) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce="${cnonce}"`);
  return `Digest ${parts.join(', ')}`;
}

/** The dashboard's session cookie: HttpOnly (no script reads it), SameSite=Strict (no cross-site request carries it), Secure over TLS. */
export const SESSION_COOKIE = 'hashwatt_session';

export function sessionCookie(value: string, o: { maxAgeS: number; secure: boolean }): string {
  return [`${SESSION_COOKIE}=${value}`, 'Path=/', `Max-Age=${Math.max(0, Math.floor(o.maxAgeS))}`, 'HttpOnly', 'SameSite=Strict', ...(o.secure ? ['Secure'] : [])].join('; ');
}

export function clearedSessionCookie(secure: boolean): string {
  return sessionCookie('', { maxAgeS: 0, secure });
}

/** The session id from a Cookie header, if any. */
export function readSessionCookie(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === SESSION_COOKIE) return part.slice(i + 1).trim() || undefined;
  }
  return undefined;
}

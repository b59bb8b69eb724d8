import { createHash } from 'node:crypto';

/**
 * Whatsminer API v3 (v3.0.1 docs, apidoc.whatsminer.com): every `set.*` command
 * carries `ts`, `account` and `token`, where token is the first 8 characters of
 * base64(SHA-256(cmd + password + salt + ts)) and salt comes from
 * `get.device.info` (`msg.salt`).
 */
export const V3_ACCOUNT = 'super';

export function v3Token(cmd: string, password: string, salt: string, ts: number): string {
  return createHash('sha256').update(`${cmd}${password}${salt}${ts}`).digest('base64').slice(0, 8);
}

export function signV3Command(
  cmd: string,
  param: unknown,
  auth: { password: string; salt: string; ts: number; account?: string },
): Record<string, unknown> {
  const request: Record<string, unknown> = {
    cmd,
    ts: auth.ts,
    token: v3Token(cmd, auth.password, auth.salt, auth.ts),
    account: auth.account ?? V3_ACCOUNT,
  };
  if (param !== undefined) request.param = param;
  return request;
}

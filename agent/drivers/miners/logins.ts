import { z } from 'zod';
import { AppError } from '../../../shared/errors.js';
import { FIRMWARES, type FirmwareName, type MinerEndpoint } from './miner-driver.js';

/**
 * Miner logins per firmware family, and per miner where one differs: a mixed
 * fleet has a Bitmain web login, a Braiins OS REST login, a Whatsminer API
 * password… The agent config (`logins:`) and the operator CLIs (`--login`,
 * `--logins FILE`) use the same shape. A miner's own username/password wins
 * over its family's; a field left out falls back to the driver's factory
 * default. Passwords never appear in output or errors: only user names do.
 */

/** A YAML or environment value like `1234` arrives as a number; a password is text. */
const Text = z.union([z.string(), z.number().transform(String)]);

export const LoginSchema = z.strictObject({
  username: Text.pipe(z.string().min(1)).optional(),
  password: Text.optional(),
});
export type Login = z.infer<typeof LoginSchema>;

export const FirmwareLoginsSchema = z.strictObject({
  antminer: LoginSchema.optional(),
  luxos: LoginSchema.optional(),
  braiins: LoginSchema.optional(),
  whatsminer: LoginSchema.optional(),
} satisfies { [K in FirmwareName]: z.ZodOptional<typeof LoginSchema> });
export type FirmwareLogins = z.infer<typeof FirmwareLoginsSchema>;

/** The CLI's logins: per family, plus per miner keyed by host or host:port. */
export const CliLoginsSchema = FirmwareLoginsSchema.extend({
  miners: z.record(z.string().min(1), LoginSchema).optional(),
});
export type CliLogins = z.infer<typeof CliLoginsSchema>;

/** The endpoint with its login filled in for `firmware`: its own fields first, then the family's. */
export function withLogin(endpoint: MinerEndpoint, firmware: FirmwareName, logins: FirmwareLogins | undefined): MinerEndpoint {
  const family = logins?.[firmware];
  const username = endpoint.username ?? family?.username;
  const password = endpoint.password ?? family?.password;
  return { ...endpoint, ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}) };
}

/** The login for one miner named on the command line: `host:port`, then `host`, then nothing (the family's applies later). */
export function minerLogin(logins: CliLogins, host: string, port: number | undefined): Login {
  return (port !== undefined ? logins.miners?.[`${host}:${port}`] : undefined) ?? logins.miners?.[host] ?? {};
}

/**
 * `--login braiins=root:secret` (a family) or `--login 10.0.0.5=admin:pw` (one
 * miner, host or host:port). The user ends at the first ':'; the password is
 * the rest and may contain ':'. Merged into `into`, later flags win.
 */
export function addLoginFlag(into: CliLogins, text: string): CliLogins {
  const eq = text.indexOf('=');
  const key = eq > 0 ? text.slice(0, eq) : '';
  const value = eq > 0 ? text.slice(eq + 1) : '';
  const colon = value.indexOf(':');
  // The message names the target, never the value: it holds a password.
  if (!key || colon <= 0) throw new AppError('USAGE', `--login ${key || '…'}: expected <firmware or host>=<user>:<password>, e.g. --login braiins=root:secret`);
  const login: Login = { username: value.slice(0, colon), password: value.slice(colon + 1) };
  if ((FIRMWARES as readonly string[]).includes(key)) return { ...into, [key]: login };
  if (!/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(key)) throw new AppError('USAGE', `--login ${key}: '${key}' is neither a firmware (${FIRMWARES.join(', ')}) nor a host or host:port`);
  return { ...into, miners: { ...into.miners, [key]: login } };
}

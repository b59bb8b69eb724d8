import { loadConfigFile, parseConfig } from '../../shared/config/load-config.js';
import { addLoginFlag, CliLoginsSchema, minerLogin, type CliLogins, type Login } from '../drivers/miners/logins.js';
import type { FirmwareName, MinerEndpoint } from '../drivers/miners/miner-driver.js';

/** The flags every miner-facing command takes for logins (parseArgs options). */
export const LOGIN_OPTIONS = {
  login: { type: 'string', multiple: true },
  logins: { type: 'string' },
  user: { type: 'string' },
  password: { type: 'string' },
} as const;

export const LOGIN_HELP = `  --login <fw|host>=<user>:<password>
                        a login for one firmware family (antminer, luxos, braiins,
                        whatsminer) or one miner (host or host:port); repeatable
  --logins <file>       the same in YAML: 'braiins: {username: root, password: …}'
                        per family, 'miners: {"10.0.0.5": {…}}' per miner
                        (env HASHWATT_LOGINS__BRAIINS__PASSWORD etc. override it)
  --user <name>         login for every miner without a more specific one
  --password <pw>       (env HASHWATT_MINER_USER, HASHWATT_MINER_PASSWORD)`;

export interface CliLoginSet {
  logins: CliLogins;
  /** --user/--password (or their env): for miners with no family or miner login. */
  fallback: Login;
}

/** Reads --logins FILE (or the HASHWATT_LOGINS__ environment alone), then each --login, then --user/--password. */
export function readCliLogins(values: { login?: string[] | undefined; logins?: string | undefined; user?: string | undefined; password?: string | undefined }, env: NodeJS.ProcessEnv = process.env): CliLoginSet {
  const options = { env, envPrefix: 'HASHWATT_LOGINS__' };
  let logins: CliLogins = values.logins !== undefined ? loadConfigFile(values.logins, CliLoginsSchema, options) : parseConfig('', 'the HASHWATT_LOGINS__ environment', CliLoginsSchema, options);
  for (const flag of values.login ?? []) logins = addLoginFlag(logins, flag);
  const username = values.user ?? env.HASHWATT_MINER_USER;
  const password = values.password ?? env.HASHWATT_MINER_PASSWORD;
  return { logins, fallback: { ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}) } };
}

/** The endpoint with the most specific login for this miner and firmware: miner, then family, then --user/--password. */
export function endpointWithLogin(base: MinerEndpoint, firmware: FirmwareName, set: CliLoginSet): MinerEndpoint {
  const own = minerLogin(set.logins, base.host, base.port);
  const family = set.logins[firmware] ?? {};
  const username = own.username ?? family.username ?? set.fallback.username;
  const password = own.password ?? family.password ?? set.fallback.password;
  return { ...base, ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}) };
}

/** Where to give a login, for this firmware and this miner. */
export function loginAdvice(firmware: FirmwareName, endpoint: MinerEndpoint): string {
  return `give it with --login ${firmware}=USER:PASSWORD (or --login ${endpoint.host}=USER:PASSWORD for this miner alone) or in --logins FILE`;
}

/** What to do about a refused or missing login, naming the firmware (never the password). */
export function loginHint(firmware: FirmwareName, endpoint: MinerEndpoint): string {
  const who = endpoint.username !== undefined ? `the ${firmware} login (user '${endpoint.username}') was refused` : `no ${firmware} login was given and the factory default was refused`;
  return `${who}; ${loginAdvice(firmware, endpoint)}`;
}

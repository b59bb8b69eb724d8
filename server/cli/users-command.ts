import { userInfo } from 'node:os';
import { EXIT, parseCommandArgs, type Command } from '../../shared/cli/command.js';
import { loadConfigFile } from '../../shared/config/load-config.js';
import { AppError } from '../../shared/errors.js';
import { createSilentLogger } from '../../shared/log/logger.js';
import { createAuditLog, type Actor } from '../audit/audit-log.js';
import { createUserService, type UserService, type UserWithTokens } from '../auth/user-service.js';
import { CollectorConfigSchema, ROLES, RoleSchema, type Role } from '../config/collector-config.js';
import { openStore } from '../store/open-store.js';

const COMMON = `  --config FILE      the collector YAML (names dataDir); HASHWATT_* overrides apply
  --json             print JSON instead of text
  -h, --help         show this help`;

const HELP = `Usage: hashwatt users <list|add|set|token> … --config FILE

Named users of the collector's API and dashboard, kept in its database
(dataDir/collector.db), on the collector host; an admin can do the same
through /api/v1/users or the dashboard's Users view. Every change is in the
audit log as actor kind "cli" with your login name.

  hashwatt users list --config FILE
  hashwatt users add NAME --role ROLE [--password-stdin] [--token LABEL] --config FILE
  hashwatt users set NAME [--role ROLE] [--password-stdin] [--disable|--enable] --config FILE
  hashwatt users token add NAME [--label LABEL] --config FILE
  hashwatt users token rotate NAME TOKEN_ID --config FILE
  hashwatt users token revoke NAME TOKEN_ID --config FILE

Roles: ${ROLES.join(', ')} (admin may do everything and manage users).
Passwords (for dashboard sign-in, at least 10 characters) are read from the
first line of standard input with --password-stdin, never from arguments.
A new token is printed once; only its sha256 is stored.

Options:
${COMMON}

Exit codes: 0 done, 1 failure, 2 bad usage or config.`;

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  json: { type: 'boolean' },
  role: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  token: { type: 'string' },
  label: { type: 'string' },
  disable: { type: 'boolean' },
  enable: { type: 'boolean' },
} as const;

async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('password (input is echoed; pipe it in to avoid that): ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if (Buffer.concat(chunks).includes(10)) break;
  }
  const line = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (!line) throw new AppError('USAGE', '--password-stdin: standard input had no password line');
  return line;
}

function roleOf(v: string | undefined): Role | undefined {
  if (v === undefined) return undefined;
  const r = RoleSchema.safeParse(v);
  if (!r.success) throw new AppError('USAGE', `--role ${v}: expected one of ${ROLES.join(', ')}`);
  return r.data;
}

function describe(u: UserWithTokens): string {
  const state = u.disabledAt !== null ? 'disabled' : 'active';
  const tokens = u.tokens.filter((t) => t.revokedAt === null).map((t) => `#${t.id} ${t.label}`).join(', ') || 'none';
  return `${u.username.padEnd(20)} ${u.role.padEnd(9)} ${state.padEnd(9)} password: ${u.hasPassword ? 'yes' : 'no '}  tokens: ${tokens}`;
}

function tokenId(v: string | undefined): number {
  const n = Number(v);
  if (!v || !Number.isInteger(n) || n <= 0) throw new AppError('USAGE', `TOKEN_ID must be a token number from "hashwatt users list" (got ${v ?? 'nothing'})`);
  return n;
}

async function withUsers(config: string | undefined, fn: (users: UserService, actor: Actor) => Promise<void> | void): Promise<number> {
  if (!config) throw new AppError('USAGE', 'users needs --config FILE (the collector YAML)');
  const cfg = loadConfigFile(config, CollectorConfigSchema);
  const store = await openStore(cfg.store, { dataDir: cfg.dataDir, log: createSilentLogger() });
  try {
    const users = createUserService({ store, audit: createAuditLog(store.audit, Date.now), clock: Date.now });
    await fn(users, { kind: 'cli', name: userInfo().username });
    return EXIT.OK;
  } finally {
    await store.close();
  }
}

function out(json: boolean | undefined, value: unknown, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
}

/** `hashwatt users <verb> …`: one command, so `users --help` documents every verb. */
export const command: Command = {
  path: ['users'],
  summary: 'Manage named users, roles and API tokens in the collector database',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, OPTIONS);
    const [verb, ...rest] = positionals;
    switch (verb) {
      case 'list':
        return withUsers(values.config, async (users) => {
          const list = await users.list();
          out(values.json, list, list.length ? list.map(describe).join('\n') : 'no users (add one: hashwatt users add NAME --role admin --password-stdin)');
        });
      case 'add': {
        const name = rest[0];
        if (!name || rest.length > 1) throw new AppError('USAGE', 'users add needs exactly one NAME');
        const role = roleOf(values.role);
        if (!role) throw new AppError('USAGE', `users add needs --role (${ROLES.join(', ')})`);
        const password = values['password-stdin'] ? await readPassword() : undefined;
        return withUsers(values.config, async (users, actor) => {
          const u = await users.create({ username: name, role, password }, actor);
          const token = values.token ? await users.addToken(name, values.token, actor) : undefined;
          out(values.json, { user: u, ...(token ? { token: token.token, tokenId: token.row.id } : {}) },
            `created ${u.username} (${u.role})${token ? `\ntoken #${token.row.id} (${token.row.label}), shown once:\n${token.token}` : ''}`);
        });
      }
      case 'set': {
        const name = rest[0];
        if (!name || rest.length > 1) throw new AppError('USAGE', 'users set needs exactly one NAME');
        if (values.disable && values.enable) throw new AppError('USAGE', '--disable and --enable together');
        const role = roleOf(values.role);
        const password = values['password-stdin'] ? await readPassword() : undefined;
        if (role === undefined && password === undefined && !values.disable && !values.enable) throw new AppError('USAGE', 'users set needs --role, --password-stdin, --disable or --enable');
        return withUsers(values.config, async (users, actor) => {
          const u = await users.update(name, { role, password, disabled: values.disable ? true : values.enable ? false : undefined }, actor);
          out(values.json, u, describe(u));
        });
      }
      case 'token': {
        const [action, name, id] = rest;
        if (!name) throw new AppError('USAGE', 'users token add|rotate|revoke needs a user NAME');
        return withUsers(values.config, async (users, actor) => {
          if (action === 'add') {
            const { token, row } = await users.addToken(name, values.label ?? 'api', actor);
            out(values.json, { username: name, token, ...row }, `token #${row.id} (${row.label}) for ${name}, shown once:\n${token}`);
          } else if (action === 'rotate') {
            const { token, row } = await users.rotateToken(name, tokenId(id), actor);
            out(values.json, { username: name, token, ...row }, `token #${id} revoked; its replacement #${row.id} (${row.label}), shown once:\n${token}`);
          } else if (action === 'revoke') {
            const row = await users.revokeToken(name, tokenId(id), actor);
            out(values.json, row, `token #${row.id} of ${name} revoked`);
          } else throw new AppError('USAGE', `users token: unknown action "${action ?? ''}" (add, rotate or revoke)`);
        });
      }
      default:
        throw new AppError('USAGE', verb ? `users: unknown verb "${verb}" (list, add, set or token)` : 'users needs a verb: list, add, set or token (see --help)');
    }
  },
};

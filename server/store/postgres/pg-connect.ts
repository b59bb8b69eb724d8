import postgres from 'postgres';
import { AppError } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/log/logger.js';

/**
 * Every number the store keeps fits a double: millisecond times (bigint) and
 * sums of them (numeric) are read as JS numbers, not as the strings the client
 * returns by default, so the PostgreSQL repositories hand back the same shapes
 * as the SQLite ones.
 */
const asNumber = (raw: string): number => Number(raw);
const NUMBER_TYPES = {
  bigint: { to: 20, from: [20], serialize: (v: number) => String(v), parse: asNumber },
  numeric: { to: 1700, from: [1700], serialize: (v: number) => String(v), parse: asNumber },
};

function createClient(url: string, options: postgres.Options<typeof NUMBER_TYPES>) {
  return postgres(url, options);
}
/** A pool (or, inside a transaction, its connection): what the PostgreSQL repositories query through. */
export type Pg = ReturnType<typeof createClient>;
export type PgTx = postgres.TransactionSql<{ bigint: number; numeric: number }>;
export type PgQueryable = Pg | PgTx;

export interface PostgresConnectOptions {
  /** Pool size: connections kept open at most. */
  max?: number;
  log?: Logger;
  /** Application name shown in pg_stat_activity. */
  applicationName?: string;
}

/**
 * Opens a connection pool to `url` (postgres://user@host:port/database) and
 * checks it answers, so a wrong URL fails at start with a clear message rather
 * than at the first write.
 */
export async function connectPostgres(url: string, options: PostgresConnectOptions = {}): Promise<Pg> {
  let parsed: URL;
  try {
    parsed = new URL(url);
    if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') throw new Error(`protocol ${parsed.protocol}`);
  } catch (err) {
    throw new AppError('CONFIG_INVALID', `store url is not a postgres:// URL: ${(err as Error).message}`, { cause: err });
  }
  const log = options.log;
  const sql = createClient(url, {
    max: options.max ?? 10,
    types: NUMBER_TYPES,
    connect_timeout: 10,
    idle_timeout: 60,
    // NOTICEs (e.g. "relation already exists, skipping") are routine DDL chatter, not events.
    onnotice: (n) => log?.debug({ notice: n.message }, 'postgres notice'),
    connection: { application_name: options.applicationName ?? 'hashwatt' },
  });
  try {
    await sql`SELECT 1`;
  } catch (err) {
    await sql.end({ timeout: 1 }).catch(() => undefined);
    // The password (if any) stays out of the message.
    const where = `${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
    throw new AppError('UNREACHABLE', `cannot connect to PostgreSQL at ${where}: ${(err as Error).message}`, { cause: err });
  }
  return sql;
}

/**
 * Runs `fn` in a transaction on `sql`: a new one on a pool, a savepoint inside one
 * already open, so a repository method that needs its writes together works the
 * same called alone or within StorePort.transaction.
 */
export function inTransaction<T>(sql: PgQueryable, fn: (tx: PgTx) => Promise<T>): Promise<T> {
  if ('savepoint' in sql) return sql.savepoint(fn) as Promise<T>;
  return sql.begin(fn) as Promise<T>;
}

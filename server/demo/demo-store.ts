import postgres from 'postgres';
import { AppError } from '../../shared/errors.js';
import type { StoreConfig } from '../store/open-store.js';

/** Where `hashwatt demo --store postgres` keeps its data when no URL is given. */
export const DEMO_PG_URL = 'postgres://postgres@127.0.0.1:5432/hashwatt_demo';

/**
 * The demo's store from `--store`: `sqlite` (default: a file in the data dir),
 * `postgres` (DEMO_PG_URL, or HASHWATT_PG_URL when set) or a postgres:// URL.
 * The database is created when it does not exist yet, so the demo is one command
 * on a machine where PostgreSQL runs.
 */
export async function demoStore(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<StoreConfig> {
  if (flag === undefined || flag === 'sqlite') return { kind: 'sqlite' };
  const url = flag === 'postgres' ? (env.HASHWATT_PG_URL ?? DEMO_PG_URL) : flag;
  if (!/^postgres(ql)?:\/\//.test(url)) throw new AppError('USAGE', `--store: expected sqlite, postgres or a postgres:// URL, got '${flag}'`);
  await ensureDatabase(url);
  return { kind: 'postgres', url, poolSize: 10 };
}

async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new AppError('USAGE', `--store: database name '${name}': use letters, digits and _ (the demo creates it when missing)`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const sql = postgres(admin.toString(), { max: 1, connect_timeout: 5, onnotice: () => undefined });
  try {
    const [row] = await sql<{ n: number }[]>`SELECT COUNT(*)::int AS n FROM pg_database WHERE datname = ${name}`;
    if (row!.n === 0) await sql.unsafe(`CREATE DATABASE ${name}`);
  } catch (err) {
    throw new AppError('USAGE', `--store: PostgreSQL at ${target.host} is not usable (${(err as Error).message}); start it, or run the demo without --store (SQLite)`, { cause: err });
  } finally {
    await sql.end({ timeout: 1 });
  }
}

import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

/**
 * A fresh, uniquely named PostgreSQL database per test file, dropped after.
 * When PostgreSQL is unreachable the tests skip with the reason printed,
 * except under CI=true, where that is a failure.
 */

/** The server's maintenance database; HASHWATT_TEST_PG_URL points elsewhere. */
export const PG_ADMIN_URL = process.env.HASHWATT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

type Sql = postgres.Sql<Record<string, unknown>>;

export interface TestDatabase {
  name: string;
  url: string;
  /** A pool on the test database, for the test's own queries. */
  sql: Sql;
  /** Closes the pool and drops the database, ending any connection left on it. */
  drop(): Promise<void>;
}

export interface OpenedTestDatabase {
  /** Why the tests skip, or undefined when the database is there. */
  skip: string | undefined;
  /** The database; throws when skipping (a test body never runs then). */
  db(): TestDatabase;
  drop(): Promise<void>;
}

export async function openTestDatabase(label: string, ddl: string): Promise<OpenedTestDatabase> {
  const admin = postgres(PG_ADMIN_URL, { max: 1, connect_timeout: 3, onnotice: () => undefined });
  const name = `hashwatt_${label}_${process.pid}_${randomBytes(4).toString('hex')}`.toLowerCase();
  try {
    await admin`SELECT 1`;
  } catch (err) {
    await admin.end({ timeout: 0 });
    const reason = `PostgreSQL is not reachable at ${PG_ADMIN_URL} (${(err as Error).message})`;
    if (process.env.CI === 'true') throw new Error(`${reason}; under CI=true that is a failure`);
    process.stdout.write(`skipping the PostgreSQL tests: ${reason}\n`);
    return { skip: reason, db: () => { throw new Error(reason); }, drop: async () => undefined };
  }
  await admin.unsafe(`CREATE DATABASE "${name}"`);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const sql = postgres(url.toString(), { max: 4, onnotice: () => undefined });
  await sql.unsafe(ddl);
  const drop = async () => {
    await sql.end({ timeout: 1 });
    await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end({ timeout: 1 });
  };
  const db: TestDatabase = { name, url: url.toString(), sql, drop };
  return { skip: undefined, db: () => db, drop };
}

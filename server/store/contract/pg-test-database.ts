import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

/**
 * The PostgreSQL the tests use: 127.0.0.1:5432, user postgres, trust auth (the
 * development and CI machines; `.ci/run` starts it). HASHWATT_TEST_PG_URL points
 * elsewhere. Each test gets its own freshly created database, dropped after.
 */
export const PG_ADMIN_URL = process.env.HASHWATT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function admin() {
  return postgres(PG_ADMIN_URL, { max: 1, connect_timeout: 3, onnotice: () => undefined });
}

/** Why PostgreSQL cannot be used by the tests, or undefined when it can. */
export async function postgresUnavailableReason(): Promise<string | undefined> {
  const sql = admin();
  try {
    await sql`SELECT 1`;
    return undefined;
  } catch (err) {
    return `PostgreSQL is not reachable at ${new URL(PG_ADMIN_URL).host} (${(err as Error).message}); start it or set HASHWATT_TEST_PG_URL`;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => undefined);
  }
}

/** Whether a test that needs PostgreSQL skips (with the reason printed) or, under CI=true, fails. */
export async function postgresSkipReason(): Promise<string | undefined> {
  const reason = await postgresUnavailableReason();
  if (reason === undefined) return undefined;
  if (process.env.CI === 'true') throw new Error(`${reason}; under CI=true that is a failure`);
  process.stdout.write(`skipping PostgreSQL tests: ${reason}\n`);
  return reason;
}

export interface TestDatabase {
  /** URL of the new database. */
  url: string;
  name: string;
  /** Drops it, closing any connection still open to it. */
  drop(): Promise<void>;
}

/** Creates a uniquely named empty database (hashwatt_<label>_<pid>_<random>); `label` is letters, digits and _. */
export async function createTestDatabase(label = 'test'): Promise<TestDatabase> {
  if (!/^[a-z0-9_]+$/.test(label)) throw new Error(`test database label ${JSON.stringify(label)}: use a-z, 0-9 and _`);
  const name = `hashwatt_${label}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const sql = admin();
  try {
    await sql.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await sql.end({ timeout: 1 });
  }
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const s = admin();
      try {
        await s.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await s.end({ timeout: 1 });
      }
    },
  };
}

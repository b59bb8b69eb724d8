import postgres from 'postgres';
import { createTestDatabase, postgresSkipReason } from '../../store/contract/pg-test-database.js';

/**
 * A fresh, uniquely named PostgreSQL database per test file with the given DDL
 * applied, dropped after (server/store/contract/pg-test-database.ts makes and
 * drops it). When PostgreSQL is unreachable the tests skip with the reason
 * printed, except under CI=true, where that is a failure.
 */

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
  const reason = await postgresSkipReason();
  if (reason !== undefined) return { skip: reason, db: () => { throw new Error(reason); }, drop: async () => undefined };
  const database = await createTestDatabase(label.toLowerCase());
  const sql = postgres(database.url, { max: 4, onnotice: () => undefined });
  await sql.unsafe(ddl);
  const drop = async () => {
    await sql.end({ timeout: 1 });
    await database.drop();
  };
  const db: TestDatabase = { name: database.name, url: database.url, sql, drop };
  return { skip: undefined, db: () => db, drop };
}

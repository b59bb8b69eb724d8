import { AppError } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/log/logger.js';
import type { Pg } from './pg-connect.js';
import { PG_MIGRATIONS } from './pg-migrations.js';
import { detectPartitioning } from './pg-time-partitioning.js';

/** Key of the advisory lock that lets one collector at a time migrate a shared database. */
const MIGRATION_LOCK = 0x68617368_7761_7474n; // "hashwatt"

/**
 * Applies the pending PostgreSQL migrations, each in its own transaction with
 * its version row, so a failure leaves the schema at the last whole version.
 * Collectors starting together take turns on an advisory lock and re-read the
 * version inside it: each migration runs once.
 */
export async function migratePostgres(sql: Pg, log?: Logger, options: { /** Stop at this version (a test of the next migration). */ upTo?: number } = {}): Promise<number> {
  const last = Math.min(options.upTo ?? PG_MIGRATIONS.length, PG_MIGRATIONS.length);
  await sql`CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`.catch((err: unknown) => {
    // Two collectors creating it at once: the loser's error is harmless.
    if ((err as { code?: string }).code !== '23505' && (err as { code?: string }).code !== '42P07') throw err;
  });
  for (let version = 1; version <= last; version++) {
    const applied = await sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${String(MIGRATION_LOCK)}::bigint)`;
      const [row] = await tx<{ v: number | null }[]>`SELECT max(version) AS v FROM schema_migrations`;
      const current = row?.v ?? 0;
      if (current > PG_MIGRATIONS.length) {
        throw new AppError('CONFIG_INVALID', `PostgreSQL schema version ${current} is newer than this build knows (${PG_MIGRATIONS.length}); upgrade hashwatt`);
      }
      if (current >= version) return false;
      const migration = PG_MIGRATIONS[version - 1]!;
      const partitioning = await detectPartitioning(tx);
      await tx.unsafe(migration.sql({ partitioning }));
      await tx`INSERT INTO schema_migrations (version, description) VALUES (${version}, ${migration.description})`;
      return true;
    });
    if (applied) log?.info({ version, backend: 'postgres' }, 'database migrated');
  }
  return last;
}

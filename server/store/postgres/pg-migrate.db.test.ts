import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../../shared/log/logger.js';
import { openDatabase } from '../database.js';
import { createTestDatabase, postgresSkipReason } from '../contract/pg-test-database.js';
import { connectPostgres } from './pg-connect.js';
import { migratePostgres } from './pg-migrate.js';
import { PG_MIGRATIONS } from './pg-migrations.js';

const log = createLogger({ level: 'silent' });
const skip = await postgresSkipReason();

/** Tables and their columns in a SQLite database at the latest migration. */
function sqliteSchema(): Map<string, string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'hashwatt-pg-migrate-'));
  try {
    const db = openDatabase(dir, log);
    const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all();
    const out = new Map(tables.map((t) => [t.name, db.prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${t.name}')`).all().map((c) => c.name).sort()]));
    db.close();
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('PostgreSQL migrations give every table and column of the SQLite schema, partition samples and miner detail by time, and run once', { skip }, async () => {
  const database = await createTestDatabase();
  const a = await connectPostgres(database.url, { max: 2 });
  const b = await connectPostgres(database.url, { max: 2 });
  try {
    // Two collectors starting together: the advisory lock lets each migration run once.
    assert.deepEqual(await Promise.all([migratePostgres(a, log), migratePostgres(b, log)]), [PG_MIGRATIONS.length, PG_MIGRATIONS.length]);
    const versions = await a<{ version: number }[]>`SELECT version FROM schema_migrations ORDER BY version`;
    assert.deepEqual(versions.map((v) => v.version), PG_MIGRATIONS.map((_, i) => i + 1));

    const columns = await a<{ table_name: string; column_name: string }[]>`
      SELECT c.table_name, c.column_name FROM information_schema.columns c
      JOIN pg_class k ON k.relname = c.table_name AND NOT k.relispartition
      WHERE c.table_schema = 'public'`;
    const pg = new Map<string, string[]>();
    for (const c of columns) pg.set(c.table_name, [...(pg.get(c.table_name) ?? []), c.column_name]);
    for (const [table, cols] of sqliteSchema()) {
      assert.ok(pg.has(table), `table ${table} exists on PostgreSQL`);
      assert.deepEqual(pg.get(table)!.sort(), cols, `columns of ${table}`);
    }

    const cluster = await a<{ table_name: string }[]>`SELECT table_name FROM information_schema.tables WHERE table_name IN ('leader_lease', 'control_revision') ORDER BY table_name`;
    assert.deepEqual(cluster.map((t) => t.table_name), ['control_revision', 'leader_lease'], 'the leader lease tables are migrated too');

    const partitioned = await a<{ relname: string }[]>`SELECT c.relname FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid ORDER BY c.relname`;
    assert.deepEqual(partitioned.map((r) => r.relname), ['miner_detail', 'samples']);
    const [mode] = await a<{ value: string }[]>`SELECT value FROM meta WHERE key = 'time_partitioning'`;
    assert.equal(mode?.value, 'native', 'no TimescaleDB here: native partitions');

    // The audit log stays append-only on PostgreSQL too.
    await a`INSERT INTO audit_log (ts, actor_kind, actor, action) VALUES (1, 'cli', 'test', 'x')`;
    await assert.rejects(a`UPDATE audit_log SET actor = 'other'`, /append-only/);
    await assert.rejects(a`DELETE FROM audit_log`, /append-only/);
  } finally {
    await a.end();
    await b.end();
    await database.drop();
  }
});

test('a database migrated by a newer build is refused with the versions named', { skip }, async () => {
  const database = await createTestDatabase();
  const sql = await connectPostgres(database.url, { max: 1 });
  try {
    await migratePostgres(sql, log);
    await sql`INSERT INTO schema_migrations (version, description) VALUES (${PG_MIGRATIONS.length + 1}, 'from the future')`;
    await assert.rejects(migratePostgres(sql, log), new RegExp(`schema version ${PG_MIGRATIONS.length + 1} is newer than this build knows \\(${PG_MIGRATIONS.length}\\)`));
  } finally {
    await sql.end();
    await database.drop();
  }
});

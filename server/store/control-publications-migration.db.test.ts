import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../shared/log/logger.js';
import { migrate } from './database.js';
import { MIGRATIONS } from './migrations.js';
import { createRepositories } from './repositories.js';
import { createTestDatabase, postgresSkipReason } from './contract/pg-test-database.js';
import { connectPostgres } from './postgres/pg-connect.js';
import { migratePostgres } from './postgres/pg-migrate.js';
import { PG_MIGRATIONS } from './postgres/pg-migrations.js';
import { createPgEventRepository } from './postgres/pg-event-repository.js';

/**
 * The migration that moved each control's publish time out of its wide row
 * (SQLite 10, PostgreSQL 3): a database an older release left, with one
 * control the broker acknowledged and one it did not, keeps both as they were.
 */
const log = createLogger({ level: 'silent' });
const published = { site: 1, revision: 41, payload: '{"effective":{"mode":"max_kw","value":700},"perAgent":{}}', at: 1_700_000_000_123 };
const pending = { site: 2, revision: 42, payload: '{"effective":{"mode":"none"},"perAgent":{}}' };

test('SQLite: a file at schema 9 keeps which controls the broker acknowledged, and when', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hashwatt-publications-'));
  try {
    const db = new Database(join(dir, 'old.db'));
    for (let v = 1; v <= 9; v++) db.exec(MIGRATIONS[v - 1]!);
    db.pragma('user_version = 9');
    db.exec(`INSERT INTO sites (id, site, name, created_at, updated_at) VALUES (1, 's1', 'S1', 0, 0), (2, 's2', 'S2', 0, 0)`);
    db.prepare('INSERT INTO controls (site_id, revision, payload, published_at) VALUES (?, ?, ?, ?)').run(published.site, published.revision, published.payload, published.at);
    db.prepare('INSERT INTO controls (site_id, revision, payload, published_at) VALUES (?, ?, ?, NULL)').run(pending.site, pending.revision, pending.payload);
    migrate(db, log);
    assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length);
    assert.deepEqual(db.prepare("SELECT name FROM pragma_table_info('controls') ORDER BY cid").all().map((c) => (c as { name: string }).name), ['site_id', 'revision', 'payload']);
    const events = createRepositories(db).events;
    assert.equal(events.control(published.site)?.publishedAt, published.at);
    assert.equal(events.control(pending.site)?.publishedAt, null);
    assert.deepEqual(events.unpublishedControls().map((c) => [c.site, c.revision]), [['s2', pending.revision]]);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const skip = await postgresSkipReason();

test('PostgreSQL: a database at version 2 keeps which controls the broker acknowledged, and when', { skip }, async () => {
  const database = await createTestDatabase('publications');
  const sql = await connectPostgres(database.url, { max: 2 });
  try {
    const before = PG_MIGRATIONS.findIndex((m) => m.description.includes('SQLite migration 10'));
    assert.equal(await migratePostgres(sql, log, { upTo: before }), before);
    await sql`INSERT INTO sites (id, site, name, created_at, updated_at) VALUES (1, 's1', 'S1', 0, 0), (2, 's2', 'S2', 0, 0)`;
    await sql`INSERT INTO controls (site_id, revision, payload, published_at) VALUES
      (${published.site}, ${published.revision}, ${published.payload}, ${published.at}), (${pending.site}, ${pending.revision}, ${pending.payload}, NULL)`;
    assert.equal(await migratePostgres(sql, log), PG_MIGRATIONS.length);
    const columns = await sql<{ column_name: string }[]>`SELECT column_name FROM information_schema.columns WHERE table_name = 'controls' ORDER BY ordinal_position`;
    assert.deepEqual(columns.map((c) => c.column_name), ['site_id', 'revision', 'payload']);
    const events = createPgEventRepository(sql);
    assert.equal((await events.control(published.site))?.publishedAt, published.at);
    assert.equal((await events.control(pending.site))?.publishedAt, null);
    assert.deepEqual((await events.unpublishedControls()).map((c) => [c.site, c.revision]), [['s2', pending.revision]]);
  } finally {
    await sql.end({ timeout: 1 });
    await database.drop();
  }
});

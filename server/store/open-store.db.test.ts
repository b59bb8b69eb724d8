import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAppError } from '../../shared/errors.js';
import { createLogger } from '../../shared/log/logger.js';
import { createTestDatabase, postgresSkipReason } from './contract/pg-test-database.js';
import { openStore, StoreConfigSchema } from './open-store.js';

const log = createLogger({ level: 'silent' });
const skip = await postgresSkipReason();

test('store config: sqlite needs nothing more; postgres needs a postgres:// URL, said so when it is not one', () => {
  assert.deepEqual(StoreConfigSchema.parse({ kind: 'sqlite' }), { kind: 'sqlite' });
  assert.deepEqual(StoreConfigSchema.parse({ kind: 'postgres', url: 'postgres://h/db' }), { kind: 'postgres', url: 'postgres://h/db', poolSize: 10 });
  const bad = StoreConfigSchema.safeParse({ kind: 'postgres', url: 'mysql://h/db' });
  assert.equal(bad.success, false);
  assert.match(bad.error!.issues[0]!.message, /a postgres:\/\/ URL/);
  assert.deepEqual(bad.error!.issues[0]!.path, ['url']);
});

test('openStore opens either backend; an unreachable PostgreSQL is a clear UNREACHABLE error naming where, without the password', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hashwatt-open-store-'));
  const database = await createTestDatabase();
  try {
    const sqlite = await openStore({ kind: 'sqlite' }, { dataDir: dir, log });
    const pg = await openStore({ kind: 'postgres', url: database.url, poolSize: 2 }, { dataDir: dir, log });
    assert.deepEqual([sqlite.kind, pg.kind], ['sqlite', 'postgres']);
    for (const store of [sqlite, pg]) {
      assert.ok((await store.sizeBytes()) > 0);
      await store.close();
    }
    await assert.rejects(openStore({ kind: 'postgres', url: 'postgres://hashwatt:s3cret@127.0.0.1:1/none', poolSize: 1 }, { dataDir: dir, log }), (err: unknown) => {
      assert.ok(isAppError(err, 'UNREACHABLE'));
      assert.match(err.message, /cannot connect to PostgreSQL at 127\.0\.0\.1:1\/none/);
      assert.doesNotMatch(err.message, /s3cret/);
      return true;
    });
  } finally {
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../../shared/log/logger.js';
import { createTestDatabase, postgresSkipReason } from '../contract/pg-test-database.js';
import { batch, detailRow, miner, sample, samplesRow, withSink } from '../contract/telemetry-rows.js';
import { backendActivity, databaseBackendPids, tableBytes, tableBytesByTable } from './pg-footprint.js';
import { openPostgresStore } from './postgres-store.js';
import { DAY_MS } from './pg-time-partitioning.js';

const log = createLogger({ level: 'silent' });
const skip = await postgresSkipReason();

test('footprint: table bytes count every day partition under its table and grow with what the sink writes; the total is their sum', { skip }, async () => {
  const database = await createTestDatabase();
  const store = await openPostgresStore({ url: database.url, max: 2, log });
  try {
    const site = (await store.sites.createUnknown('s1', Date.now())).id;
    const agent = await store.agents.ensure(site, 'a1');
    const before = await tableBytesByTable(store.sql);
    const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
    const miners = Array.from({ length: 200 }, (_, i) => miner(`m${i}`, 29.5));
    // Two days: two partitions of each table, both counted under the table's own name.
    await withSink(store, (sink) => sink.write(batch(Date.now(), [
      samplesRow({ siteId: site, agentId: agent, seq: 1 }, [sample(today + 1000)]),
      detailRow({ siteId: site, agentId: agent, seq: 2 }, today + 1000, miners),
      detailRow({ siteId: site, agentId: agent, seq: 3 }, today + DAY_MS + 1000, miners),
    ])));
    const after = await tableBytesByTable(store.sql);
    assert.ok(Object.keys(after).every((name) => !/_d\d{8}$/.test(name)), `no partition listed on its own: ${Object.keys(after).join(', ')}`);
    for (const table of ['samples', 'miner_detail', 'telemetry_log']) assert.ok(after[table]! > (before[table] ?? 0), `${table} grew`);
    assert.equal(await tableBytes(store.sql), Object.values(after).reduce((a, b) => a + b, 0));
  } finally {
    await store.close();
    await database.drop();
  }
});

test("footprint: another collector's backend is listed and seen waiting while it runs a statement; the asking backend is not listed", { skip }, async () => {
  const database = await createTestDatabase();
  const store = await openPostgresStore({ url: database.url, max: 1, log });
  const other = await openPostgresStore({ url: database.url, max: 1, log });
  try {
    const backendPid = async (s: typeof store.sql) => (await s<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`)[0]!.pid;
    const otherPid = await backendPid(other.sql);
    const ownPid = await backendPid(store.sql);
    const pids = await databaseBackendPids(store.sql);
    assert.ok(pids.includes(otherPid), `${otherPid} in ${pids.join(', ')}`);
    assert.ok(!pids.includes(ownPid), 'the backend answering is not one of those measured');

    // postgres.js sends a query when it is awaited or executed: execute() starts it now.
    const sleeping = other.sql`SELECT pg_sleep(3)`.execute();
    let seen: string[] = [];
    for (const deadline = Date.now() + 3000; Date.now() < deadline && !seen.includes('Timeout:PgSleep');) seen = await backendActivity(store.sql);
    await sleeping;
    assert.ok(seen.includes('Timeout:PgSleep'), `busy backends: ${seen.join(', ') || 'none'}`);
  } finally {
    await other.close();
    await store.close();
    await database.drop();
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../../shared/log/logger.js';
import { createTestDatabase, postgresSkipReason } from '../contract/pg-test-database.js';
import { batch, detailRow, miner, sample, samplesRow, withSink } from '../contract/telemetry-rows.js';
import { openPostgresStore } from './postgres-store.js';
import { createPartitionManager, listDayPartitions, partitionName } from './pg-partitions.js';
import { DAY_MS, timePartitioningDdl } from './pg-time-partitioning.js';

const log = createLogger({ level: 'silent' });
const skip = await postgresSkipReason();
const DAY0 = Date.UTC(2026, 11, 1);

test('day partitions: made ahead at open, on demand for a row of another day, by two collectors at once without error, dropped whole past the cutoff', { skip }, async () => {
  const database = await createTestDatabase();
  const store = await openPostgresStore({ url: database.url, max: 4, log });
  const second = await openPostgresStore({ url: database.url, max: 4, log });
  try {
    const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
    for (const table of ['samples', 'miner_detail'] as const) {
      const days = (await listDayPartitions(store.sql, table)).map((p) => p.from);
      assert.deepEqual(days, [today, today + DAY_MS, today + 2 * DAY_MS], `${table}: today and two days ahead`);
    }
    assert.equal(partitionName('samples', DAY0), 'samples_d20261201');

    // Two collectors need the same new days at the same moment.
    const a = createPartitionManager(store.sql);
    const b = createPartitionManager(second.sql);
    await Promise.all([a.ensureFor([DAY0 + 5, DAY0 - DAY_MS]), b.ensureFor([DAY0 + 10, DAY0 - DAY_MS + 1])]);
    const made = (await listDayPartitions(store.sql, 'samples')).filter((p) => p.from < today);
    assert.deepEqual(made.map((p) => [p.name, p.from, p.to]), [
      ['samples_d20261130', DAY0 - DAY_MS, DAY0], ['samples_d20261201', DAY0, DAY0 + DAY_MS],
    ]);

    // The sink makes the partition of a day it has not seen (an agent's backfill) itself.
    const site = (await store.sites.createUnknown('s1', DAY0)).id;
    const agent = await store.agents.ensure(site, 'a1');
    const backfill = DAY0 - 5 * DAY_MS + 1234;
    await withSink(store, (sink) => sink.write(batch(DAY0, [samplesRow({ siteId: site, agentId: agent, seq: 1 }, [sample(backfill)], true)])));
    assert.deepEqual((await store.rollups.series(site, backfill - 1, backfill + 1, 1000)).map((p) => p.ts), [backfill - 234]);

    // Per-miner detail of that old day and of 1 Dec, for retention to act on.
    await withSink(store, (sink) => sink.write(batch(DAY0, [
      detailRow({ siteId: site, agentId: agent, seq: 10 }, DAY0 - 5 * DAY_MS, [miner('old', 30)], 1),
      detailRow({ siteId: site, agentId: agent, seq: 11 }, DAY0 + 60_000, [miner('new', 20)]),
    ])));
    assert.deepEqual((await store.telemetry.miners(site, 10, 0)).miners.map((m) => m.miner), ['old', 'new']);

    // Retention drops the days wholly before the cutoff: here the backfill's and 30 Nov, not 1 Dec (the cutoff falls inside it).
    const dropped = await a.dropBefore(DAY0 + 1000);
    assert.deepEqual(dropped.map((p) => p.name).sort(), ['miner_detail_d20261126', 'miner_detail_d20261130', 'samples_d20261126', 'samples_d20261130']);
    assert.equal((await listDayPartitions(store.sql, 'samples'))[0]!.from, DAY0);
    assert.deepEqual(await store.rollups.series(site, backfill - 1, backfill + 1, 1000), []);
    await store.rollups.applyRetention([site], { raw: DAY0 + 1000, m1: 0, h1: 0 });
    assert.deepEqual((await store.telemetry.miners(site, 10, 0)).miners.map((m) => m.miner), ['new'], 'detail of a dropped day is gone, with its pointer');
    assert.deepEqual((await store.sql<{ part: number }[]>`SELECT part FROM miner_detail_latest`).map((r) => r.part), [0]);

    // This store's sink made that day, so it still believes the day exists: its next write there makes it again.
    await withSink(store, (sink) => sink.write(batch(DAY0, [samplesRow({ siteId: site, agentId: agent, seq: 2 }, [sample(backfill + 5000)], true)])));
    assert.deepEqual((await store.rollups.series(site, backfill - 1, backfill + 10_000, 1000)).map((p) => p.ts), [backfill + 5000 - 234]);
  } finally {
    await second.close();
    await store.close();
    await database.drop();
  }
});

test('with TimescaleDB the time-partitioned tables become hypertables of one-day chunks instead of declarative partitions', () => {
  // TimescaleDB is not installed on the test machines: this checks the DDL of that path.
  assert.deepEqual(timePartitioningDdl('timescaledb', 'samples'), { tableSuffix: '', after: `SELECT create_hypertable('samples', 'ts', chunk_time_interval => ${DAY_MS}::bigint);` });
  assert.deepEqual(timePartitioningDdl('native', 'miner_detail'), { tableSuffix: ' PARTITION BY RANGE (ts)', after: '' });
});

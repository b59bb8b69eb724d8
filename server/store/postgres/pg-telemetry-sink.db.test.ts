import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../../shared/log/logger.js';
import { createTestDatabase, postgresSkipReason } from '../contract/pg-test-database.js';
import { batch, detailRow, miner, sample, samplesRow, withSink } from '../contract/telemetry-rows.js';
import { pgArrayLiteral } from './pg-arrays.js';
import { openPostgresStore } from './postgres-store.js';

const log = createLogger({ level: 'silent' });
const skip = await postgresSkipReason();
const T0 = Date.UTC(2026, 11, 1, 10);

test('pg sink: detail bodies are stored exactly as sent, whether joined into one text or (holding the separator, or empty) sent as a text[]', { skip }, async () => {
  const database = await createTestDatabase('sink');
  const store = await openPostgresStore({ url: database.url, max: 2, log });
  try {
    const site = (await store.sites.createUnknown('s1', T0)).id;
    // a3 on a site of its own: its bodies below are not JSON, which the miners page would not read.
    const other = (await store.sites.createUnknown('s2', T0)).id;
    const agents = [await store.agents.ensure(site, 'a1'), await store.agents.ensure(site, 'a2'), await store.agents.ensure(other, 'a3')];
    const awkward = detailRow({ siteId: site, agentId: agents[0]!, seq: 1 }, T0, [miner('quote " back \\ é 🔥', 30)]);
    // Pretty-printed JSON: tabs, newlines and carriage returns between tokens.
    const pretty = { ...detailRow({ siteId: site, agentId: agents[1]!, seq: 1 }, T0, [miner('m2', 40)]) };
    pretty.detailBody = JSON.stringify(JSON.parse(pretty.detailBody!), null, '\t').replace(/\n/g, '\r\n');
    await withSink(store, (sink) => sink.write(batch(T0, [awkward, pretty])));

    // Not JSON a collector would pass on, but the store still must not split or drop it.
    const separator = { ...detailRow({ siteId: other, agentId: agents[2]!, seq: 1 }, T0, []), detailBody: 'a\x1eb' };
    const empty = { ...detailRow({ siteId: other, agentId: agents[2]!, seq: 2 }, T0, [], 1), detailBody: '' };
    const result = await withSink(store, (sink) => sink.write(batch(T0, [separator, empty])));
    assert.deepEqual([...result.fresh], [1, 1]);

    const stored = await store.sql<{ agent_id: number; part: number; body: string }[]>`SELECT agent_id, part, body FROM miner_detail ORDER BY agent_id, part`;
    assert.deepEqual(stored.map((r) => [r.agent_id, r.part, r.body]), [
      [agents[0], 0, awkward.detailBody], [agents[1], 0, pretty.detailBody], [agents[2], 0, 'a\x1eb'], [agents[2], 1, ''],
    ]);
    assert.deepEqual((await store.telemetry.miners(site, 10, 0)).miners.map((m) => m.miner).sort(), ['m2', 'quote " back \\ é 🔥']);

    // Samples go as array literals: values that need every digit, negatives, nulls and flags come back as sent.
    const values = { meterKw: -0.1 + 0.2, meterKwh: 123456789.123456789, estimatedKw: null, revision: 2 ** 52 + 1 };
    await withSink(store, (sink) => sink.write(batch(T0, [samplesRow({ siteId: site, agentId: agents[0]!, seq: 2 }, [sample(T0 + 1, values)], true)])));
    const [row] = await store.sql<{ meter_kw: number; meter_kwh: number; estimated_kw: number | null; revision: number; historical: boolean }[]>`
      SELECT meter_kw, meter_kwh, estimated_kw, revision, historical FROM samples WHERE agent_id = ${agents[0]!}`;
    assert.deepEqual(row, { meter_kw: -0.1 + 0.2, meter_kwh: 123456789.123456789, estimated_kw: null, revision: 2 ** 52 + 1, historical: true });
    assert.equal(pgArrayLiteral([1, -2.5, null, true, false]), '{1,-2.5,NULL,t,f}');
  } finally {
    await store.close();
    await database.drop();
  }
});

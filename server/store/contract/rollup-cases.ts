import assert from 'node:assert/strict';
import { listDayPartitions } from '../postgres/pg-partitions.js';
import { siteSettings } from './site-cases.js';
import type { ContractCase, ContractContext } from './store-harness.js';
import { batch, sample, samplesRow, withSink } from './telemetry-rows.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const DAY0 = Date.UTC(2026, 11, 1);
const T0 = DAY0 + 10 * HOUR;
const close = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} ≈ ${expected}`);

/** Two hours of samples every 10 s from `from`; meterKwh counts up at the given kW when metered. */
function twoHours(from: number, minerKw: number, meterKw: number | null) {
  const samples: Array<Array<number | null>> = [];
  for (let t = from; t < from + 2 * HOUR; t += 10_000) {
    samples.push(sample(t, { minerKw, meterKw, meterKwh: meterKw === null ? null : 1000 + ((t - from) / HOUR) * meterKw }));
  }
  return samples;
}

const minutesOf = (siteId: number, from: number, to: number) => {
  const out: Array<{ siteId: number; bucket: number }> = [];
  for (let b = from; b < to; b += MINUTE) out.push({ siteId, bucket: b });
  return out;
};

async function twoSites(ctx: ContractContext) {
  const plain = (await ctx.store.sites.upsert(siteSettings('plain', { tariffPerKwh: 0.1 }), 1)).row;
  const metered = (await ctx.store.sites.upsert(siteSettings('metered', { tariffPerKwh: 0.1, registered: false }), 1)).row;
  const a = await ctx.store.agents.ensure(plain.id, 'a1');
  const m = await ctx.store.agents.ensure(metered.id, 'm1');
  return { plain: plain.id, metered: metered.id, a, m };
}

export const rollupCases: ContractCase[] = [
  {
    name: 'rollups: refresh builds minutes, hours and the day; series read each; energy is metered or integrated, billed hour by hour across a tariff change',
    async run(ctx) {
      const { store } = ctx;
      const { plain, metered, a, m } = await twoSites(ctx);
      await withSink(store, (sink) => sink.write(batch(T0 + 2 * HOUR, [
        samplesRow({ siteId: plain, agentId: a, seq: 1 }, twoHours(T0, 60, null)),
        samplesRow({ siteId: metered, agentId: m, seq: 1 }, twoHours(T0, 30, 30)),
      ])));
      const dirty = [...minutesOf(plain, T0, T0 + 2 * HOUR), ...minutesOf(metered, T0, T0 + 2 * HOUR)];
      assert.equal(await store.rollups.refresh(dirty, 50), 240);

      const minutes = await store.rollups.series(plain, T0, T0 + 2 * HOUR, MINUTE);
      assert.equal(minutes.length, 120);
      assert.deepEqual(minutes[0], { ts: T0, kw: 60, kwMax: 60, minerKw: 60, hashrateThs: 1000 });
      assert.deepEqual(await store.rollups.series(plain, T0, T0 + 2 * HOUR, HOUR), [
        { ts: T0, kw: 60, kwMax: 60, minerKw: 60, hashrateThs: 1000 }, { ts: T0 + HOUR, kw: 60, kwMax: 60, minerKw: 60, hashrateThs: 1000 },
      ]);
      assert.deepEqual((await store.rollups.series(plain, T0, T0 + 2 * HOUR, 2 * HOUR)).map((p) => [p.ts, p.kw]), [[T0, 60]]);

      const day = new Date(DAY0).toISOString().slice(0, 10);
      const tariffs = await store.sites.allTerms();
      const [meteredDay, plainDay] = await store.rollups.energy(day, day, tariffs);
      assert.deepEqual({ ...plainDay, fee: 0 }, { site: 'plain', day, kwh: 120, source: 'integrated', minutes: 120, tariffPerKwh: 0.1, fee: 0, registered: true });
      close(plainDay!.fee, 12, 'integrated fee');
      assert.deepEqual([meteredDay!.site, meteredDay!.source, meteredDay!.minutes, meteredDay!.registered], ['metered', 'meter', 120, false]);
      close(meteredDay!.kwh, 30 * ((2 * HOUR - 10_000) / HOUR), 'metered kWh: the counter over the day');

      // The tariff doubles after the first hour: that hour is billed at the old one.
      await store.sites.upsert(siteSettings('plain', { tariffPerKwh: 0.2 }), T0 + 3 * HOUR, T0 + HOUR);
      const [, rebilled] = await store.rollups.energy(day, day, await store.sites.allTerms());
      close(rebilled!.fee, 60 * 0.1 + 60 * 0.2, 'fee across the change');
      close(rebilled!.tariffPerKwh, 0.15, 'average tariff');
      // A refresh of the same minutes again changes nothing (rows are replaced, not added).
      await store.rollups.refreshNow(minutesOf(plain, T0, T0 + 10 * MINUTE));
      assert.equal((await store.rollups.energy(day, day, tariffs))[1]!.kwh, 120);
    },
  },
  {
    name: 'retention: raw samples and the idempotency log go after rawDays (whole days on PostgreSQL, dropping their partitions), 1-minute rollups after their own, hours and daily energy stay',
    async run(ctx) {
      const { store } = ctx;
      const { plain, a } = await twoSites(ctx);
      const old = T0 - 3 * DAY;
      await withSink(store, async (sink) => {
        await sink.write(batch(old + 2 * HOUR, [samplesRow({ siteId: plain, agentId: a, seq: 1 }, twoHours(old, 60, null))]));
        await sink.write(batch(T0 + 2 * HOUR, [samplesRow({ siteId: plain, agentId: a, seq: 2 }, twoHours(T0, 60, null))]));
      });
      await store.rollups.refresh([...minutesOf(plain, old, old + 2 * HOUR), ...minutesOf(plain, T0, T0 + 2 * HOUR)]);
      const result = await store.rollups.applyRetention([plain], { raw: DAY0 - DAY, m1: DAY0 - 2 * DAY, h1: DAY0 - 4 * DAY });
      assert.equal(result.log, 1, 'the old message left the idempotency log');
      if (ctx.kind === 'sqlite') assert.equal(result.samples, 720);

      assert.deepEqual(await store.rollups.series(plain, old, old + 2 * HOUR, 10_000), [], 'old raw samples are gone');
      assert.equal((await store.rollups.series(plain, T0, T0 + 2 * HOUR, 10_000)).length, 720, 'recent ones stay');
      assert.deepEqual(await store.rollups.series(plain, old, old + 2 * HOUR, MINUTE), [], 'old minutes are gone');
      assert.equal((await store.rollups.series(plain, old, old + 2 * HOUR, HOUR)).length, 2, 'hours stay');
      const oldDay = new Date(old).toISOString().slice(0, 10);
      assert.equal((await store.rollups.energy(oldDay, oldDay, await store.sites.allTerms()))[0]?.kwh, 120, 'the energy ledger stays');
      assert.deepEqual(await store.telemetry.loggedSeqsAbove(a, 1, 0), [2]);

      if (ctx.postgres) {
        for (const table of ['samples', 'miner_detail'] as const) {
          const days = await listDayPartitions(ctx.postgres.sql, table);
          assert.ok(days.every((p) => p.from >= DAY0 - DAY), `${table}: no partition before the cutoff day remains`);
          assert.ok(days.some((p) => p.from === DAY0), `${table}: the recent day's partition is kept`);
        }
      }
    },
  },
];

import assert from 'node:assert/strict';
import { siteSettings } from './site-cases.js';
import type { ContractCase, ContractContext } from './store-harness.js';
import { batch, detailRow, miner, sample, samplesRow, withSink } from './telemetry-rows.js';

const T0 = Date.UTC(2026, 11, 1, 10, 0, 0);
const DAY = 86_400_000;

async function siteWithAgents(ctx: ContractContext, ...agents: string[]) {
  const site = (await ctx.store.sites.upsert(siteSettings('s1'), T0)).row;
  const ids: number[] = [];
  for (const a of agents) ids.push(await ctx.store.agents.ensure(site.id, a));
  return { siteId: site.id, ids };
}

export const telemetryCases: ContractCase[] = [
  {
    name: 'telemetry sink: new rows are stored once; a redelivery (same agent, session and seq) is reported as such and its content skipped',
    async run(ctx) {
      const { store } = ctx;
      const { siteId, ids: [a1, a2] } = await siteWithAgents(ctx, 'a1', 'a2');
      await withSink(store, async (sink) => {
        const empty = await sink.write(batch(T0, []));
        assert.deepEqual([empty.fresh.length, empty.ms], [0, null]);
        const first = await sink.write(batch(T0 + 10_000, [
          samplesRow({ siteId, agentId: a1!, seq: 1 }, [sample(T0, { minerKw: 100 }), sample(T0 + 5000, { minerKw: 110, meterKw: 120, meterKwh: 5000, revision: 4 })]),
          samplesRow({ siteId, agentId: a2!, seq: 1 }, [sample(T0, { minerKw: 50 })]),
          // the same key twice in one batch: the first is new, the second a redelivery
          samplesRow({ siteId, agentId: a2!, seq: 1 }, [sample(T0 + 1000, { minerKw: 999 })]),
        ]));
        assert.deepEqual([...first.fresh], [1, 1, 0]);
        assert.ok(first.ms !== null && first.ms >= 0);
        const replay = await sink.write(batch(T0 + 20_000, [
          samplesRow({ siteId, agentId: a1!, seq: 1 }, [sample(T0 + 5000, { minerKw: 777 })]),
          samplesRow({ siteId, agentId: a1!, seq: 2 }, [sample(T0 + 10_000, { minerKw: 130 })]),
          samplesRow({ siteId, agentId: a1!, seq: 1, session: 2 }, [sample(T0 + 15_000, { minerKw: 140 })]),
        ]));
        assert.deepEqual([...replay.fresh], [0, 1, 1], 'seq 1 again is a redelivery; the same seq in another session is not');
      });
      // Raw series (a step that is no whole minute reads the samples): the redelivered content is not there.
      const series = await store.rollups.series(siteId, T0, T0 + 20_000, 5000);
      assert.deepEqual(series.map((p) => [p.ts, p.minerKw]), [[T0, 150], [T0 + 5000, 110], [T0 + 10_000, 130], [T0 + 15_000, 140]]);
      assert.deepEqual(series[1], { ts: T0 + 5000, kw: 120, kwMax: 120, minerKw: 110, hashrateThs: 1000 }, 'site kW is the meter where there is one');
      const agent = (await store.agents.listBySite(siteId)).find((r) => r.id === a1)!;
      assert.deepEqual([agent.sampleTs, agent.minerKw, agent.lastSeen], [T0 + 15_000, 140, T0 + 20_000]);
      assert.equal((await store.agents.listBySite(siteId)).find((r) => r.id === a2)!.minerKw, 50);
    },
  },
  {
    name: 'telemetry sink: the agent view takes the newest non-historical sample; acks keep the highest seq; gaps and logged seqs read back',
    async run(ctx) {
      const { store } = ctx;
      const { siteId, ids: [a1] } = await siteWithAgents(ctx, 'a1');
      const agentId = a1!;
      await withSink(store, async (sink) => {
        await sink.write(batch(T0 + 60_000, [
          samplesRow({ siteId, agentId, seq: 1 }, [sample(T0 + 30_000, { minerKw: 300, meterKw: 310, meterKwh: 10, hashing: 7, idle: 1, sleeping: 1, offline: 0, error: 1, total: 10, hashrateThs: 700, revision: 9 })]),
          samplesRow({ siteId, agentId, seq: 2 }, [sample(T0 + 20_000, { minerKw: 200 })]), // older, arriving later
          samplesRow({ siteId, agentId, seq: 3 }, [sample(T0 - 2 * DAY, { minerKw: 1 })], true), // history (days back): never the current view
          samplesRow({ siteId, agentId, seq: 5 }, []),
        ], { acks: [agentId, 1, 2, agentId, 1, 3, agentId, 1, 1], gaps: [agentId, 1, 4, 4] }));
        await sink.write(batch(T0 + 70_000, [], { acks: [agentId, 1, 2] }));
      });
      const agent = (await store.agents.listBySite(siteId))[0]!;
      assert.deepEqual(
        { ts: agent.sampleTs, meterKw: agent.meterKw, meterKwh: agent.meterKwh, minerKw: agent.minerKw, ths: agent.hashrateThs, counts: agent.counts, revision: agent.revision, lastSeen: agent.lastSeen },
        { ts: T0 + 30_000, meterKw: 310, meterKwh: 10, minerKw: 300, ths: 700, counts: { hashing: 7, idle: 1, sleeping: 1, offline: 0, error: 1, total: 10 }, revision: 9, lastSeen: T0 + 60_000 },
      );
      assert.equal(await store.telemetry.ackedSeq(agentId, 1), 3, 'an ack never moves back');
      assert.equal(await store.telemetry.ackedSeq(agentId, 2), undefined);
      assert.deepEqual(await store.telemetry.gaps(), [{ agentId, session: 1, fromSeq: 4, toSeq: 4, detectedAt: T0 + 60_000 }]);
      assert.deepEqual(await store.telemetry.loggedSeqsAbove(agentId, 1, 1), [2, 3, 5]);
      assert.deepEqual(await store.telemetry.loggedSeqsAbove(agentId, 1, 1, 2), [2, 3]);
      const history = await store.rollups.series(siteId, T0 - 2 * DAY, T0 - 2 * DAY + 10_000, 5000);
      assert.deepEqual(history.map((p) => p.minerKw), [1], 'historical samples are stored');
    },
  },
  {
    name: 'miner detail: each miner at its newest report across parts and agents, least efficient first; a replay of older detail changes nothing',
    async run(ctx) {
      const { store } = ctx;
      const { siteId, ids: [a1, a2] } = await siteWithAgents(ctx, 'a1', 'a2');
      await withSink(store, async (sink) => {
        await sink.write(batch(T0, [
          detailRow({ siteId, agentId: a1!, seq: 1 }, T0 + 1000, [miner('m1', 30), miner('m2', 40)]),
          detailRow({ siteId, agentId: a1!, seq: 2 }, T0 + 1000, [miner('m3', null), miner('m4', 25, { w: null, powerSource: 'estimated', asleepByAgent: true, tempC: null })], 1),
          detailRow({ siteId, agentId: a2!, seq: 1 }, T0 + 1500, [miner('m5', 35)]),
        ]));
        // A newer round of part 0 moves m2 to sleep; then a replayed older part 0 arrives late.
        await sink.write(batch(T0 + 2000, [detailRow({ siteId, agentId: a1!, seq: 3 }, T0 + 2000, [miner('m1', 31), miner('m2', 40, { state: 'sleeping', w: 60, ths: 0, asleepByAgent: true })])]));
        await sink.write(batch(T0 + 3000, [detailRow({ siteId, agentId: a1!, seq: 4 }, T0 + 900, [miner('m1', 99)])]));
      });
      const page = await store.telemetry.miners(siteId, 100, 0);
      assert.equal(page.total, 5);
      assert.deepEqual(page.miners.map((m) => [m.miner, m.agent, m.jth, m.ts]), [
        ['m2', 'a1', 40, T0 + 2000], ['m5', 'a2', 35, T0 + 1500], ['m1', 'a1', 31, T0 + 2000], ['m4', 'a1', 25, T0 + 1000], ['m3', 'a1', null, T0 + 1000],
      ]);
      assert.deepEqual(page.miners[0], { miner: 'm2', agent: 'a1', model: 'S19j Pro', firmware: 'stock', state: 'sleeping', w: 60, powerSource: null, ths: 0, jth: 40, tempC: 70, asleepByAgent: true, ts: T0 + 2000 });
      assert.deepEqual({ w: page.miners[3]!.w, powerSource: page.miners[3]!.powerSource, tempC: page.miners[3]!.tempC, asleep: page.miners[3]!.asleepByAgent }, { w: null, powerSource: 'estimated', tempC: null, asleep: true });
      assert.deepEqual((await store.telemetry.miners(siteId, 2, 2)).miners.map((m) => m.miner), ['m1', 'm4'], 'limit and offset page the same order');
      assert.equal((await store.telemetry.miners((await store.sites.createUnknown('s2', T0)).id, 10, 0)).total, 0);
    },
  },
  {
    name: 'telemetry sink: two collectors writing the same messages at once store each once, and exactly one of them reports it new',
    async run(ctx) {
      const { store } = ctx;
      const { siteId, ids: [a1] } = await siteWithAgents(ctx, 'a1');
      const second = await ctx.reopen();
      const rows = Array.from({ length: 50 }, (_, i) => samplesRow({ siteId, agentId: a1!, seq: i + 1 }, [sample(T0 + i * 1000, { minerKw: i })]));
      const [one, two] = await withSink(store, (s1) => withSink(second, (s2) => Promise.all([
        // Overlapping halves in opposite orders, as a shared subscription may spread redeliveries.
        s1.write(batch(T0 + 60_000, rows.slice(0, 35))),
        s2.write(batch(T0 + 60_000, rows.slice(15).reverse())),
      ])));
      const fresh = new Map<number, number>();
      one!.fresh.forEach((f, i) => fresh.set(i + 1, f));
      two!.fresh.forEach((f, i) => fresh.set(50 - i, (fresh.get(50 - i) ?? 0) + f));
      assert.deepEqual([...fresh.entries()].filter(([, n]) => n !== 1), [], 'every seq new exactly once across the two');
      const series = await store.rollups.series(siteId, T0, T0 + 50_000, 1000);
      assert.deepEqual(series.map((p) => p.minerKw), rows.map((_, i) => i));
      assert.deepEqual(await store.telemetry.loggedSeqsAbove(a1!, 1, 0), rows.map((_, i) => i + 1));
    },
  },
  {
    name: 'telemetry progress: for several sessions in one query, the stored ack and the seqs (telemetry and control reports) committed above it and above what the asker knows',
    async run(ctx) {
      const { store } = ctx;
      const { siteId, ids: [a1, a2] } = await siteWithAgents(ctx, 'a1', 'a2');
      await withSink(store, (sink) => sink.write(batch(T0, [1, 2, 4, 7].map((seq) => samplesRow({ siteId, agentId: a1!, seq }, []))
        .concat([samplesRow({ siteId, agentId: a2!, seq: 3 }, [])]), { acks: [a1!, 1, 2] })));
      // A control report in the same sequence. The PostgreSQL events repository comes from
      // branch i16-pg-events; until it is merged, the row goes in by hand there.
      if (ctx.postgres) await ctx.postgres.sql`INSERT INTO control_reports (site_id, agent_id, revision, status, ts, received_at, session, seq) VALUES (${siteId}, ${a1!}, 1, 'accepted', ${T0}, ${T0}, 1, 5)`;
      else await store.events.insertReport({ siteId, agentId: a1!, revision: 1, status: 'accepted', reason: null, detail: null, achievedKw: null, targetKw: null, ts: T0, session: 1, seq: 5 }, T0);
      const [first, second, unknown] = await store.telemetry.progress([
        { agentId: a1!, session: 1, known: 0 }, { agentId: a2!, session: 1, known: 0 }, { agentId: a1!, session: 9, known: 3 },
      ]);
      assert.equal(first!.acked, 2, 'the ack another collector persisted');
      assert.deepEqual(first!.seqs.sort((x, y) => x - y), [4, 5, 7], 'telemetry and control report seqs above the stored ack');
      assert.deepEqual(second, { acked: 0, seqs: [3] });
      assert.deepEqual(unknown, { acked: 0, seqs: [] });
      assert.deepEqual((await store.telemetry.progress([{ agentId: a1!, session: 1, known: 4 }]))[0]!.seqs.sort((x, y) => x - y), [5, 7], 'only above what the asker knows');
      assert.deepEqual(await store.telemetry.progress([]), []);
    },
  },
  {
    name: 'telemetry gaps: two collectors giving up the same gap at once record it once; a later gap of the session is still recorded',
    async run(ctx) {
      const { store } = ctx;
      const { ids: [agent] } = await siteWithAgents(ctx, 'a1');
      const second = await ctx.reopen();
      const [one, two] = await withSink(store, (s1) => withSink(second, (s2) => Promise.all([
        s1.write(batch(T0, [], { acks: [agent!, 1, 9], gaps: [agent!, 1, 2, 4] })),
        s2.write(batch(T0 + 1, [], { acks: [agent!, 1, 9], gaps: [agent!, 1, 2, 4] })),
      ])));
      assert.deepEqual([...one!.gapsRecorded, ...two!.gapsRecorded].sort(), [0, 1]);
      assert.deepEqual((await store.telemetry.gaps()).map((g) => [g.fromSeq, g.toSeq]), [[2, 4]]);
      const later = await withSink(second, (sink) => sink.write(batch(T0 + 2, [], { acks: [agent!, 1, 20], gaps: [agent!, 1, 12, 15] })));
      assert.deepEqual([...later.gapsRecorded], [1]);
      assert.equal((await store.telemetry.gaps()).length, 2);
    },
  },
];

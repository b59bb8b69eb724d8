import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSilentLogger } from '../shared/log/logger.js';
import { waitFor } from '../test/helpers/wait-for.js';
import { createAgent, type Agent } from './main.js';
import { startTestSite, type TestSite } from './testing/test-site.js';

// Emulated fleet + meter + broker (embedded, or Mosquitto on the second pass)
// + a collector stand-in; the agent reaches the broker through a TCP proxy the
// test cuts to make an outage.
let site: TestSite;
let agent: Agent;

before(async () => {
  site = await startTestSite({ miners: 60 });
  agent = createAgent({ config: site.config(), log: createSilentLogger() });
  await agent.start();
});

after(async () => {
  await agent?.stop();
  await site?.stop();
});

test('telemetry matches the emulator ground truth: counts by state, miner power, meter', async () => {
  const truth = site.fleet.site();
  const sample = await waitFor('a sample with every miner hashing and a meter reading', () => {
    const samples = site.collector.telemetry.flatMap((t) => t.samples);
    return samples.findLast((s) => s.counts.hashing === 60 && s.meterKw !== null);
  });
  assert.equal(sample.counts.total, 60);
  assert.equal(sample.counts.offline + sample.counts.error + sample.counts.sleeping, 0);
  const trueKw = truth.minerPowerW / 1000;
  assert.ok(Math.abs(sample.minerKw - trueKw) / trueKw < 0.1, `miner sum ${sample.minerKw} kW vs emulator ${trueKw} kW`);
  const meterTruth = site.fleet.totalPowerW() / 1000;
  assert.ok(Math.abs(sample.meterKw! - meterTruth) / meterTruth < 0.03, `meter ${sample.meterKw} kW vs emulator ${meterTruth} kW`);
  assert.ok(sample.meterKwh !== null && sample.meterKwh >= 0);
  assert.ok(Math.abs(sample.hashrateThs - truth.hashrateThs) / truth.hashrateThs < 0.1, `hashrate ${sample.hashrateThs} vs ${truth.hashrateThs}`);
  assert.equal(sample.revision, null);

  const detail = await waitFor('per-miner detail for all 60 miners', () => {
    const ids = new Set(site.collector.telemetry.flatMap((t) => t.miners ?? []).map((m) => m.id));
    return ids.size === 60 ? ids : undefined;
  });
  assert.deepEqual([...detail].sort(), site.fleet.groundTruth().map((m) => m.id).sort());
  const births = site.collector.births as Array<{ miners: { total: number } }>;
  await waitFor('a birth with the inventory', () => (site.collector.births as Array<{ miners: { total: number } }>).some((b) => b.miners.total === 60));
  assert.ok(births.length > 0);
  // state is retained and published on connect; the stand-in may subscribe after it.
  await waitFor('the retained online state', () => site.collector.states.some((s) => s.online));
});

test('broker outage: samples made meanwhile arrive once each, oldest first, historical; the outbox empties', async () => {
  await waitFor('outbox drained before the outage', () => agent.status().outbox.rows <= 1);
  const seqAtCut = agent.status().outbox.enqueued;
  site.proxy.cut();
  await waitFor('agent sees the outage', () => !agent.status().broker.connected);
  // Keep the outage for at least 4 polls (a benchmark/manual run uses 30 s; 4 s proves the same).
  await waitFor('samples piling up in the outbox', () => agent.status().outbox.enqueued >= seqAtCut + 6 && agent.status().outbox.rows >= 4, { timeoutMs: 15_000 });
  const session = agent.status().session;
  site.proxy.restore();
  await waitFor('agent reconnected', () => agent.status().broker.connected, { timeoutMs: 10_000 });
  const seqAtRestore = agent.status().outbox.enqueued;
  await waitFor('outbox empty after acks', () => agent.status().outbox.rows === 0, { timeoutMs: 20_000 });

  const counts = site.collector.received();
  const outage: number[] = [];
  for (let seq = seqAtCut + 2; seq < seqAtRestore; seq++) outage.push(seq);
  assert.ok(outage.length >= 3, `outage covered ${outage.length} messages`);
  for (const seq of outage) assert.equal(counts.get(`${session}:${seq}`), 1, `seq ${seq} arrived ${counts.get(`${session}:${seq}`) ?? 0} times`);
  const replayed = site.collector.telemetry.filter((t) => t.session === session && outage.includes(t.seq));
  assert.ok(replayed.every((t) => t.historical === true), 'every message made during the outage is flagged historical');
  const order = replayed.map((t) => t.seq);
  assert.deepEqual(order, [...order].sort((a, b) => a - b), 'replayed oldest first');
  // Nothing of the session is missing at the collector.
  for (let seq = 1; seq <= agent.status().outbox.enqueued - 2; seq++) assert.ok(counts.has(`${session}:${seq}`), `seq ${seq} missing`);
});

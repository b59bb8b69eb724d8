import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSilentLogger } from '../shared/log/logger.js';
import type { Birth } from '../shared/protocol/index.js';
import { waitFor } from '../test/helpers/wait-for.js';
import { createMinerDriver } from './drivers/miners/registry.js';
import { createAgent, type Agent } from './main.js';
import { startTestSite, type TestSite } from './testing/test-site.js';

// `level: power_target` end to end: a mixed site of 40 emulated miners (stock
// Antminer without power targets, LuxOS profiles, Braiins OS restarting on each
// change, Whatsminer power limits), the real drivers, a Modbus meter, a broker.
let site: TestSite;
let agent: Agent;
/** Each miner's power target as its firmware reads it back before the agent touched it. */
let originals: Map<string, number | undefined>;

const config = () => site.config({ curtailment: { batchSize: 10, batchPauseS: 0.2, minSleepS: 0, confirmTimeoutMs: 6000, maxKwHysteresisKw: 3, tolerance: 0.02, powerTargetSettleS: 1 } });
const reportsFor = (rev: number) => site.collector.reports.filter((r) => r.revision === rev);

/** What `hashwatt probe` would print as each miner's power target. */
async function readTargets(): Promise<Map<string, number | undefined>> {
  const out = new Map<string, number | undefined>();
  await Promise.all(
    site.fleet.endpoints().map(async (e) => {
      const driver = createMinerDriver(e.firmware, { id: e.id, host: e.host, port: e.port, httpPort: e.httpPort, v3Port: e.v3Port, username: e.username, password: e.password }, { requestTimeoutMs: 2000 });
      let r = await driver.read();
      // LuxOS learns its profiles on the first read.
      if (e.firmware === 'luxos') r = await driver.read();
      out.set(e.id, r.powerTargetW);
    }),
  );
  return out;
}

before(async () => {
  site = await startTestSite({ miners: 40 });
  // An operator tuned some miners before hashwatt came: those targets must come back, not nameplate.
  const byFirmware = (f: string) => site.fleet.groundTruth().filter((m) => m.firmware === f);
  site.fleet.miner(byFirmware('braiins')[0]!.id).setPowerTarget(2900);
  site.fleet.miner(byFirmware('whatsminer')[0]!.id).setPowerTarget(3100);
  await waitFor('operator targets settled', () => site.fleet.groundTruth().every((m) => m.hashrateThs > 0), { timeoutMs: 10_000 });
  originals = await readTargets();
  assert.equal(originals.get(byFirmware('braiins')[0]!.id), 2900);
  agent = createAgent({ config: config(), log: createSilentLogger() });
  await agent.start();
  await waitFor('first sample with all miners read', () => site.collector.telemetry.some((t) => t.samples.some((s) => s.counts.hashing === 40)), { timeoutMs: 20_000 });
  const birth = await waitFor('birth announcing power_target', () => (site.collector.births as Birth[]).find((b) => b.curtail.levels.includes('power_target')), { timeoutMs: 20_000 });
  assert.ok(birth.curtail.powerTargetCapable >= 20, `${birth.curtail.powerTargetCapable} miners can take a power target`);
});

after(async () => {
  await agent?.stop();
  await site?.stop();
});

let cap = 0;

test('a power_target max_kw event: the meter settles under the cap with miners turned down, keeping more hashrate than power', async () => {
  const before = site.fleet.site();
  cap = Math.round((before.totalPowerW / 1000) * 0.87);
  await site.collector.publishRetained('control', site.control({ revision: 1, mode: 'max_kw', value: cap, level: 'power_target' }));
  const holding = await waitFor('holding', () => reportsFor(1).find((r) => r.status === 'holding'), { timeoutMs: 60_000 });
  assert.ok((holding.minersTargeted ?? 0) >= 5, `${holding.minersTargeted} miners at a lowered target`);
  await waitFor('meter under the cap', () => site.fleet.totalPowerW() / 1000 <= cap * 1.02, { timeoutMs: 30_000 });
  const from = site.collector.telemetry.length;
  await waitFor('five more samples', () => site.collector.telemetry.slice(from).flatMap((t) => t.samples).length >= 5, { timeoutMs: 15_000 });
  for (const s of site.collector.telemetry.slice(from).flatMap((t) => t.samples)) {
    assert.ok(s.meterKw !== null && s.meterKw <= cap * 1.02, `meter ${s.meterKw} kW over the ${cap} kW cap`);
  }
  const now = site.fleet.site();
  const powerKept = now.minerPowerW / before.minerPowerW;
  const hashKept = now.hashrateThs / before.hashrateThs;
  assert.ok(hashKept > powerKept + 0.02, `hashrate kept ${(hashKept * 100).toFixed(1)} % vs power ${(powerKept * 100).toFixed(1)} %`);
  const lowered = site.fleet.groundTruth().filter((m) => m.powerTargetW !== null && m.powerTargetW < (originals.get(m.id) ?? Infinity) - 50);
  assert.ok(lowered.length >= 5, `${lowered.length} miners read back a lowered target`);
  assert.ok(lowered.every((m) => m.firmware !== 'antminer'), 'stock Antminer firmware takes no power target');
});

test('an agent restart keeps every lowered target and holds', async () => {
  const targetsBefore = new Map(site.fleet.groundTruth().map((m) => [m.id, m.powerTargetW]));
  await agent.stop();
  agent = createAgent({ config: config(), log: createSilentLogger() });
  await agent.start();
  await waitFor('the new agent holds the control', () => agent.status().control.status === 'holding' && agent.status().control.revision === 1, { timeoutMs: 30_000 });
  assert.ok(agent.status().control.minersTargeted >= 5);
  const restored = site.fleet.groundTruth().filter((m) => targetsBefore.get(m.id) !== null && m.powerTargetW !== targetsBefore.get(m.id) && m.powerTargetW === (originals.get(m.id) ?? null));
  assert.deepEqual(restored.map((m) => m.id), [], 'no miner went back to its original target on restart');
  assert.ok(site.fleet.totalPowerW() / 1000 <= cap * 1.02, 'still under the cap');
});

test('with the collector cut off the agent holds until validUntil, then restores every original target by itself', async () => {
  const validUntil = Date.now() + 10_000;
  await site.collector.publishRetained('control', site.control({ revision: 2, mode: 'max_kw', value: cap, level: 'power_target', validUntil }));
  await waitFor('revision 2 accepted', () => reportsFor(2).find((r) => r.status === 'accepted'), { timeoutMs: 15_000 });
  site.proxy.cut();
  await waitFor('agent lost the broker', () => agent.status().broker.connected === false, { timeoutMs: 15_000 });
  assert.ok(agent.status().control.minersTargeted >= 5, 'still turned down while the collector is gone');
  assert.ok(Date.now() < validUntil, 'still inside the validity window');
  await waitFor('every miner back to its original target', async () => {
    if (agent.status().control.minersTargeted > 0) return false;
    const now = await readTargets();
    return [...originals].every(([id, w]) => now.get(id) === w || (w !== undefined && Math.abs((now.get(id) ?? 0) - w) <= 1));
  }, { timeoutMs: 60_000, intervalMs: 500 });
  assert.ok(Date.now() >= validUntil, 'restored only after validUntil');
  await waitFor('all hashing at full power', () => site.fleet.groundTruth().every((m) => m.phase === 'hashing'), { timeoutMs: 15_000 });
  site.proxy.restore();
  const released = await waitFor('released report delivered once the link is back', () => reportsFor(2).find((r) => r.status === 'released'), { timeoutMs: 30_000 });
  assert.ok(released.ts >= validUntil);
});

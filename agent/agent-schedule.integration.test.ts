import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSilentLogger } from '../shared/log/logger.js';
import { waitFor } from '../test/helpers/wait-for.js';
import { buildSignedControls } from '../server/events/control-publisher.js';
import { effectiveControl, type SiteWish } from '../server/events/effective-control.js';
import { createAgent, type Agent } from './main.js';
import { startTestSite, type TestSite } from './testing/test-site.js';

/**
 * Issue 13 #3: event A (a looser limit, long) and event B (a stricter one,
 * short) on one site merge into one control. With the collector gone, the agent
 * must hold A's limit after B ends, until A ends, and only then restore. The
 * control is the one the collector's own code builds for the two events.
 */
let site: TestSite;
let agent: Agent;

before(async () => {
  site = await startTestSite({ miners: 40 });
  agent = createAgent({ config: site.config(), log: createSilentLogger() });
  await agent.start();
  await waitFor('first sample with all miners hashing', () => site.collector.telemetry.some((t) => t.samples.some((s) => s.counts.hashing === 40)), { timeoutMs: 15_000 });
});

after(async () => {
  await agent?.stop();
  await site?.stop();
});

test('a merged limit is held after the stricter event ends, with the collector gone, until the longer one ends', { timeout: 90_000 }, async () => {
  const fullKw = site.fleet.totalPowerW() / 1000;
  const capA = Math.round(fullKw * 0.8);
  const capB = Math.round(fullKw * 0.55);
  const now = Date.now();
  const endB = now + 12_000;
  const endA = now + 30_000;
  const wish = (eventId: string, value: number, endTs: number): SiteWish => ({ eventId, priority: 'normal', mode: 'max_kw', value, targetKw: value, startTs: now, endTs, reason: eventId });
  const effective = effectiveControl([wish('event-a', capA, endA), wish('event-b', capB, endB)], now);
  const revision = 70;
  const control = buildSignedControls(site.site, [{ agent: site.agent, kw: fullKw, hashing: 40 }], effective, revision, now, 0, site.keys)[site.agent]!;
  assert.equal(control.validUntil, endB, 'an agent without schedules would restore at B\'s end');

  await site.collector.publishRetained('control', control);
  await waitFor('holding under B', () => site.collector.reports.find((r) => r.revision === revision && r.status === 'holding'), { timeoutMs: 15_000 });
  await site.collector.publishCollectorState(false);
  await waitFor('agent saw the collector go', () => agent.status().collectorOnline === false);

  // Every sample from shortly after B's end (the agent wakes miners up to A's
  // limit) until A's end stays under A's limit: nothing restored early.
  const inWindow = () => site.collector.telemetry.flatMap((t) => t.samples).filter((s) => s.ts >= endB + 2000 && s.ts < endA - 1000);
  // Wait for the window's last sample itself (telemetry can lag the clock on a loaded machine).
  await waitFor('a sample from the end of A', () => site.collector.telemetry.flatMap((t) => t.samples).some((s) => s.ts >= endA - 1000), { timeoutMs: 45_000 });
  const held = inWindow();
  assert.ok(held.length >= 5, `${held.length} samples between B's end and A's end`);
  for (const s of held) assert.ok(s.meterKw !== null && s.meterKw <= capA * 1.02, `meter ${s.meterKw} kW over A's ${capA} kW at ${new Date(s.ts).toISOString()} (B ended ${new Date(endB).toISOString()})`);

  const released = await waitFor('released after A', () => site.collector.reports.find((r) => r.revision === revision && r.status === 'released'), { timeoutMs: 20_000 });
  assert.ok(released.ts >= endA, 'released only after A\'s end');
  await waitFor('every miner hashing again', () => site.fleet.groundTruth().every((m) => m.phase === 'hashing'), { timeoutMs: 20_000 });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSilentLogger } from '../shared/log/logger.js';
import { uniqueId } from '../test/helpers/broker.js';
import { waitFor } from '../test/helpers/wait-for.js';
import { startDemo } from './demo/start-demo.js';
import { testStoreConfig } from './testing/test-store.js';

/**
 * An `auto` event end to end: the collector reads each agent's birth, sends
 * `power_target` to sites that announce it, the agents turn miners down, the
 * event shows the level and the TH/s kept per site; cancel restores the
 * miners' targets.
 */
test('reduce_by_kw 15 % with level auto: sites announcing power targets are sent power_target, keep more TH/s than kW shed, and get their targets back on cancel', { timeout: 90_000 }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'hashwatt-pt-'));
  const demo = await startDemo({
    sites: 2, miners: 40, timeFactor: 0.05, dataDir, httpPort: 0, mqttPort: 0,
    store: await testStoreConfig(dataDir), ...(process.env.MQTT_URL ? { mqttUrl: process.env.MQTT_URL } : {}),
    siteIdPrefix: `${uniqueId('p')}-`, pollCron: '*/1 * * * * *', log: createSilentLogger(),
  });
  const api = async (path: string, init: { method?: string; body?: unknown } = {}) => {
    const res = await fetch(`${demo.httpUrl}${path}`, { method: init.method ?? 'GET', headers: { authorization: `Bearer ${demo.tokens.grid}`, ...(init.body ? { 'content-type': 'application/json' } : {}) }, ...(init.body ? { body: JSON.stringify(init.body) } : {}) });
    return { status: res.status, body: (await res.json()) as any };
  };
  try {
    const chosen = demo.sites.filter((s) => s.role === 'registered').slice(0, 1);
    const ids = chosen.map((s) => s.id);
    const live = await waitFor('the site online with live kW', async () => {
      const sites = ((await api('/api/v1/sites')).body.sites as any[]).filter((s) => ids.includes(s.id));
      return sites.length === ids.length && sites.every((s) => s.online && s.kw > 0 && s.counts.hashing > 0) ? sites : undefined;
    }, { timeoutMs: 20_000 });
    const totalKw = live.reduce((a: number, s: { kw: number }) => a + s.kw, 0);
    const body = { scope: { sites: ids }, kind: 'reduce_by_kw', value: Math.round(totalKw * 0.15), durationS: 300, priority: 'high', level: 'auto', reason: 'power target e2e' };
    const created = await api('/api/v1/events', { method: 'POST', body });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.level, 'auto');
    const id = created.body.id as string;
    const confirmed = await waitFor('the target confirmed from telemetry', async () => {
      const e = (await api(`/api/v1/events/${id}`)).body;
      return e.targets.every((t: { state: string }) => t.state === 'confirmed') ? e : undefined;
    }, { timeoutMs: 60_000, intervalMs: 250 });
    const t = confirmed.targets[0];
    assert.equal(t.level, 'power_target', 'the site announced power targets, so auto became power_target');
    assert.ok(t.baselineThs > 0 && t.currentThs > 0);
    const shedShare = (t.baselineKw - t.currentKw) / t.baselineKw;
    const thsLost = 1 - t.currentThs / t.baselineThs;
    assert.ok(shedShare > 0.05, `shed ${(shedShare * 100).toFixed(1)} %`);
    assert.ok(thsLost < shedShare, `lost ${(thsLost * 100).toFixed(1)} % of TH/s for ${(shedShare * 100).toFixed(1)} % of kW`);
    const fleet = demo.demoSites.find((d) => d.plan.id === ids[0])!.fleet;
    const lowered = () => fleet.groundTruth().filter((m) => m.powerTargetW !== null && m.powerTargetW < fleet.miner(m.id).spec.nominalW - 50);
    assert.ok(lowered().length > 0, 'miners run at lowered power targets');

    const cancelled = await api(`/api/v1/events/${id}`, { method: 'DELETE' });
    assert.equal(cancelled.body.status, 'cancelled');
    await waitFor('every miner back at its original target and hashing', () => lowered().length === 0 && fleet.site().byPhase.hashing === fleet.site().miners, { timeoutMs: 40_000 });
  } finally {
    await demo.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});

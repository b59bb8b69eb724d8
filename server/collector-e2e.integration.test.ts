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
 * The whole chain: emulated fleets (real miner protocols) and Modbus meters,
 * one real agent per site, the collector, over the embedded broker or
 * Mosquitto (MQTT_URL). Three sites (one unregistered) shed 30 %.
 */
test('reduce_by_kw 30% over three sites: grey site first, agents act, confirmed from telemetry; cancel restores every miner', { timeout: 58_000 }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'hashwatt-e2e-'));
  const demo = await startDemo({
    sites: 4, miners: 48, timeFactor: 0.05, dataDir, httpPort: 0, mqttPort: 0,
    store: await testStoreConfig(dataDir), ...(process.env.MQTT_URL ? { mqttUrl: process.env.MQTT_URL } : {}),
    siteIdPrefix: `${uniqueId('e')}-`, pollCron: '*/1 * * * * *', log: createSilentLogger(),
  });
  const api = async (path: string, init: { method?: string; body?: unknown } = {}) => {
    const res = await fetch(`${demo.httpUrl}${path}`, { method: init.method ?? 'GET', headers: { authorization: `Bearer ${demo.tokens.grid}`, ...(init.body ? { 'content-type': 'application/json' } : {}) }, ...(init.body ? { body: JSON.stringify(init.body) } : {}) });
    return { status: res.status, body: (await res.json()) as any };
  };
  try {
    const grey = demo.sites.find((s) => s.role === 'unregistered')!;
    const chosen = [grey, ...demo.sites.filter((s) => s.role === 'registered').slice(0, 2)];
    const ids = chosen.map((s) => s.id);
    const live = await waitFor('the three sites online with live kW', async () => {
      const sites = ((await api('/api/v1/sites')).body.sites as any[]).filter((s) => ids.includes(s.id));
      return sites.length === 3 && sites.every((s) => s.online && s.kw > 0 && s.counts.hashing > 0) ? sites : undefined;
    }, { timeoutMs: 20_000 });
    assert.equal(live.find((s: { id: string }) => s.id === grey.id).registered, false);
    const totalKw = live.reduce((a: number, s: { kw: number }) => a + s.kw, 0);
    const body = { scope: { sites: ids }, kind: 'reduce_by_kw', value: Math.round(totalKw * 0.3), durationS: 300, priority: 'high', reason: 'e2e 30 %' };
    const plan = await api('/api/v1/events?dryRun=true', { method: 'POST', body });
    assert.equal(plan.body.targets[0].site, grey.id, 'the unregistered site is shed first');

    const created = await api('/api/v1/events', { method: 'POST', body });
    assert.equal(created.status, 201);
    const id = created.body.id as string;
    const confirmed = await waitFor('every target confirmed from telemetry', async () => {
      const e = (await api(`/api/v1/events/${id}`)).body;
      return e.targets.every((t: { state: string }) => t.state === 'confirmed') ? e : undefined;
    }, { timeoutMs: 30_000 });
    assert.ok(confirmed.achievedKw >= confirmed.requestedKw * 0.8, `achieved ${confirmed.achievedKw} of ${confirmed.requestedKw} kW`);
    const greyFleet = demo.demoSites.find((d) => d.plan.id === grey.id)!.fleet;
    assert.ok(greyFleet.site().byPhase.hashing < greyFleet.site().miners, 'grey miners were put to sleep');

    const cancelled = await api(`/api/v1/events/${id}`, { method: 'DELETE' });
    assert.equal(cancelled.body.status, 'cancelled');
    await waitFor('every miner of the three sites hashing again', () => chosen.every((s) => {
      const truth = demo.demoSites.find((d) => d.plan.id === s.id)!.fleet.site();
      return truth.byPhase.hashing === truth.miners;
    }), { timeoutMs: 20_000 });
  } finally {
    await demo.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});

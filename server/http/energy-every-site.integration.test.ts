import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../../test/helpers/wait-for.js';
import { startTestCollector } from '../testing/test-collector.js';
import { sample, startTestPublisher, type TestPublisher } from '../testing/test-publisher.js';

/**
 * Sites reporting in the same minutes each get their own rollups and daily
 * energy. (A rounding bug once merged the sites of a minute into one rollup
 * key, so only one site of each minute showed energy and a 1-minute chart.)
 */
test('five sites reporting in the same minutes each get minute rollups and daily energy', async () => {
  const prefix = `e${Math.random().toString(36).slice(2, 8)}`;
  const sites = Array.from({ length: 5 }, (_, i) => `${prefix}-s${i}`);
  const tc = await startTestCollector({}, { prefix, serveSites: sites });
  const pubs: TestPublisher[] = [];
  try {
    const t0 = Math.floor((Date.now() - 180_000) / 60_000) * 60_000;
    for (const [i, site] of sites.entries()) {
      const pub = await startTestPublisher(tc.broker.url, site);
      pubs.push(pub);
      await pub.online();
      // Two full minutes at (i + 1) × 300 kW, one sample every 10 s: (i + 1) × 10 kWh.
      await pub.telemetry(1, Array.from({ length: 12 }, (_, k) => sample(t0 + k * 10_000, (i + 1) * 300)));
    }
    await waitFor('every site stored', async () => {
      const r = await tc.api('/api/v1/sites');
      const ids = new Set((r.body.sites as Array<{ id: string }>).map((s) => s.id));
      return sites.every((s) => ids.has(s)) || undefined;
    });
    const day = new Date(t0).toISOString().slice(0, 10);
    const today = new Date().toISOString().slice(0, 10);
    const energy = await waitFor('energy of every site', async () => {
      const r = await tc.api(`/api/v1/energy?from=${day}&to=${today}`);
      assert.equal(r.status, 200);
      const rows = r.body.rows as Array<{ site: string; kwh: number }>;
      return rows.filter((row) => sites.includes(row.site)).length === sites.length ? rows : undefined;
      // A generous bound: on a loaded machine (the PostgreSQL pass beside other work) the 60
      // samples and their rollups take seconds to commit; what is asserted is that they come.
    }, { timeoutMs: 30_000 });
    for (const [i, site] of sites.entries()) {
      const kwh = energy.filter((r) => r.site === site).reduce((a, r) => a + r.kwh, 0);
      assert.ok(Math.abs(kwh - (i + 1) * 10) < 0.5, `${site}: ${kwh} kWh, expected ${(i + 1) * 10}`);
      const series = await tc.api(`/api/v1/sites/${site}/series?from=${t0}&to=${t0 + 120_000}&step=60000`);
      assert.equal(series.status, 200);
      const points = series.body.points as Array<{ ts: number; kw: number }>;
      assert.deepEqual(points.map((p) => [p.ts, Math.round(p.kw)]), [[t0, (i + 1) * 300], [t0 + 60_000, (i + 1) * 300]], `${site} 1-minute series`);
    }
  } finally {
    for (const p of pubs) {
      await p.clearRetained().catch(() => undefined);
      await p.close().catch(() => undefined);
    }
    await tc.stop();
  }
});

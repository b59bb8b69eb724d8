import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../../test/helpers/wait-for.js';
import { startTestCollector } from '../testing/test-collector.js';
import { sample, startTestPublisher } from '../testing/test-publisher.js';

/** An unknown site that reports is created unregistered at the configured grey tariff, and its energy is billed at it. */
async function greySite(overrides: Record<string, unknown>): Promise<{ site: { registered: boolean; flagged: boolean; tariffPerKwh: number }; fee: number; kwh: number }> {
  const prefix = `g${Math.random().toString(36).slice(2, 8)}`;
  const site = `${prefix}-grey`;
  const tc = await startTestCollector(overrides, { prefix, serveSites: [site] });
  const pub = await startTestPublisher(tc.broker.url, site);
  try {
    await pub.online();
    const t0 = Date.now() - 120_000;
    // Two minutes at 600 kW, one sample every 10 s: ≈ 20 kWh.
    await pub.telemetry(1, Array.from({ length: 13 }, (_, i) => sample(t0 + i * 10_000, 600)));
    // The ack goes out after the commit, in the same step that marks the minutes for the
    // energy rollup; the site row alone appears before the samples are committed.
    await waitFor('the samples committed (acked)', () => pub.acks.some((a) => a.seq === 1));
    const body = await waitFor('grey site created', async () => {
      const r = await tc.api(`/api/v1/sites/${site}`);
      return r.status === 200 ? r.body : undefined;
    });
    const day = new Date().toISOString().slice(0, 10);
    const from = new Date(t0).toISOString().slice(0, 10);
    const energy = await tc.api(`/api/v1/energy?from=${from}&to=${day}&site=${site}`);
    assert.equal(energy.status, 200);
    return { site: body, fee: energy.body.totals.fee, kwh: energy.body.totals.kwh };
  } finally {
    await pub.clearRetained().catch(() => undefined);
    await pub.close().catch(() => undefined);
    await tc.stop();
  }
}

test('an unknown site is created unregistered at the default grey tariff (0.0023 USD/kWh)', async () => {
  const { site, fee, kwh } = await greySite({});
  assert.equal(site.registered, false);
  assert.equal(site.flagged, true);
  assert.equal(site.tariffPerKwh, 0.0023);
  assert.ok(kwh > 10 && kwh < 40, `kWh ${kwh}`); // ≈ 20, integrated per minute bucket
  assert.ok(Math.abs(fee - kwh * 0.0023) < 1e-4, `fee ${fee} for ${kwh} kWh`);
});

test('registry.greyTariffPerKwh sets the tariff of auto-created sites', async () => {
  const { site, fee, kwh } = await greySite({ registry: { greyTariffPerKwh: 0.01 } });
  assert.equal(site.registered, false);
  assert.equal(site.tariffPerKwh, 0.01);
  assert.ok(kwh > 0 && Math.abs(fee - kwh * 0.01) < 1e-4, `fee ${fee} for ${kwh} kWh`);
});

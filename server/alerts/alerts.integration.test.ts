import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../../test/helpers/wait-for.js';
import { sseClient, type SseMessage } from '../../test/helpers/sse-client.js';
import { startTestCollector, TOKENS, type TestCollector } from '../testing/test-collector.js';
import { counts, sample, startTestPublisher, type TestPublisher } from '../testing/test-publisher.js';

interface Alert { id: number; kind: string; site: string; agent: string | null; openedAt: number; closedAt: number | null; details: Record<string, any> }

async function withSite(overrides: (site: string) => Record<string, unknown>, fn: (tc: TestCollector, pub: TestPublisher, site: string) => Promise<void>): Promise<void> {
  const prefix = `al${Math.random().toString(36).slice(2, 8)}`;
  const site = `${prefix}-a`;
  const tc = await startTestCollector(overrides(site), { prefix, serveSites: [site] });
  const pub = await startTestPublisher(tc.broker.url, site);
  try {
    await pub.online();
    await fn(tc, pub, site);
  } finally {
    await pub.clearRetained().catch(() => undefined);
    await pub.close().catch(() => undefined);
    await tc.stop();
  }
}

const openAlerts = async (tc: TestCollector): Promise<Alert[]> => (await tc.api('/api/v1/alerts?open=true', { token: 'viewer' })).body.alerts;
const openOf = (tc: TestCollector, kind: string) => async () => (await openAlerts(tc)).find((a) => a.kind === kind);
const closedOf = (tc: TestCollector, id: number) => async () => ((await tc.api('/api/v1/alerts')).body.alerts as Alert[]).find((a) => a.id === id && a.closedAt !== null);

/** The collector's SSE stream as a viewer reads it, until stopped. */
function streamEvents(tc: TestCollector): { events: SseMessage[]; stop(): void } {
  const { messages, stop } = sseClient(`${tc.collector.httpUrl}/api/v1/stream?token=${TOKENS.viewer}`);
  return { events: messages, stop };
}

test('meter divergence and over-allocation open as data, on the stream and in /metrics, and close when the condition clears', { timeout: 45_000 }, async () => {
  await withSite(
    (site) => ({ sites: [{ id: site, name: 'A', allocationKw: 1000 }], alerts: { evaluateEveryS: 0.2, divergenceForS: 0.5 }, compliance: { windowS: 1, graceS: 0.5, closeAfterS: 0.5 } }),
    async (tc, pub, site) => {
      const sse = streamEvents(tc);
      try {
        let seq = 1;
        await pub.telemetry(seq++, [sample(Date.now(), 800, { minerKw: 780 })]);
        await waitFor('site live', async () => (await tc.api(`/api/v1/sites/${site}`)).body.kw === 800);
        assert.deepEqual(await openAlerts(tc), []);

        // Miners report half of what the meter shows: a miner lies, or a meter CT is wrong.
        await pub.telemetry(seq++, [sample(Date.now(), 800, { minerKw: 400 })]);
        const div = await waitFor('meter_divergence open', openOf(tc, 'meter_divergence'));
        assert.equal(div.site, site);
        assert.equal(div.agent, 'a1');
        assert.deepEqual({ meterKw: div.details.meterKw, minerKw: div.details.minerKw, ratio: div.details.ratio }, { meterKw: 800, minerKw: 400, ratio: 0.5 });
        await waitFor('gauge', async () => /hashwatt_alerts_open\{kind="meter_divergence"\} 1/.test((await tc.api('/metrics', { token: null })).text));
        await waitFor('alert on the stream', () => sse.events.some((e) => e.type === 'alert' && e.data.change === 'opened' && e.data.alert.id === div.id));
        await pub.telemetry(seq++, [sample(Date.now(), 800, { minerKw: 760 })]);
        await waitFor('meter_divergence closed', closedOf(tc, div.id));

        // Two seconds at 1500 kW against 1000 kW: the violation opens after the grace period.
        const t0 = Date.now();
        await pub.telemetry(seq++, Array.from({ length: 10 }, (_, i) => sample(t0 + i * 200, 1500, { minerKw: 1450 })));
        const over = await waitFor('over_allocation open', openOf(tc, 'over_allocation'));
        assert.equal(over.details.allocationKw, 1000);
        assert.equal(over.agent, null);
        await pub.telemetry(seq++, Array.from({ length: 10 }, (_, i) => sample(t0 + 2000 + i * 200, 700, { minerKw: 690 })));
        await waitFor('over_allocation closed', closedOf(tc, over.id));
        await waitFor('closed on the stream', () => sse.events.some((e) => e.type === 'alert' && e.data.change === 'closed' && e.data.alert.id === over.id));
        assert.match((await tc.api('/metrics', { token: null })).text, /hashwatt_alerts_open\{kind="over_allocation"\} 0/);

        const filtered = await tc.api(`/api/v1/alerts?kind=meter_divergence&site=${site}`);
        assert.deepEqual(filtered.body.alerts.map((a: Alert) => a.id), [div.id]);
        assert.equal((await tc.api('/api/v1/alerts?kind=nope')).status, 400);
        assert.equal((await tc.api('/api/v1/alerts', { token: null })).status, 401);
        const doc = (await tc.api('/api/v1/openapi.json', { token: null })).body;
        assert.ok(doc.paths['/api/v1/alerts'].get.parameters.some((p: { name: string }) => p.name === 'open'));
      } finally {
        sse.stop();
      }
    },
  );
});

test('agent offline (retained state, then silence) and a telemetry gap', { timeout: 45_000 }, async () => {
  await withSite(
    () => ({ alerts: { evaluateEveryS: 0.2, offlineAfterPolls: 3, defaultPollIntervalS: 1, telemetryGapWindowS: 30 } }),
    async (tc, pub, site) => {
      await pub.telemetry(1, [sample(Date.now(), 500)]);
      await pub.telemetry(3, [sample(Date.now() + 1, 500)]); // seq 2 never comes: a gap after ingest.gapTimeoutS (2 s)
      const gap = await waitFor('telemetry_gap open', openOf(tc, 'telemetry_gap'), { timeoutMs: 15_000 });
      assert.equal(gap.agent, 'a1');
      assert.equal(gap.details.missingSeqs, 1);

      await pub.client.publishAsync(`hashwatt/v1/${site}/a1/state`, JSON.stringify({ v: 1, site, agent: 'a1', online: false, session: 1, ts: Date.now() }), { qos: 1, retain: true });
      const off = await waitFor('agent_offline open', openOf(tc, 'agent_offline'));
      assert.equal(off.details.reason, 'state_offline');
      await pub.online();
      await pub.telemetry(4, [sample(Date.now() + 2, 500)]);
      await waitFor('agent_offline closed', closedOf(tc, off.id));
      // Then nothing for more than 3 poll intervals.
      const silent = await waitFor('agent_offline (silent) open', async () => (await openAlerts(tc)).find((a) => a.kind === 'agent_offline' && a.id !== off.id), { timeoutMs: 15_000 });
      assert.equal(silent.details.reason, 'silent');
    },
  );
});

test('a control not confirmed in time opens control_unconfirmed; confirming closes it', { timeout: 45_000 }, async () => {
  await withSite(
    (site) => ({ sites: [{ id: site, name: 'A', allocationKw: 5000 }], alerts: { evaluateEveryS: 0.2, controlConfirmTimeoutS: 1 } }),
    async (tc, pub, site) => {
      await pub.telemetry(1, [sample(Date.now(), 3000, { counts: counts(100) })]);
      await waitFor('site live', async () => (await tc.api(`/api/v1/sites/${site}`)).body.kw === 3000);
      const ev = await tc.api('/api/v1/events', { method: 'POST', body: { scope: { sites: [site] }, kind: 'limit_to_kw', value: 2000, durationS: 600, reason: 'alert test' } });
      assert.equal(ev.status, 201);
      const control = await waitFor('control delivered', () => pub.controls.at(-1));
      const sentAt = Date.now();
      const alert = await waitFor('control_unconfirmed open', openOf(tc, 'control_unconfirmed'));
      assert.ok(Date.now() - sentAt >= 900, 'not before the timeout');
      assert.equal(alert.details.targets[0].eventId, ev.body.id);
      const rev = control.revision as number;
      await pub.report(rev, 'accepted');
      await pub.telemetry(2, [sample(Date.now(), 1900, { revision: rev, counts: counts(60, 40) })]);
      await waitFor('control_unconfirmed closed', closedOf(tc, alert.id));
    },
  );
});

test('hard cap: exceeded opens hard_cap_exceeded at once and, with auto-enforcement, a max_kw control at the allocation without the grace period', { timeout: 45_000 }, async () => {
  for (const autoEnforce of [true, false]) {
    await withSite(
      (site) => ({ sites: [{ id: site, name: 'A', allocationKw: 1000, hardCapKw: 1200, autoEnforce }], alerts: { evaluateEveryS: 60 }, compliance: { windowS: 1, graceS: 600 } }),
      async (tc, pub, site) => {
        await pub.telemetry(1, [sample(Date.now(), 900)]);
        await waitFor('site live', async () => (await tc.api(`/api/v1/sites/${site}`)).body.kw === 900);
        await pub.telemetry(2, [sample(Date.now() + 1, 1500), sample(Date.now() + 2, 1500)]);
        // The periodic pass is a minute away: the alert comes from the sample itself.
        const alert = await waitFor('hard_cap_exceeded open', openOf(tc, 'hard_cap_exceeded'), { timeoutMs: 5000 });
        assert.equal(alert.details.hardCapKw, 1200);
        assert.ok(alert.details.averageKw > 1200);
        assert.equal((await tc.api(`/api/v1/violations?site=${site}`)).body.violations.length, 0, 'no violation: the grace period has not passed');
        if (autoEnforce) {
          const ctl = await waitFor('max_kw control at the allocation', () => pub.controls.find((c) => c.mode === 'max_kw'), { timeoutMs: 5000 });
          assert.equal(ctl.value, 1000);
          const events = (await tc.api('/api/v1/events')).body.events;
          assert.equal(events.length, 1);
          assert.equal(events[0].createdBy, 'compliance');
          assert.match(events[0].reason, /hard cap of 1200 kW/);
        } else {
          const ts = Date.now() + 3;
          await pub.telemetry(3, [sample(ts, 1500)]);
          await waitFor('later sample seen', async () => (await tc.api(`/api/v1/sites/${site}`)).body.lastSampleTs === ts);
          assert.equal((await tc.api('/api/v1/events')).body.events.length, 0, 'auto-enforcement off: no event');
          assert.equal(pub.controls.length, 0);
        }
        await pub.telemetry(4, [sample(Date.now() + 1500, 900), sample(Date.now() + 2600, 900)]);
        await waitFor('hard_cap_exceeded closed', closedOf(tc, alert.id), { timeoutMs: 5000 });
      },
    );
  }
});

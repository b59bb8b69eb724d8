import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../../test/helpers/wait-for.js';
import { startTestCollector } from '../testing/test-collector.js';
import { counts, sample, startTestPublisher, type TestPublisher } from '../testing/test-publisher.js';

test('a company over its cap across two sites opens a company violation and is limited to the cap over its sites', async () => {
  const prefix = `c${Math.random().toString(36).slice(2, 8)}`;
  const [x1, x2, other] = ['x1', 'x2', 'o'].map((s) => `${prefix}-${s}`) as [string, string, string];
  const company = `${prefix}-xive`;
  const tc = await startTestCollector({
    sites: [
      { id: x1, name: 'Xive Ekibastuz', company, allocationKw: 70_000 },
      { id: x2, name: 'Xive Pavlodar', company, allocationKw: 70_000 },
      { id: other, name: 'Other', company: `${prefix}-other`, allocationKw: 70_000 },
    ],
    compliance: { windowS: 2, graceS: 600, tolerance: 0.05, hysteresis: 0.02 },
  }, { prefix, serveSites: [x1, x2, other] });
  const pubs: TestPublisher[] = [];
  try {
    const created = await tc.api('/api/v1/companies', { method: 'POST', body: { id: company, name: 'Xive', allocationKw: 90_000, hardCapKw: 100_000, autoLimit: true } });
    assert.equal(created.status, 201);
    assert.deepEqual(created.body.sites, [x1, x2]);
    assert.equal(created.body.status, 'no_data');
    assert.equal((await tc.api('/api/v1/companies', { method: 'POST', body: { id: company, name: 'Again' } })).status, 409);

    const seqs = new Map<string, number>();
    const send = async (p: TestPublisher, site: string, kw: number, revision: number | null = null) => {
      seqs.set(site, (seqs.get(site) ?? 0) + 1);
      await p.telemetry(seqs.get(site)!, [sample(Date.now(), kw, { revision, counts: counts(1000) })]);
    };
    for (const site of [x1, x2, other]) {
      const p = await startTestPublisher(tc.broker.url, site);
      pubs.push(p);
      await p.online();
    }
    // Each site is under its own 70 MW allocation; together Xive draws 110 MW against its 100 MW cap.
    await send(pubs[0]!, x1, 60_000);
    await send(pubs[1]!, x2, 50_000);
    await send(pubs[2]!, other, 65_000);
    const over = await waitFor('company violation', async () => { const c = (await tc.api(`/api/v1/companies/${company}`)).body; return c.status === 'violation' && c; });
    assert.equal(over.openViolation.capKw, 100_000);
    assert.ok(over.openViolation.peakKw >= 110_000 - 1, `peak ${over.openViolation.peakKw}`);
    assert.deepEqual(over.openViolation.sites, [x1, x2]);
    assert.equal(over.violations.length, 1);
    for (const s of [x1, x2]) assert.equal((await tc.api(`/api/v1/sites/${s}`)).body.compliance.status, 'ok', `${s} alone is within its allocation`);

    // Auto-limit: one limit_to_kw event at the cap over both sites, pro rata to draw.
    const ev = await waitFor('auto-limit event', async () => ((await tc.api('/api/v1/events')).body.events as Array<{ createdBy: string; kind: string; value: number; targets: Array<{ site: string; value: number }> }>).find((e) => e.createdBy === 'compliance'));
    assert.equal(ev.kind, 'limit_to_kw');
    assert.equal(ev.value, 100_000);
    assert.deepEqual(ev.targets.map((t) => [t.site, Math.round(t.value)]).sort(), [[x1, 54_545], [x2, 45_455]]);
    await waitFor('controls delivered', () => pubs[0]!.controls.length > 0 && pubs[1]!.controls.length > 0);
    assert.equal(pubs[2]!.controls.length, 0, 'another company is not touched');

    // Back under the cap (below cap × (1 − hysteresis)) once the window holds only lower draws.
    await waitFor('violation closed', async () => {
      await send(pubs[0]!, x1, 50_000);
      await send(pubs[1]!, x2, 40_000);
      const c = (await tc.api(`/api/v1/companies/${company}`)).body;
      return c.status === 'ok' && c.violations[0].closedAt !== null && c;
    }, { timeoutMs: 15_000, intervalMs: 200 });
  } finally {
    for (const p of pubs) {
      await p.clearRetained().catch(() => undefined);
      await p.close().catch(() => undefined);
    }
    await tc.stop();
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encode } from '../../shared/protocol/index.js';
import { waitFor } from '../../test/helpers/wait-for.js';
import type { RegistryChange, TestCollector } from '../testing/test-collector.js';
import { counts, sample, startTestPublisher, type TestPublisher } from '../testing/test-publisher.js';
import { withTestCollector } from '../testing/with-test-collector.js';

const SUFFIXES = ['a', 'b', 'grey', 'far'];

/** Registry changes the collector passed to its audit hook, in order. */
let changes: RegistryChange[] = [];

function withCollector(fn: (tc: TestCollector, pubs: TestPublisher[]) => Promise<void>, overrides?: (prefix: string) => Record<string, unknown>) {
  changes = [];
  return withTestCollector(fn, { serve: (prefix) => SUFFIXES.map((x) => `${prefix}-${x}`), onChange: (c) => changes.push(c), ...(overrides ? { overrides } : {}) });
}

test('a partial PUT changes only the fields it names', async () => {
  await withCollector(
    async (tc) => {
      const id = `${tc.prefix}-a`;
      const before = (await tc.api(`/api/v1/sites/${id}`)).body;
      assert.equal(before.region, 'almaty');
      const r = await tc.api(`/api/v1/sites/${id}`, { method: 'PUT', body: { allocationKw: 320 } });
      assert.equal(r.status, 200);
      assert.deepEqual(
        { region: r.body.region, company: r.body.company, tariffPerKwh: r.body.tariffPerKwh, tier: r.body.tier, hardCapKw: r.body.hardCapKw, autoEnforce: r.body.autoEnforce, allocationKw: r.body.allocationKw },
        { region: 'almaty', company: 'xive', tariffPerKwh: 0.0023, tier: 3, hardCapKw: 500, autoEnforce: true, allocationKw: 320 },
      );
      const again = (await tc.api(`/api/v1/sites/${id}`)).body;
      assert.equal(again.region, 'almaty', 'stored, not only answered');
      assert.equal(again.tier, 3);
      // null is a value: it clears the hard cap, where leaving it out keeps it.
      assert.equal((await tc.api(`/api/v1/sites/${id}`, { method: 'PUT', body: { hardCapKw: null } })).body.hardCapKw, null);
      assert.equal((await tc.api(`/api/v1/sites/${id}`, { method: 'PUT', body: { name: 'Renamed' } })).body.tier, 3);
      // Each change reached the audit hook with who made it, before and after.
      assert.equal(changes.length, 3);
      assert.deepEqual([changes[0]!.entity, changes[0]!.id, changes[0]!.by], ['site', id, 'operator']);
      assert.equal(changes[0]!.before?.allocationKw, 400);
      assert.equal(changes[0]!.after?.allocationKw, 320);
      assert.equal(changes[2]!.before?.name, 'A');
      assert.equal(changes[2]!.after?.name, 'Renamed');
    },
    (prefix) => ({ sites: [{ id: `${prefix}-a`, name: 'A', region: 'almaty', company: 'xive', allocationKw: 400, hardCapKw: 500, tariffPerKwh: 0.0023, tier: 3, autoEnforce: true }] }),
  );
});

test('API edge cases answer as documented: huge allocation refused, DELETE with an empty JSON body, 409s', async () => {
  await withCollector(async (tc) => {
    const id = `${tc.prefix}-b`;
    const huge = await tc.api('/api/v1/sites', { method: 'POST', body: { id, name: 'B', allocationKw: 1.7e308 } });
    assert.equal(huge.status, 400);
    assert.deepEqual(huge.body.issues.map((i: { path: string }) => i.path), ['body.allocationKw']);
    const created = await tc.api('/api/v1/sites', { method: 'POST', body: { id, name: 'B', allocationKw: 1e9 } });
    assert.equal(created.status, 201);
    assert.equal(created.body.compliance.thresholdKw, 1.05e9, 'a finite threshold, never null');
    assert.equal((await tc.api('/api/v1/sites', { method: 'POST', body: { id, name: 'B' } })).status, 409);
    const ev = await tc.api('/api/v1/events', { method: 'POST', body: { scope: { sites: [id] }, kind: 'full', durationS: 600 } });
    assert.equal(ev.status, 201);
    const del = await tc.api(`/api/v1/events/${ev.body.id}`, { method: 'DELETE', headers: { 'content-type': 'application/json' } });
    assert.equal(del.status, 200, del.text);
    assert.equal(del.body.status, 'cancelled');
    const again = await tc.api(`/api/v1/events/${ev.body.id}`, { method: 'DELETE' });
    assert.equal(again.status, 409);
    assert.match(again.body.message, /already cancelled/);
    const long = await tc.api(`/api/v1/events/${'x'.repeat(300)}`);
    assert.ok(long.status === 400 || long.status === 414, `status ${long.status}`);
  });
});

test('tariffs are effective-dated: a change at a time bills before it at the old tariff; the history is shown; future changes apply when due', async () => {
  await withCollector(
    async (tc, pubs) => {
      const id = `${tc.prefix}-a`;
      const p = await startTestPublisher(tc.broker.url, id);
      pubs.push(p);
      await p.online();
      const now = Date.now();
      const change = Math.floor((now - 12 * 60_000) / 60_000) * 60_000; // on a minute, as "noon"
      const morning = change - 8 * 60_000;
      const afternoon = change + 6 * 60_000;
      const window = (t0: number) => Array.from({ length: 13 }, (_, i) => sample(t0 + i * 10_000, 600, { counts: counts(10) }));
      const minutes = (t0: number) => new Set(window(t0).map((s) => Math.floor(s.ts / 60_000))).size;
      await p.telemetry(1, window(morning));
      await p.telemetry(2, window(afternoon));
      // Acked after the commit that also marks the minutes for the energy rollup.
      await waitFor('both messages committed (acked)', () => p.acks.some((a) => a.seq === 2));
      await waitFor('samples stored', async () => (await tc.api(`/api/v1/sites/${id}`)).body.lastSampleTs === afternoon + 120_000);

      const put = await tc.api(`/api/v1/sites/${id}`, { method: 'PUT', body: { tariffPerKwh: 0.0023, effectiveFrom: new Date(change).toISOString() } });
      assert.equal(put.status, 200);
      assert.equal(put.body.tariffPerKwh, 0.0023, 'in force now');
      const days = [...new Set([morning, afternoon].map((t) => new Date(t).toISOString().slice(0, 10)))].sort();
      const energy = async () => (await tc.api(`/api/v1/energy?from=${days[0]}&to=${days.at(-1)}&site=${id}`)).body.totals as { kwh: number; fee: number };
      const expected = 10 * minutes(morning) * 0.001 + 10 * minutes(afternoon) * 0.0023; // 600 kW = 10 kWh per minute bucket
      const e1 = await energy();
      assert.equal(e1.kwh, 10 * (minutes(morning) + minutes(afternoon)));
      assert.ok(Math.abs(e1.fee - expected) < 1e-6, `fee ${e1.fee}, expected ${expected}`);

      // A change made now reaches no earlier period.
      await tc.api(`/api/v1/sites/${id}`, { method: 'PUT', body: { tariffPerKwh: 5 } });
      assert.ok(Math.abs((await energy()).fee - expected) < 1e-6, 'past fees unchanged');

      const terms = (await tc.api(`/api/v1/sites/${id}/terms`)).body.terms as Array<{ effectiveFrom: number; tariffPerKwh: number }>;
      assert.deepEqual(terms.map((t) => t.tariffPerKwh), [0.001, 0.0023, 5]);
      assert.equal(terms[0]!.effectiveFrom, 0);
      assert.equal(terms[1]!.effectiveFrom, change);

      // An allocation dated in the future: the site keeps its allocation until then.
      const at = Date.now() + 1500;
      const future = await tc.api(`/api/v1/sites/${id}`, { method: 'PUT', body: { allocationKw: 250, effectiveFrom: at } });
      assert.equal(future.body.allocationKw, 1000);
      await waitFor('dated allocation applied', async () => (await tc.api(`/api/v1/sites/${id}`)).body.allocationKw === 250);
      assert.ok(Date.now() >= at);
    },
    (prefix) => ({ sites: [{ id: `${prefix}-a`, name: 'A', allocationKw: 1000, tariffPerKwh: 0.001 }] }),
  );
});

test('an unknown site takes the region its agent declares and falls inside a regional shed, grey first', async () => {
  await withCollector(
    async (tc, pubs) => {
      const grey = `${tc.prefix}-grey`;
      const white = `${tc.prefix}-a`;
      const far = `${tc.prefix}-far`;
      for (const [site, kw] of [[white, 1000], [grey, 400], [far, 300]] as const) {
        const p = await startTestPublisher(tc.broker.url, site);
        pubs.push(p);
        if (site === white) await p.online();
        else {
          const location = site === grey ? { region: 'ekibastuz', latitude: 51.72, longitude: 75.32 } : {};
          const birth = encode('birth', site, 'a1', {
            v: 1, site, agent: 'a1', session: 1, ts: Date.now(), agentVersion: 'test', agentClock: Date.now(),
            miners: { total: 10, byModel: [] }, nameplateKw: 32, meter: { present: true },
            curtail: { modes: ['max_kw', 'full', 'none'], strategies: ['least_efficient_first'], levels: ['sleep'], sleepCapable: 10, powerTargetCapable: 0 },
            location,
          });
          await p.client.publishAsync(birth.topic, birth.payload, { qos: 1, retain: true });
        }
        await p.telemetry(1, [sample(Date.now(), kw, { counts: counts(100) })]);
      }
      const g = await waitFor('grey site declared its region', async () => {
        const r = await tc.api(`/api/v1/sites/${grey}`);
        return r.status === 200 && r.body.region === 'ekibastuz' ? r.body : undefined;
      });
      assert.equal(g.regionDeclared, true);
      assert.equal(g.registered, false);
      assert.deepEqual([g.latitude, g.longitude], [51.72, 75.32]);
      const f = await waitFor('far site created', async () => { const r = await tc.api(`/api/v1/sites/${far}`); return r.status === 200 && r.body; });
      assert.equal(f.region, 'unknown', 'no declaration: unknown');
      await waitFor('draw known', async () => ((await tc.api('/api/v1/sites')).body.sites as Array<{ id: string; kw: number }>).filter((s) => [white, grey, far].includes(s.id) && s.kw > 0).length === 3);

      const plan = await tc.api('/api/v1/events?dryRun=true', { method: 'POST', body: { scope: { regions: ['ekibastuz'] }, kind: 'reduce_by_kw', value: 600, durationS: 600 } });
      assert.equal(plan.status, 200);
      assert.deepEqual(plan.body.targets.map((t: { site: string; group: string; shedKw: number }) => [t.site, t.group, t.shedKw]), [[grey, 'unregistered', 400], [white, 'tier-1', 200]]);

      // A person setting the region makes it verified; a later birth no longer moves it.
      const reg = await tc.api(`/api/v1/sites/${grey}`, { method: 'PUT', body: { region: 'pavlodar', allocationKw: 300 } });
      assert.equal(reg.body.regionDeclared, false);
      assert.equal(reg.body.registered, true);
    },
    (prefix) => ({ sites: [{ id: `${prefix}-a`, name: 'White', region: 'ekibastuz', allocationKw: 2000 }] }),
  );
});

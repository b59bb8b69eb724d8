import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { verifyPayload } from '../shared/signing/control-signing.js';
import { parsePublicKey } from '../shared/signing/key-files.js';
import { waitFor } from '../test/helpers/wait-for.js';
import { TOKENS, type TestCollector } from './testing/test-collector.js';
import { counts, sample, startTestPublisher, type TestPublisher } from './testing/test-publisher.js';
import { withTestCollector } from './testing/with-test-collector.js';

/** Every site a test here uses is `${prefix}-<suffix>`; the collector serves only those. */
const SUFFIXES = ['new', 'grey', 'over', 'a', 'b', 'e'];

function withCollector(fn: (tc: TestCollector, pubs: TestPublisher[]) => Promise<void>, overrides?: (prefix: string) => Record<string, unknown>) {
  return withTestCollector(fn, { serve: (prefix) => SUFFIXES.map((x) => `${prefix}-${x}`), ...(overrides ? { overrides } : {}) });
}

test('unauthorized and wrong-role requests get 401/403; malformed bodies get 400 naming each field', async () => {
  await withCollector(async (tc) => {
    assert.equal((await tc.api('/api/v1/sites', { token: null })).status, 401);
    assert.equal((await tc.api('/api/v1/sites', { token: null, headers: { authorization: 'Bearer nope' } })).status, 401);
    const viewerPost = await tc.api('/api/v1/events', { token: 'viewer', method: 'POST', body: { scope: { all: true }, kind: 'full', durationS: 60 } });
    assert.equal(viewerPost.status, 403);
    assert.match(viewerPost.body.message, /viewer/);
    assert.equal((await tc.api('/api/v1/sites', { token: 'viewer', method: 'POST', body: {} })).status, 403);

    const bad = await tc.api('/api/v1/sites', { method: 'POST', body: { id: 'Bad Id', name: '', allocationKw: -5, tier: 1.5 } });
    assert.equal(bad.status, 400);
    const paths = (bad.body.issues as Array<{ path: string }>).map((i) => i.path).sort();
    assert.deepEqual(paths, ['body.allocationKw', 'body.id', 'body.name', 'body.tier']);

    const notJson = await tc.api('/api/v1/events', { method: 'POST', body: '{"scope":', headers: { 'content-type': 'application/json' } });
    assert.equal(notJson.status, 400);
    assert.ok(notJson.body.message);
    const badEvent = await tc.api('/api/v1/events', { method: 'POST', body: { scope: {}, kind: 'reduce_by_kw', durationS: -1, priority: 'urgent' } });
    assert.equal(badEvent.status, 400);
    const evPaths = (badEvent.body.issues as Array<{ path: string }>).map((i) => i.path);
    for (const p of ['body.scope', 'body.durationS', 'body.priority']) assert.ok(evPaths.includes(p), `${p} in ${evPaths.join(', ')}`);
    const noValue = await tc.api('/api/v1/events', { method: 'POST', body: { scope: { all: true }, kind: 'reduce_by_kw', durationS: 60 } });
    assert.deepEqual(noValue.body.issues.map((i: { path: string }) => i.path), ['body.value']);
    // A fractional duration made a control with a non-integer validUntil that every agent refused (issue 13 #7).
    const fractional = await tc.api('/api/v1/events', { method: 'POST', body: { scope: { all: true }, kind: 'full', durationS: 60.5 } });
    assert.equal(fractional.status, 400);
    assert.deepEqual(fractional.body.issues.map((i: { path: string; message: string }) => `${i.path}: ${i.message}`), ['body.durationS: durationS must be a whole number of seconds']);
    assert.equal((await tc.api('/api/v1/energy?from=2024-13&to=x')).status, 400);
    assert.equal((await tc.api('/api/v1/sites/nope-site/series?step=5')).status, 400);
    assert.equal((await tc.api('/api/v1/sites/nope-site')).status, 404);
    assert.equal((await tc.api('/api/v1/events/nope', { method: 'DELETE' })).status, 404);
    assert.equal((await tc.api('/api/v1/sites', { method: 'POST', body: 'x'.repeat(2_000_000) })).status, 413);

    const doc = await tc.api('/api/v1/openapi.json', { token: null });
    assert.equal(doc.status, 200);
    assert.equal(doc.body.openapi, '3.0.3');
    for (const p of ['/api/v1/sites', '/api/v1/sites/{id}', '/api/v1/sites/{id}/series', '/api/v1/sites/{id}/miners', '/api/v1/events', '/api/v1/events/{id}', '/api/v1/violations', '/api/v1/energy', '/api/v1/agents', '/api/v1/stream']) {
      assert.ok(doc.body.paths[p], `${p} documented`);
    }
    assert.ok(doc.body.paths['/api/v1/events'].post.requestBody.content['application/json'].schema.properties.kind);
  });
});

test('sites are registered and updated through the API; an unknown site can be registered', async () => {
  await withCollector(async (tc, pubs) => {
    const id = `${tc.prefix}-new`;
    const created = await tc.api('/api/v1/sites', { method: 'POST', token: 'grid', body: { id, name: 'New', region: 'west', allocationKw: 500, tariffPerKwh: 0.0023 } });
    assert.equal(created.status, 201);
    assert.equal(created.body.allocationKw, 500);
    assert.equal((await tc.api('/api/v1/sites', { method: 'POST', body: { id, name: 'Again' } })).status, 409);
    const updated = await tc.api(`/api/v1/sites/${id}`, { method: 'PUT', body: { allocationKw: 750, tier: 2 } });
    assert.equal(updated.body.allocationKw, 750);
    assert.equal(updated.body.name, 'New');

    const grey = `${tc.prefix}-grey`;
    const p = await startTestPublisher(tc.broker.url, grey);
    pubs.push(p);
    const ts = Date.now();
    await p.telemetry(1, [sample(ts, 80)], { miners: [{ id: 'm1', model: 'S19', firmware: 'stock', state: 'hashing', w: 3250, powerSource: 'reported', ths: 95, jth: 34.2, tempC: 70, asleepByAgent: false }, { id: 'm2', model: 'S9', firmware: 'stock', state: 'hashing', w: null, ths: 13.5, jth: 98, tempC: null }] });
    await waitFor('grey site', async () => (await tc.api(`/api/v1/sites/${grey}`)).body?.flagged === true);
    // The site row is created as the message is taken in; its miners land with the writer thread's commit.
    await waitFor('grey site miners', async () => (await tc.api(`/api/v1/sites/${grey}/miners`)).body?.miners?.length === 2);
    const miners = await tc.api(`/api/v1/sites/${grey}/miners`);
    assert.deepEqual(miners.body.miners.map((m: { miner: string }) => m.miner), ['m2', 'm1'], 'least efficient first');
    // Every field as sent, the absent optional ones as null; stamped with the message's sample time.
    assert.deepEqual(miners.body.miners.map(({ agent: _a, ...m }: Record<string, unknown>) => m), [
      { miner: 'm2', model: 'S9', firmware: 'stock', state: 'hashing', w: null, powerSource: null, ths: 13.5, jth: 98, tempC: null, asleepByAgent: null, ts },
      { miner: 'm1', model: 'S19', firmware: 'stock', state: 'hashing', w: 3250, powerSource: 'reported', ths: 95, jth: 34.2, tempC: 70, asleepByAgent: false, ts },
    ]);
    const reg = await tc.api(`/api/v1/sites/${grey}`, { method: 'PUT', body: { allocationKw: 100 } });
    assert.equal(reg.body.registered, true);
    assert.equal(reg.body.flagged, false);
    const agents = await tc.api('/api/v1/agents');
    assert.ok(agents.body.agents.some((a: { site: string }) => a.site === grey));
  });
});

test('a site over its allocation opens a violation after the grace period and closes it after falling back', async () => {
  await withCollector(
    async (tc, pubs) => {
      const site = `${tc.prefix}-over`;
      const p = await startTestPublisher(tc.broker.url, site);
      pubs.push(p);
      let seq = 0;
      let ts = Date.now() - 100_000;
      const send = async (kw: number, n: number) => {
        for (let i = 0; i < n; i++) await p.telemetry(++seq, [sample((ts += 1000), kw)]);
      };
      await send(900, 3);
      await send(1300, 3);
      await waitFor('over but within grace', async () => (await tc.api(`/api/v1/sites/${site}`)).body.compliance.status === 'over');
      assert.equal((await tc.api(`/api/v1/violations?site=${site}`)).body.violations.length, 0);
      await send(1300, 4);
      const open = await waitFor('violation open', async () => (await tc.api(`/api/v1/violations?site=${site}&open=true`)).body.violations[0]);
      assert.equal(open.peakKw, 1300);
      assert.equal(open.allocationKw, 1000);
      assert.equal(open.closedAt, null);
      // Auto-enforcement (on for this site): a max_kw control at the allocation, as an event by 'compliance'.
      await waitFor('enforcement control', () => p.controls.some((c) => c.mode === 'max_kw' && c.value === 1000));
      const enforced = (await tc.api('/api/v1/events')).body.events.find((e: { createdBy: string }) => e.createdBy === 'compliance');
      assert.equal(enforced.kind, 'limit_to_kw');
      assert.equal(enforced.value, 1000);
      await send(800, 8);
      const closed = await waitFor('violation closed', async () => (await tc.api(`/api/v1/violations?site=${site}`)).body.violations.find((v: { closedAt: number | null }) => v.closedAt !== null));
      assert.ok(closed.durationS >= 5, `duration ${closed.durationS}`);
      assert.ok(closed.energyOverKwh > 0);
      assert.equal((await tc.api(`/api/v1/sites/${site}`)).body.compliance.status, 'ok');
    },
    (prefix) => ({ sites: [{ id: `${prefix}-over`, name: 'Over', allocationKw: 1000, autoEnforce: true }], compliance: { windowS: 2, graceS: 4, closeAfterS: 3, tolerance: 0.05, hysteresis: 0.02 } }),
  );
});

test('events: dry-run plan, signed retained controls, target states from reports and telemetry, cancel restores', async () => {
  await withCollector(
    async (tc, pubs) => {
      const ids = ['a', 'b', 'grey'].map((x) => `${tc.prefix}-${x}`);
      const kws = [1000, 3000, 500];
      for (const [i, id] of ids.entries()) {
        const p = await startTestPublisher(tc.broker.url, id);
        pubs.push(p);
        await p.online();
        await p.telemetry(1, [sample(Date.now(), kws[i]!, { counts: counts(100) })]);
      }
      await waitFor('three sites live', async () => ((await tc.api('/api/v1/sites')).body.sites as any[]).filter((s) => ids.includes(s.id) && s.kw > 0).length === 3);
      const body = { scope: { sites: ids }, kind: 'reduce_by_kw', value: 1350, durationS: 600, priority: 'high', reason: 'test shed' };
      const plan = await tc.api('/api/v1/events?dryRun=true', { method: 'POST', token: 'grid', body });
      assert.equal(plan.status, 200);
      assert.equal(plan.body.targets[0].site, ids[2], 'grey first');
      assert.equal(plan.body.plannedShedKw, 1350);
      assert.equal((await tc.api('/api/v1/events')).body.events.length, 0, 'a dry run stores nothing');

      const created = await tc.api('/api/v1/events', { method: 'POST', token: 'grid', body });
      assert.equal(created.status, 201);
      const id = created.body.id as string;
      assert.equal(created.body.requestedMw, 1.35);
      const pub = parsePublicKey(readFileSync(tc.config.signing.publicKeyFile, 'utf8'));
      for (const p of pubs) await waitFor('control delivered', () => p.controls.length > 0);
      for (const p of pubs) assert.deepEqual(verifyPayload(p.controls.at(-1)!, [pub]).ok, true);
      const ctlB = pubs[1]!.controls.at(-1)!;
      assert.equal(ctlB.mode, 'max_kw');
      assert.equal(ctlB.value, 2362.5);
      assert.equal(pubs[2]!.controls.at(-1)!.mode, 'full');
      const ev = await waitFor('targets sent', async () => { const e = (await tc.api(`/api/v1/events/${id}`)).body; return e.targets.every((t: { state: string }) => t.state === 'sent') && e; });
      assert.ok(ev.targets.every((t: { revision: number }) => t.revision > 0));

      // The agents act: reports, then telemetry under the new revision.
      for (const [i, p] of pubs.entries()) {
        const rev = p.controls.at(-1)!.revision as number;
        await p.report(rev, 'received');
        await p.report(rev, 'accepted');
        await p.report(rev, 'holding', { achievedKw: 1 });
        const shed = [212.5, 637.5, 500][i]!;
        await p.telemetry(2, [sample(Date.now(), kws[i]! - shed, { revision: rev, counts: i === 2 ? counts(0, 100) : counts(80, 20) })]);
      }
      const done = await waitFor('every target confirmed', async () => { const e = (await tc.api(`/api/v1/events/${id}`)).body; return e.targets.every((t: { state: string }) => t.state === 'confirmed') && e; });
      assert.ok(Math.abs(done.achievedKw - 1350) < 1, `achieved ${done.achievedKw}`);

      const cancelled = await tc.api(`/api/v1/events/${id}`, { method: 'DELETE', token: 'operator' });
      assert.equal(cancelled.body.status, 'cancelled');
      for (const p of pubs) await waitFor('none control', () => p.controls.at(-1)!.mode === 'none');
      assert.ok((pubs[0]!.controls.at(-1)!.revision as number) > (pubs[0]!.controls[0]!.revision as number));
      assert.ok(cancelled.body.targets.every((t: { state: string }) => t.state === 'released'));
      assert.equal((await tc.api(`/api/v1/events/${id}`, { method: 'DELETE' })).status, 409);

      // An event ends by itself at its end time and the site is restored.
      const short = await tc.api('/api/v1/events', { method: 'POST', body: { scope: { sites: [ids[0]] }, kind: 'full', durationS: 1, reason: 'short' } });
      assert.equal(short.status, 201);
      await waitFor('full control', () => pubs[0]!.controls.at(-1)!.mode === 'full');
      await waitFor('event completed', async () => (await tc.api(`/api/v1/events/${short.body.id}`)).body.status === 'completed', { timeoutMs: 5000 });
      await waitFor('restored after the end', () => pubs[0]!.controls.at(-1)!.mode === 'none');
    },
    (prefix) => ({ sites: [{ id: `${prefix}-a`, name: 'A', allocationKw: 2000 }, { id: `${prefix}-b`, name: 'B', allocationKw: 4000 }] }),
  );
});

test('a sleep_count plan counts what sleeping the chosen miners takes off the meter: their draw minus their sleep draw, overhead left on', async () => {
  await withCollector(async (tc, pubs) => {
    const id = `${tc.prefix}-a`;
    const p = await startTestPublisher(tc.broker.url, id);
    pubs.push(p);
    await p.online();
    // 20 kW at the meter: three hashing miners (10.2 kW with the sleeping one), the rest overhead.
    const miner = (mid: string, model: string, state: 'hashing' | 'sleeping', w: number, jth: number | null) =>
      ({ id: mid, model, firmware: 'braiins', state, w, powerSource: 'reported' as const, ths: jth ? w / jth : 0, jth, tempC: 60 });
    await p.telemetry(1, [sample(Date.now(), 20, { counts: counts(3, 1) })]);
    await p.telemetry(2, [], { miners: [miner('m1', 'M30S+', 'hashing', 3400, 34), miner('m2', 'S19 Pro', 'hashing', 3000, 27), miner('m3', 'S21', 'hashing', 3500, 17.5), miner('m4', 'S19 Pro', 'sleeping', 50, null)] });
    await waitFor('miner detail stored', async () => (await tc.api(`/api/v1/sites/${id}/miners`)).body.total === 4);
    // The plan also takes the site's draw from the live view, which follows the commit a moment later.
    await waitFor('the site\'s 20 kW live', async () => (await tc.api('/api/v1/sites')).body.sites.some((s: { id: string; kw: number | null }) => s.id === id && s.kw === 20));
    const body = { scope: { sites: [id] }, kind: 'sleep_count', value: 2, durationS: 600, priority: 'emergency', reason: 'test' };
    const plan = await tc.api('/api/v1/events?dryRun=true', { method: 'POST', token: 'grid', body });
    assert.equal(plan.status, 200);
    // The two least efficient (M30S+ 34 J/TH, S19 Pro 27 J/TH), each less the 50 W a sleeping S19 Pro was measured at;
    // the site's draw shared per hashing miner would have said 13.33 kW.
    assert.equal(plan.body.plannedShedKw, 6.3);
    assert.equal(plan.body.requestedKw, 6.3);
    assert.equal(plan.body.targets[0].targetKw, 13.7);
    const full = await tc.api('/api/v1/events?dryRun=true', { method: 'POST', token: 'grid', body: { ...body, kind: 'full', value: undefined } });
    assert.equal(full.body.plannedShedKw, 9.75, 'full: every hashing miner, not the whole 20 kW');
  });
});

test('energy per day as JSON and CSV, and the SSE stream carries site updates', async () => {
  await withCollector(
    async (tc, pubs) => {
      const site = `${tc.prefix}-e`;
      const p = await startTestPublisher(tc.broker.url, site);
      pubs.push(p);
      // A recent day: samples older than ingest.bounds.maxAgeDays are refused.
      const day = (Math.floor(Date.now() / 86_400_000) - 3) * 86_400_000;
      const date = new Date(day).toISOString().slice(0, 10);
      // 600 kW for 10 minutes = 100 kWh, by meter counter
      for (let i = 0; i <= 10; i++) await p.telemetry(i + 1, [sample(day + i * 60_000, 600, { meterKwh: 5000 + i * 10 })], { historical: true });
      await waitFor('ack 11', () => p.acks.some((a) => a.seq === 11));
      const e = await tc.api(`/api/v1/energy?from=${date}&to=${date}`);
      const row = e.body.rows.find((r: { site: string }) => r.site === site);
      assert.equal(row.kwh, 100);
      assert.equal(row.source, 'meter');
      assert.ok(Math.abs(row.fee - 0.23) < 1e-9);
      const csv = await tc.api(`/api/v1/energy?from=${date}&to=${date}`, { headers: { accept: 'text/csv' } });
      assert.match(csv.headers.get('content-type') ?? '', /text\/csv/);
      assert.ok(csv.text.split('\n').some((l) => l.startsWith(`${site},${date},100,meter`)));
      const series = await tc.api(`/api/v1/sites/${site}/series?from=${day}&to=${day + 3_600_000}&step=60000`);
      assert.equal(series.body.points.length, 11);

      const ctrl = new AbortController();
      const res = await fetch(`${tc.collector.httpUrl}/api/v1/stream?token=${TOKENS.viewer}`, { signal: ctrl.signal });
      assert.equal(res.status, 200);
      const reader = res.body!.getReader();
      let text = '';
      await p.telemetry(12, [sample(Date.now(), 321)]);
      await waitFor('a site event on the stream', async () => {
        const { value } = await reader.read();
        text += Buffer.from(value ?? []).toString();
        return text.includes('event: site') && text.includes('"kw":321');
      });
      ctrl.abort();
    },
    (prefix) => ({ sites: [{ id: `${prefix}-e`, name: 'E', tariffPerKwh: 0.0023 }] }),
  );
});

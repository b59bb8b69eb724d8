import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { waitFor } from '../test/helpers/wait-for.js';
import type { TestCollector } from './testing/test-collector.js';
import { counts, sample, startTestPublisher, type TestPublisher } from './testing/test-publisher.js';
import { withTestCollector } from './testing/with-test-collector.js';

function withCollector(fn: (tc: TestCollector, pubs: TestPublisher[]) => Promise<void>, overrides: Record<string, unknown> = {}, serve: (prefix: string) => string[] = () => []) {
  return withTestCollector(fn, { serve, overrides: () => overrides });
}

const metric = (text: string, name: string, label: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${label}}`));
  return line ? Number(line.split(' ').pop()) : NaN;
};

test('three sites show live kW, counts and online; an unknown site appears unregistered', async () => {
  const prefix = `s${Math.random().toString(36).slice(2, 8)}`;
  const sites = [1, 2, 3].map((i) => ({ id: `${prefix}-site-${i}`, name: `Site ${i}`, region: 'north', allocationKw: 1000 * i, tariffPerKwh: 0.01 }));
  await withCollector(async (tc, pubs) => {
    const grey = `${prefix}-grey`;
    for (const [i, id] of [...sites.map((s) => s.id), grey].entries()) {
      const p = await startTestPublisher(tc.broker.url, id);
      pubs.push(p);
      await p.online();
      await p.telemetry(1, [sample(Date.now(), 100 * (i + 1), { counts: counts(10 + i, 2) })]);
    }
    const list = await waitFor('four sites with live kW', async () => {
      const r = await tc.api('/api/v1/sites', { token: 'viewer' });
      const mine = (r.body.sites as any[]).filter((s) => s.id.startsWith(prefix));
      return mine.length === 4 && mine.every((s) => s.kw > 0 && s.online) ? mine : undefined;
    });
    const byId = Object.fromEntries(list.map((s: any) => [s.id, s]));
    assert.equal(byId[`${prefix}-site-2`].kw, 200);
    assert.equal(byId[`${prefix}-site-2`].allocationKw, 2000);
    assert.deepEqual(byId[`${prefix}-site-3`].counts, { hashing: 12, idle: 0, sleeping: 2, offline: 0, error: 0, total: 14 });
    assert.equal(byId[`${prefix}-site-1`].registered, true);
    assert.equal(byId[`${prefix}-site-1`].agentsOnline, 1);
    assert.equal(byId[grey].registered, false);
    assert.equal(byId[grey].flagged, true);
    assert.equal(byId[grey].kw, 400);
    // The Will / an offline state takes the site offline.
    await pubs[0]!.client.publishAsync(`hashwatt/v1/${sites[0]!.id}/a1/state`, JSON.stringify({ v: 1, site: sites[0]!.id, agent: 'a1', online: false, session: 1, ts: Date.now() }), { qos: 1, retain: true });
    await waitFor('site 1 offline', async () => ((await tc.api(`/api/v1/sites/${sites[0]!.id}`)).body.online === false));
  }, { sites }, () => [...sites.map((s) => s.id), `${prefix}-grey`]);
});

test('acks only after commit, never past a gap, and redeliveries are stored once', async () => {
  await withCollector(async (tc, pubs) => {
    const site = `${tc.prefix}-acks`;
    const p = await startTestPublisher(tc.broker.url, site, 'a1', 7);
    pubs.push(p);
    const t0 = Date.now() - 60_000;
    await p.telemetry(1, [sample(t0, 10)]);
    await p.telemetry(2, [sample(t0 + 1000, 11)]);
    await p.telemetry(4, [sample(t0 + 3000, 13)]);
    await waitFor('ack of 2', () => p.acks.some((a) => a.session === 7 && a.seq === 2));
    assert.ok(!p.acks.some((a) => a.seq > 2), 'no ack past the gap at 3');
    const db = tc.readStore();
    const rows = async () => (await db.all<{ n: number }>('SELECT COUNT(*) AS n FROM samples s JOIN sites x ON x.id = s.site_id WHERE x.site = ?', site))[0]!.n;
    await waitFor('seq 4 stored even though it is not acked yet', async () => (await rows()) === 3);
    assert.ok(!p.acks.some((a) => a.seq > 2), 'still no ack past the gap');
    await p.telemetry(3, [sample(t0 + 2000, 12)]);
    await waitFor('ack of 4 once the gap filled', () => p.acks.some((a) => a.seq === 4));
    // Redelivery of everything: no duplicates, and the ack is repeated.
    const before = p.acks.length;
    for (let seq = 1; seq <= 4; seq++) await p.telemetry(seq, [sample(t0 + (seq - 1) * 1000, 10 + seq - 1)]);
    await waitFor('re-ack after redelivery', () => p.acks.length > before && p.acks[p.acks.length - 1]!.seq === 4);
    assert.equal(await rows(), 4);
    await db.close();
    await waitFor('four duplicates counted', async () => /hashwatt_ingest_duplicates_total ([4-9]|\d\d)/.test((await tc.api('/metrics', { token: null })).text));
    // A gap that never fills is recorded and skipped after the (test: 2 s) timeout.
    await p.telemetry(6, [sample(t0 + 5000, 15)]);
    await waitFor('ack past an abandoned gap', () => p.acks.some((a) => a.seq === 6), { timeoutMs: 8000 });
    const gaps = await tc.collector.store.telemetry.gaps();
    assert.ok(gaps.some((g) => g.session === 7 && g.fromSeq === 5 && g.toSeq === 5));
    // A historical replay does not overwrite the current view.
    await p.telemetry(7, [sample(t0 - 600_000, 999)], { historical: true });
    await waitFor('ack 7', () => p.acks.some((a) => a.seq === 7));
    assert.equal((await tc.api(`/api/v1/sites/${site}`)).body.kw, 15);
  }, {}, (prefix) => [`${prefix}-acks`]);
});

const BAD: Array<{ name: string; topic?: string; kind?: 'telemetry' | 'state' | 'birth' | 'control/report'; payload: string | Buffer; reason: string }> = [
  { name: 'not JSON', payload: '{"v":1,', reason: 'not_json' },
  { name: 'JSON array', payload: '[1,2]', reason: 'not_json' },
  { name: 'binary garbage', payload: Buffer.from([0xff, 0x00, 0x13, 0x37]), reason: 'not_json' },
  { name: 'wrong version', payload: '{"v":2,"site":"X","agent":"a1"}', reason: 'wrong_version' },
  { name: 'missing version', payload: '{"site":"X"}', reason: 'wrong_version' },
  { name: 'oversize', payload: Buffer.alloc(70 * 1024, 0x20), reason: 'too_large' },
  { name: 'wrong identity', payload: 'IDENTITY', reason: 'identity_mismatch' },
  { name: 'NaN kW (as a string)', payload: 'TELEMETRY:{"meterKw":"NaN"}', reason: 'schema' },
  { name: 'negative count', payload: 'TELEMETRY:{"counts":{"hashing":-1,"idle":0,"sleeping":0,"offline":0,"error":0,"total":-1}}', reason: 'schema' },
  { name: 'counts not adding up', payload: 'TELEMETRY:{"counts":{"hashing":5,"idle":0,"sleeping":0,"offline":0,"error":0,"total":9}}', reason: 'schema' },
  { name: 'negative kW', payload: 'TELEMETRY:{"minerKw":-5}', reason: 'schema' },
  { name: 'fractional timestamp', payload: 'TELEMETRY:{"ts":1.5}', reason: 'schema' },
  { name: 'seq zero', payload: 'SEQ0', reason: 'schema' },
  { name: 'empty telemetry', payload: 'EMPTY', reason: 'schema' },
  { name: 'state without online', kind: 'state', payload: 'STATE', reason: 'schema' },
  { name: 'report with unknown status', kind: 'control/report', payload: 'REPORT', reason: 'schema' },
  { name: 'upper case agent id in topic', topic: 'hashwatt/v1/SITE/A1/telemetry', payload: '{}', reason: 'bad_topic' },
  { name: 'agent id starting with a dash', topic: 'hashwatt/v1/SITE/-a1/telemetry', payload: '{}', reason: 'bad_topic' },
];

test('malformed MQTT payloads are refused, counted by reason, and the collector keeps serving', async () => {
  await withCollector(async (tc, pubs) => {
    const site = `${tc.prefix}-bad`;
    const p = await startTestPublisher(tc.broker.url, site);
    pubs.push(p);
    const good = { v: 1, site, agent: 'a1', session: 1, seq: 1, samples: [sample(Date.now(), 50)] };
    const before = await tc.api('/metrics', { token: null });
    const expected = new Map<string, number>();
    for (const bad of BAD) {
      let payload: string | Buffer = bad.payload;
      if (payload === 'IDENTITY') payload = JSON.stringify({ ...good, site: 'someone-else' });
      else if (payload === 'SEQ0') payload = JSON.stringify({ ...good, seq: 0 });
      else if (payload === 'EMPTY') payload = JSON.stringify({ ...good, samples: [] });
      else if (payload === 'STATE') payload = JSON.stringify({ v: 1, site, agent: 'a1', session: 1, ts: 1 });
      else if (payload === 'REPORT') payload = JSON.stringify({ v: 1, site, agent: 'a1', revision: 1, status: 'exploded', ts: 1 });
      else if (typeof payload === 'string' && payload.startsWith('TELEMETRY:')) {
        const patch = JSON.parse(payload.slice('TELEMETRY:'.length)) as Record<string, unknown>;
        payload = JSON.stringify({ ...good, samples: [{ ...good.samples[0], ...patch }] });
      } else if (typeof payload === 'string') payload = payload.replace('"X"', JSON.stringify(site));
      if (bad.topic) await p.client.publishAsync(bad.topic.replace('SITE', site), payload, { qos: 1 });
      else await p.raw(bad.kind ?? 'telemetry', payload);
      expected.set(bad.reason, (expected.get(bad.reason) ?? 0) + 1);
    }
    assert.ok(BAD.length >= 15);
    await waitFor('every refusal counted', async () => {
      const m = (await tc.api('/metrics', { token: null })).text;
      return [...expected].every(([reason, n]) => metric(m, 'hashwatt_ingest_rejects_total', `reason="${reason}"`) - (metric(before.text, 'hashwatt_ingest_rejects_total', `reason="${reason}"`) || 0) >= n);
    });
    // Still serving: a good message is stored and acked, the API answers.
    await p.telemetry(1, good.samples);
    await waitFor('good message acked', () => p.acks.some((a) => a.seq === 1));
    assert.equal((await tc.api(`/api/v1/sites/${site}`)).body.kw, 50);
    assert.equal((await tc.api('/healthz', { token: null })).status, 200);
  }, {}, (prefix) => [`${prefix}-bad`]);
});

test('implausible samples are refused and counted by reason; good data keeps flowing and the live view follows the newest real sample', async () => {
  await withCollector(async (tc, pubs) => {
    const site = `${tc.prefix}-odd`;
    const p = await startTestPublisher(tc.broker.url, site);
    pubs.push(p);
    await p.online();
    const before = (await tc.api('/metrics', { token: null })).text;
    const now = Date.now();
    await p.telemetry(1, [sample(now - 2000, 100)]);
    await p.telemetry(2, [sample(Date.UTC(2500, 0, 1), 999)]); // the year 2500
    await p.telemetry(3, [sample(0, 999)]); // ts 0
    await p.telemetry(4, [sample(now - 1000, 120), sample(now - 500, 3_500_000, { counts: counts(1_000_000) })]); // 3.5 GW, a million miners: one sample refused, the other kept
    await p.telemetry(2 ** 53 - 1, [sample(now, 999)]);
    await p.telemetry(5, [sample(now, 200)]);
    await waitFor('seq 5 acked (refused samples do not hold the ack back)', () => p.acks.some((a) => a.seq === 5));
    await waitFor('refusals counted', async () => {
      const m = (await tc.api('/metrics', { token: null })).text;
      const delta = (reason: string) => metric(m, 'hashwatt_ingest_rejects_total', `reason="${reason}"`) - (metric(before, 'hashwatt_ingest_rejects_total', `reason="${reason}"`) || 0);
      return delta('implausible_time') === 2 && delta('implausible_value') === 1 && delta('seq_jump') === 1;
    });
    assert.ok(!p.acks.some((a) => a.seq > 5), 'the absurd seq is never acked');
    await waitFor('live view at the newest real sample', async () => (await tc.api(`/api/v1/sites/${site}`)).body.kw === 200);
    const db = tc.readStore();
    const stored = await db.all<{ ts: number; kw: number }>('SELECT s.ts, s.meter_kw AS kw FROM samples s JOIN sites x ON x.id = s.site_id WHERE x.site = ? ORDER BY s.ts', site);
    const [gaps] = await db.all<{ n: number }>('SELECT COUNT(*) AS n FROM telemetry_gaps');
    await db.close();
    assert.deepEqual(stored.map((r) => r.kw), [100, 120, 200]);
    assert.equal(gaps!.n, 0);
  }, {}, (prefix) => [`${prefix}-odd`]);
});

test('promtool accepts /metrics', async (t) => {
  const promtool = '/usr/bin/promtool';
  if (!existsSync(promtool)) {
    if (process.env.CI === 'true') assert.fail('promtool is missing (install the Debian package prometheus)');
    t.skip('promtool not installed (Debian package prometheus)');
    return;
  }
  await withCollector(async (tc) => {
    const m = await tc.api('/metrics', { token: null });
    const r = spawnSync(promtool, ['check', 'metrics'], { input: m.text, encoding: 'utf8' });
    assert.equal(r.status, 0, `promtool: ${r.stdout}${r.stderr}`);
  }, {}, (prefix) => [`${prefix}-none`]);
});

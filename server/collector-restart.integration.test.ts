import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { connectMqtt } from '../shared/mqtt/connect.js';
import { agentTopic, COLLECTOR_STATE_TOPIC } from '../shared/protocol/index.js';
import { startTestBroker, uniqueId } from '../test/helpers/broker.js';
import { waitFor } from '../test/helpers/wait-for.js';
import { collectorProcess, HASHWATT_BIN } from '../test/helpers/collector-process.js';
import { startTestPublisher, withOutbox, type TestPublisher } from './testing/test-publisher.js';
import { TEST_STORE } from './testing/test-store.js';


test('SIGKILL mid-event: events, targets and retained controls survive; no telemetry lost or duplicated', { timeout: 55_000 }, async () => {
  const broker = await startTestBroker();
  const dir = await mkdtemp(join(tmpdir(), 'hashwatt-restart-'));
  const prefix = uniqueId('r');
  const sites = [`${prefix}-a`, `${prefix}-b`];
  const collector = await collectorProcess(dir, { brokerUrl: broker.url, prefix, sites });
  const { api, configFile } = collector;
  const startChild = () => collector.start();
  const pubs: TestPublisher[] = [];
  const outboxes: Array<ReturnType<typeof withOutbox>> = [];
  // Watching the collectors' presence topic from before this one connects: on a shared Mosquitto the
  // retained message is whichever collector spoke last (another test's, a benchmark's), so only
  // the live announcement is surely ours.
  const watcher = await connectMqtt({ url: broker.url, clientId: `${prefix}-watch` });
  const presence: Array<{ online: boolean; instance?: string }> = [];
  watcher.on('message', (_t, payload) => { if (payload.length) presence.push(JSON.parse(payload.toString())); });
  await watcher.subscribeAsync(COLLECTOR_STATE_TOPIC, { qos: 1 });
  const mine = () => presence.filter((x) => x.instance === `${prefix}-collector`);
  try {
    await startChild();
    for (const site of sites) {
      const p = await startTestPublisher(broker.url, site);
      pubs.push(p);
      await p.online();
      outboxes.push(withOutbox(p));
    }
    const flow = setInterval(() => outboxes.forEach((o, i) => o.send(1000 + i * 500)), 40);
    try {
      await waitFor('sites live', async () => (await api('/api/v1/sites')).body?.sites?.filter((s: { id: string; kw: number }) => sites.includes(s.id) && s.kw > 0).length === 2);
      const created = await api('/api/v1/events', { method: 'POST', body: { scope: { sites }, kind: 'reduce_by_kw', value: 500, durationS: 600, reason: 'restart test' } });
      assert.equal(created.status, 201);
      const id = created.body.id as string;
      await waitFor('controls delivered', () => pubs.every((p) => p.controls.length > 0));
      const revisions = pubs.map((p) => p.controls.at(-1)!.revision as number);
      for (const [i, p] of pubs.entries()) await p.report(revisions[i]!, 'accepted');
      await waitFor('targets accepted', async () => (await api(`/api/v1/events/${id}`)).body.targets.every((t: { state: string }) => t.state === 'accepted' || t.state === 'confirmed'));

      // The collector's own presence (announced when it connected, above), and its Will when it dies.
      await waitFor('collector online', () => mine().at(-1)?.online === true);

      // An online backup while it runs (SQLite); on PostgreSQL the command points to pg_dump instead.
      const backup = join(dir, 'backup.db');
      const b = spawnSync(process.execPath, [HASHWATT_BIN, 'collector', 'backup', backup, '--config', configFile], { encoding: 'utf8' });
      if (TEST_STORE === 'sqlite') {
        assert.equal(b.status, 0, b.stderr);
        const copy = new Database(backup, { readonly: true });
        assert.equal((copy.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n, 1);
        copy.close();
      } else {
        assert.equal(b.status, 2, b.stderr);
        assert.match(b.stderr, /pg_dump/);
      }

      await collector.kill('SIGKILL');
      await waitFor('the Will says offline', () => mine().at(-1)?.online === false);
      await new Promise((r) => setTimeout(r, 300)); // telemetry keeps flowing into the broker while the collector is dead
      await startChild();

      const after = (await api(`/api/v1/events/${id}`)).body;
      assert.equal(after.status, 'active');
      assert.equal(after.targets.length, 2);
      assert.ok(after.targets.every((t: { state: string; revision: number }, i: number) => t.state !== 'pending' && t.revision === revisions[i]));
      // The retained control is still on the broker for a reconnecting agent.
      const fresh = await connectMqtt({ url: broker.url, clientId: `${prefix}-fresh` });
      const retained: Record<string, unknown>[] = [];
      fresh.on('message', (_t, payload) => payload.length && retained.push(JSON.parse(payload.toString())));
      await fresh.subscribeAsync(agentTopic(sites[0]!, 'a1', 'control'), { qos: 1 });
      await waitFor('retained control', () => retained.length > 0);
      assert.equal(retained[0]!.revision, revisions[0]);
      await fresh.endAsync();

      const cancelled = await api(`/api/v1/events/${id}`, { method: 'DELETE' });
      assert.equal(cancelled.body.status, 'cancelled');
      await waitFor('none control with a new revision', () => pubs.every((p, i) => p.controls.at(-1)!.mode === 'none' && (p.controls.at(-1)!.revision as number) > revisions[i]!));
    } finally {
      clearInterval(flow);
    }
    await waitFor('every message acked', () => outboxes.every((o) => o.unacked() === 0), { timeoutMs: 20_000 });
    const db = await collector.readStore();
    try {
      for (const [i, site] of sites.entries()) {
        const [row] = await db.all<{ n: number; d: number }>('SELECT COUNT(*) AS n, COUNT(DISTINCT s.ts) AS d, MIN(s.ts) AS lo, MAX(s.ts) AS hi FROM samples s JOIN sites x ON x.id = s.site_id WHERE x.site = ?', site);
        if (!row) throw new Error(`${site}: no count`);
        assert.equal(row.n, outboxes[i]!.sent(), `${site}: every sent sample stored once`);
        assert.equal(row.d, row.n);
      }
    } finally {
      await db.close();
    }
  } finally {
    await watcher.endAsync().catch(() => undefined);
    outboxes.forEach((o) => o.stop());
    for (const p of pubs) {
      await p.clearRetained().catch(() => undefined);
      await p.close().catch(() => undefined);
    }
    await collector.kill('SIGTERM');
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestBroker, uniqueId } from '../test/helpers/broker.js';
import { waitFor } from '../test/helpers/wait-for.js';
import { collectorProcess } from '../test/helpers/collector-process.js';
import { startTestPublisher, withOutbox } from './testing/test-publisher.js';

test('a control stored but never acknowledged by the broker (killed between commit and publish) is published again, the same signed bytes, and recorded as published', { timeout: 60_000 }, async () => {
  const broker = await startTestBroker();
  const dir = await mkdtemp(join(tmpdir(), 'hashwatt-retry-'));
  const prefix = uniqueId('rt');
  const site = `${prefix}-a`;
  const collector = await collectorProcess(dir, { brokerUrl: broker.url, prefix, sites: [site] });
  const p = await startTestPublisher(broker.url, site);
  const outbox = withOutbox(p);
  const publication = async () => {
    const db = await collector.readStore();
    try {
      return (await db.all<{ revision: number; published_at: number }>('SELECT p.revision, p.published_at FROM control_publications p JOIN sites s ON s.id = p.site_id WHERE s.site = ?', site))[0];
    } finally {
      await db.close();
    }
  };
  try {
    await collector.start();
    await p.online();
    outbox.send(1000);
    await waitFor('site live', async () => (await collector.api(`/api/v1/sites/${site}`)).body?.kw > 0);
    const created = await collector.api('/api/v1/events', { method: 'POST', body: { scope: { sites: [site] }, kind: 'reduce_by_kw', value: 300, durationS: 600, reason: 'retry test' } });
    assert.equal(created.status, 201);
    await waitFor('the control delivered', () => p.controls.length > 0);
    const first = p.controls.at(-1)!;
    await waitFor('its acknowledgement recorded', async () => (await publication())?.revision === first.revision);

    // What a kill between the commit and the broker's PUBACK leaves: the control stored, not
    // acknowledged, and not on the broker.
    await collector.kill('SIGKILL');
    await p.clearRetained();
    const db = await collector.readStore({ write: true });
    await db.all('DELETE FROM control_publications');
    await db.close();
    await p.online(); // clearRetained took the agent's state and birth too
    p.controls.length = 0;

    await collector.start();
    // On PostgreSQL the restarted collector leads once the killed one's lease ran out (≤ 15 s).
    await waitFor('the control published again', () => p.controls.length > 0, { timeoutMs: 30_000 });
    assert.deepEqual(p.controls[0], first, 'the stored signed control, not a new one');
    await waitFor('recorded as published', async () => (await publication())?.revision === first.revision);
  } finally {
    outbox.stop();
    await p.clearRetained().catch(() => undefined);
    await p.close().catch(() => undefined);
    await collector.kill('SIGTERM');
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a report stored by a collector killed before it moved the target (the agent, acknowledged, never sends it again) moves the target once a collector leads again', { timeout: 60_000 }, async () => {
  const broker = await startTestBroker();
  const dir = await mkdtemp(join(tmpdir(), 'hashwatt-repair-'));
  const prefix = uniqueId('rp');
  const site = `${prefix}-a`;
  const collector = await collectorProcess(dir, { brokerUrl: broker.url, prefix, sites: [site] });
  const p = await startTestPublisher(broker.url, site);
  const outbox = withOutbox(p);
  const targetState = async (id: string) => (await collector.api(`/api/v1/events/${id}`)).body?.targets?.[0]?.state as string | undefined;
  try {
    await collector.start();
    await p.online();
    outbox.send(1000);
    await waitFor('site live', async () => (await collector.api(`/api/v1/sites/${site}`)).body?.kw > 0);
    const created = await collector.api('/api/v1/events', { method: 'POST', body: { scope: { sites: [site] }, kind: 'reduce_by_kw', value: 300, durationS: 600, reason: 'repair test' } });
    assert.equal(created.status, 201);
    const id = created.body.id as string;
    await waitFor('the control delivered', () => p.controls.length > 0);
    await waitFor('the target sent', async () => (await targetState(id)) === 'sent');
    const revision = p.controls.at(-1)!.revision as number;

    // What a kill between a batch's commit and its after-commit work leaves: the agent's
    // `accepted` stored (and acknowledged), the target still `sent`.
    await collector.kill('SIGKILL');
    const db = await collector.readStore({ write: true });
    const [ids] = await db.all<{ site_id: number; agent_id: number }>('SELECT s.id AS site_id, a.id AS agent_id FROM sites s JOIN agents a ON a.site_id = s.id WHERE s.site = ?', site);
    await db.all(`INSERT INTO control_reports (site_id, agent_id, revision, status, reason, detail, achieved_kw, target_kw, ts, received_at, session, seq)
      VALUES (?, ?, ?, 'accepted', NULL, NULL, 1000, NULL, ?, ?, 1, 999)`, ids!.site_id, ids!.agent_id, revision, Date.now(), Date.now());
    await db.close();

    await collector.start();
    // On PostgreSQL the restarted collector leads once the killed one's lease ran out (≤ 15 s).
    await waitFor('the target accepted from the stored report', async () => (await targetState(id)) === 'accepted', { timeoutMs: 30_000 });
  } finally {
    outbox.stop();
    await p.clearRetained().catch(() => undefined);
    await p.close().catch(() => undefined);
    await collector.kill('SIGTERM');
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestBroker, uniqueId } from '../test/helpers/broker.js';
import { waitFor } from '../test/helpers/wait-for.js';
import { collectorProcess, type CollectorProcess } from '../test/helpers/collector-process.js';
import { startTestPublisher, withOutbox, type TestPublisher } from './testing/test-publisher.js';

/**
 * What a collector killed with -9 leaves half done, and the next one to lead finishes. Each
 * test gets a collector process, one agent whose site draws, and an event whose control has
 * reached the agent; on PostgreSQL the restarted collector leads once the killed one's lease
 * ran out (≤ 15 s), hence the longer waits after a restart.
 */
async function withEventDelivered(tag: string, run: (c: { collector: CollectorProcess; agent: TestPublisher; site: string; eventId: string; control: Record<string, unknown> }) => Promise<void>): Promise<void> {
  const broker = await startTestBroker();
  const dir = await mkdtemp(join(tmpdir(), `hashwatt-${tag}-`));
  const prefix = uniqueId(tag);
  const site = `${prefix}-a`;
  const collector = await collectorProcess(dir, { brokerUrl: broker.url, prefix, sites: [site] });
  const agent = await startTestPublisher(broker.url, site);
  const outbox = withOutbox(agent);
  try {
    await collector.start();
    await agent.online();
    outbox.send(1000);
    await waitFor('site live', async () => (await collector.api(`/api/v1/sites/${site}`)).body?.kw > 0);
    const created = await collector.api('/api/v1/events', { method: 'POST', body: { scope: { sites: [site] }, kind: 'reduce_by_kw', value: 300, durationS: 600, reason: `${tag} test` } });
    assert.equal(created.status, 201);
    await waitFor('the control delivered', () => agent.controls.length > 0);
    await run({ collector, agent, site, eventId: created.body.id as string, control: agent.controls.at(-1)! });
  } finally {
    outbox.stop();
    await agent.clearRetained().catch(() => undefined);
    await agent.close().catch(() => undefined);
    await collector.kill('SIGTERM');
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

test('a control stored but never acknowledged by the broker (killed between commit and publish) is published again, the same signed bytes, and recorded as published', { timeout: 60_000 }, async () => {
  await withEventDelivered('rt', async ({ collector, agent, site, control }) => {
    const publication = async () => {
      const db = await collector.readStore();
      try {
        return (await db.all<{ revision: number; published_at: number }>('SELECT p.revision, p.published_at FROM control_publications p JOIN sites s ON s.id = p.site_id WHERE s.site = ?', site))[0];
      } finally {
        await db.close();
      }
    };
    await waitFor('its acknowledgement recorded', async () => (await publication())?.revision === control.revision);

    // What a kill between the commit and the broker's PUBACK leaves: the control stored, not
    // acknowledged, and not on the broker.
    await collector.kill('SIGKILL');
    await agent.clearRetained();
    const db = await collector.readStore({ write: true });
    await db.all('DELETE FROM control_publications');
    await db.close();
    await agent.online(); // clearRetained took the agent's state and birth too
    agent.controls.length = 0;

    await collector.start();
    await waitFor('the control published again', () => agent.controls.length > 0, { timeoutMs: 30_000 });
    assert.deepEqual(agent.controls[0], control, 'the stored signed control, not a new one');
    await waitFor('recorded as published', async () => (await publication())?.revision === control.revision);
  });
});

test('a report stored by a collector killed before it moved the target (the agent, acknowledged, never sends it again) moves the target once a collector leads again', { timeout: 60_000 }, async () => {
  await withEventDelivered('rp', async ({ collector, site, eventId, control }) => {
    const targetState = async () => (await collector.api(`/api/v1/events/${eventId}`)).body?.targets?.[0]?.state as string | undefined;
    await waitFor('the target sent', async () => (await targetState()) === 'sent');

    // What a kill between a batch's commit and its after-commit work leaves: the agent's
    // `accepted` stored (and acknowledged), the target still `sent`.
    await collector.kill('SIGKILL');
    const db = await collector.readStore({ write: true });
    const [ids] = await db.all<{ site_id: number; agent_id: number }>('SELECT s.id AS site_id, a.id AS agent_id FROM sites s JOIN agents a ON a.site_id = s.id WHERE s.site = ?', site);
    await db.all(`INSERT INTO control_reports (site_id, agent_id, revision, status, reason, detail, achieved_kw, target_kw, ts, received_at, session, seq)
      VALUES (?, ?, ?, 'accepted', NULL, NULL, 1000, NULL, ?, ?, 1, 999)`, ids!.site_id, ids!.agent_id, control.revision, Date.now(), Date.now());
    await db.close();

    await collector.start();
    await waitFor('the target accepted from the stored report', async () => (await targetState()) === 'accepted', { timeoutMs: 30_000 });
  });
});

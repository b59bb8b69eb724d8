import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestBroker, uniqueId, type TestBroker } from '../test/helpers/broker.js';
import { collectorProcess, PROCESS_TOKEN, type CollectorProcess } from '../test/helpers/collector-process.js';
import { sseClient } from '../test/helpers/sse-client.js';
import { waitFor } from '../test/helpers/wait-for.js';
import { revisionProblems } from '../test/chaos/control-revisions.js';
import { TEST_STORE } from './testing/test-store.js';
import { sample, startTestPublisher, type TestPublisher } from './testing/test-publisher.js';

/**
 * Two collectors on one PostgreSQL store: one leads (it signs and publishes
 * controls), the other serves the API and ingests. kill -9 of the leader in the
 * middle of an event: the other takes over within the bound (lease 10 s + renew
 * 3 s), the event carries on, and no agent ever sees a control revision twice
 * or out of order. Only in the PostgreSQL pass: with SQLite a collector owns its
 * file alone, so there is no second collector to take over.
 */
const SITES = 12;
let skip: string | undefined = TEST_STORE === 'postgres' ? undefined : 'two collectors share a store only on PostgreSQL (the test runner\'s second pass)';
let broker: TestBroker | undefined;
let root = '';
let prefix = '';
const collectors: CollectorProcess[] = [];
const publishers: TestPublisher[] = [];

before(async () => {
  if (skip) {
    process.stdout.write(`skipping the cluster test: ${skip}\n`);
    return;
  }
  broker = await startTestBroker();
  root = await mkdtemp(join(tmpdir(), 'hashwatt-cluster-'));
  prefix = uniqueId('cl');
  const sites = Array.from({ length: SITES }, (_, i) => `${prefix}-s${i}`);
  const dataDir = join(root, 'store'); // one data dir: one PostgreSQL database for both
  for (const name of ['a', 'b']) {
    const dir = join(root, name);
    await mkdir(dir);
    collectors.push(await collectorProcess(dir, {
      brokerUrl: broker.url, prefix: `${prefix}-${name}`, sites,
      config: { dataDir, ingest: { clientId: `${prefix}-${name}`, flushMs: 50, sessionExpiryS: 120, sites } },
    }));
  }
  // One after the other: the first creates the tables and takes the lease.
  for (const c of collectors) await c.start();
  for (const site of sites) {
    const p = await startTestPublisher(broker.url, site);
    publishers.push(p);
    await p.online();
    await p.telemetry(1, [sample(Date.now(), 1000)]);
  }
});

after(async () => {
  for (const c of collectors) await c.kill('SIGTERM').catch(() => undefined);
  for (const p of publishers) {
    await p.clearRetained().catch(() => undefined);
    await p.close().catch(() => undefined);
  }
  await broker?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

/** The collector's own answer to "do you lead?" (hashwatt_cluster_leader on /metrics, what an operator scrapes). */
async function leads(c: CollectorProcess): Promise<boolean> {
  const text = await (await fetch(`http://127.0.0.1:${c.port}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  return /^hashwatt_cluster_leader 1$/m.test(text);
}

/** Every agent's controls in arrival order: revisions only rise, and none comes with two contents (redeliveries aside). */
function assertRevisionsInOrder(): void {
  const arrivals = publishers.flatMap((p, i) => p.controls.map((c) => ({ site: `${prefix}-s${i}`, revision: c.revision as number, payload: JSON.stringify(c) })));
  assert.deepEqual(revisionProblems(arrivals), []);
}

test('kill -9 of the leader mid-event: the other collector leads within 15 s, the event carries on, revisions never repeat or go back; each collector\'s dashboard sees what the other did', { timeout: 240_000 }, async (t) => {
  if (skip) return t.skip(skip);
  const [a, b] = collectors as [CollectorProcess, CollectorProcess];
  await waitFor('collector a leads', () => leads(a), { timeoutMs: 30_000 });
  assert.equal(await leads(b), false, 'one leader at a time');
  // Online is not enough: the event's plan sheds pro rata to each site's measured draw, so a site
  // whose sample has not reached the collector yet would get nothing to shed (and no limit).
  const drawingAt = async (c: CollectorProcess) => (await c.api('/api/v1/sites')).body.sites.filter((s: { id: string; online: boolean; kw: number | null }) => s.id.startsWith(prefix) && s.online && (s.kw ?? 0) > 0).length;
  await waitFor('every site\'s draw known to both', async () => (await drawingAt(a)) === SITES && (await drawingAt(b)) === SITES, { timeoutMs: 30_000 });

  // An operator's dashboard on the leader: what happens through the other collector shows there too.
  const dashboardOfA = sseClient(`http://127.0.0.1:${a.port}/api/v1/stream`, { authorization: `Bearer ${PROCESS_TOKEN}` });
  t.after(() => dashboardOfA.stop());
  await dashboardOfA.connected;
  // The event is asked of the collector that does not lead: the leader signs and publishes it.
  const created = await b.api('/api/v1/events', { method: 'POST', body: { scope: { sites: publishers.map((_, i) => `${prefix}-s${i}`) }, kind: 'reduce_by_kw', value: SITES * 300, durationS: 600, priority: 'high', reason: 'cluster test' } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  // Generous waits for what must happen eventually (a busy database slows the leader's tick and
  // lease); the one timing the issue bounds, the takeover, is asserted on its own below.
  await waitFor('every agent got its control', () => publishers.every((p) => p.controls.some((c) => c.mode !== 'none')), { timeoutMs: 60_000 });
  await waitFor('the event\'s creation through b in the audit stream of a\'s dashboard', () => dashboardOfA.messages.some((m) => m.type === 'audit' && m.data.action === 'event.create' && m.data.target === created.body.id));
  const first = publishers.map((p) => p.controls.at(-1)!.revision as number);

  const killedAt = performance.now();
  await a.kill('SIGKILL');
  await waitFor('collector b leads', () => leads(b), { timeoutMs: 30_000 });
  const takeoverS = (performance.now() - killedAt) / 1000;
  t.diagnostic(`takeover after kill -9: ${takeoverS.toFixed(1)} s`);
  assert.ok(takeoverS <= 15, `takeover took ${takeoverS.toFixed(1)} s (bound: lease 10 s + renew 3 s)`);

  // The event is still there and in force on the new leader; ending it reaches every agent from b.
  const event = (await b.api(`/api/v1/events/${created.body.id as string}`)).body;
  assert.equal(event.status, 'active');
  const cancelled = await b.api(`/api/v1/events/${created.body.id as string}`, { method: 'DELETE' });
  assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
  await waitFor('every agent told to restore, under a newer revision', () => publishers.every((p, i) => p.controls.at(-1)!.mode === 'none' && (p.controls.at(-1)!.revision as number) > first[i]!), { timeoutMs: 60_000 });
  assertRevisionsInOrder();
});

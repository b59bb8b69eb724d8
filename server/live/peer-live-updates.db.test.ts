import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import postgres from 'postgres';
import { createSilentLogger } from '../../shared/log/logger.js';
import { waitFor } from '../../test/helpers/wait-for.js';
import { sseClient } from '../../test/helpers/sse-client.js';
import type { CommittedBatch } from '../ingest/ingest.js';
import { siteSettings } from '../store/contract/site-cases.js';
import { createTestDatabase, postgresSkipReason } from '../store/contract/pg-test-database.js';
import { openPostgresStore } from '../store/postgres/postgres-store.js';
import { liveChangesOf } from './live-changes.js';
import { LiveState } from './live-state.js';
import { createPeerLiveUpdates } from './peer-live-updates.js';
import { createPostgresLiveBus } from './postgres-live-bus.js';
import { createStreamHub } from './stream-hub.js';

const skip = await postgresSkipReason();
const log = createSilentLogger();
const cleanup: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

test('an SSE client of collector B sees a site ingested by collector A; after a notification B missed, its resync shows the store\'s newer sample', { skip }, async () => {
  const database = await createTestDatabase('peer_live');
  cleanup.push(() => database.drop());
  const store = await openPostgresStore({ url: database.url, log });
  cleanup.push(() => store.close());
  const now = Date.now();
  const site = (await store.sites.upsert(siteSettings('north'), now)).row;
  const agentId = await store.agents.ensure(site.id, 'gw-1');

  // Collector B: its live view, hub and stream, fed only by its peers through the bus.
  const live = new LiveState(60_000);
  live.load(await store.agents.list());
  const hub = createStreamHub(20);
  cleanup.push(async () => hub.close());
  const http = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    hub.add(res);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise((resolve) => http.close(resolve)));
  const siteChanged = (id: number) => hub.publish('site', String(id), () => ({ id, ...live.view(id, Date.now()) }));
  const peer = createPeerLiveUpdates({
    live, siteChanged, log, clock: Date.now,
    eventChanged: (id) => hub.publish('event', id, () => ({ id })),
    streamNow: (type, data) => hub.now(type, data),
    loadAgents: () => store.agents.list(),
  });
  const applicationName = `peer-live-b-${process.pid}`;
  const busB = createPostgresLiveBus({ url: database.url, log, instanceId: 'b', applicationName });
  cleanup.push(() => busB.close());
  await busB.start(peer);
  const sse = sseClient(`http://127.0.0.1:${(http.address() as AddressInfo).port}/`);
  cleanup.push(async () => sse.stop());
  await sse.connected;
  const seenByB = sse.messages;
  await waitFor('the SSE client to be connected to B', () => hub.clients() === 1);

  // Collector A ingests a sample: stored first, then its commit's changes on the bus.
  const busA = createPostgresLiveBus({ url: database.url, log, instanceId: 'a' });
  cleanup.push(() => busA.close());
  await busA.start({ onChanges: () => undefined, onResync: () => undefined });
  const counts = { hashing: 95, idle: 0, sleeping: 5, offline: 0, error: 0, total: 100 };
  const first = { ts: now, meterKw: 321.5, meterKwh: 1000, minerKw: 300, hashrateThs: 9000, counts, revision: null };
  await store.agents.setLatest(agentId, first, now);
  const ref = { siteId: site.id, site: 'north', agentId, agent: 'gw-1' };
  const batch: CommittedBatch = { latest: [{ ...ref, sample: first }], states: [], births: [], reports: [], seen: [ref], dirty: [], newSites: [] };
  await busA.publish([...liveChangesOf(batch, now), { kind: 'stream', type: 'audit', data: { action: 'site.update', site: 'north' } }]);

  const shown = (kw: number) => seenByB.find((e) => e.type === 'site' && e.data.id === site.id && e.data.kw === kw);
  const firstView = await waitFor('B\'s SSE client to show the site at 321.5 kW', () => shown(321.5));
  assert.equal(firstView.data.agentsOnline, 1);
  assert.equal(firstView.data.hashrateThs, 9000);
  assert.ok(seenByB.some((e) => e.type === 'audit' && e.data.site === 'north'), 'A\'s audit message reached B\'s client too');

  // A later sample stored by A whose notification B never got (as during an outage), then B's connection drops.
  const later = { ...first, ts: now + 1000, meterKw: 12.25 };
  await store.agents.setLatest(agentId, later, now + 1000);
  const admin = postgres(database.url, { max: 1, onnotice: () => undefined });
  cleanup.push(() => admin.end({ timeout: 1 }));
  await admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ${applicationName}`;
  await waitFor('B\'s SSE client to show the sample it missed, from the resync', () => shown(12.25));
  await peer.idle();
  assert.equal(live.view(site.id, Date.now()).lastSampleTs, now + 1000);
});

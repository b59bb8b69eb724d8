import assert from 'node:assert/strict';
import type { EventRow } from '../event-repository.js';
import type { OpenAdrLink } from '../openadr-repository.js';
import type { StoreRepositories } from '../store-port.js';
import type { ContractCase } from './store-harness.js';
import { addSite } from './seed-site.js';
import { batch, sample, samplesRow, withSink } from './telemetry-rows.js';

const now = 1_700_000_000_000;

const link = (eventId: string, intervalId: number, extra: Partial<OpenAdrLink> = {}): Omit<OpenAdrLink, 'curtailed' | 'reported'> => ({
  vtnEventId: 'vtn-1', intervalId, eventId, programId: 'prog', modification: '2026-01-01T00:00:00Z', startTs: now, endTs: now + 3_600_000,
  resource: 'site-a', reportTypes: ['USAGE', 'OPERATING_STATE'], aggregate: false, ...extra,
});

async function addEvent(store: StoreRepositories, id: string, status: EventRow['status'], createdAt = now): Promise<void> {
  await store.events.insertEvent({
    id, kind: 'reduce_by_kw', value: 10, scope: { all: true }, startTs: now, endTs: now + 3_600_000, priority: 'normal', level: 'sleep', reason: 'vtn',
    status, requestedKw: 10, createdBy: 'openadr', createdAt, endedAt: null, source: null,
  }, [], now);
}

/** The OpenADR VEN's links from VTN intervals to events, and its report outbox. */
export const openAdrCases: ContractCase[] = [
  {
    name: 'openadr: links read back in interval order; linking again starts the link over',
    async run({ store }) {
      await addEvent(store, 'e1', 'active');
      await store.openadr.insertLink(link('e1', 2, { aggregate: true }));
      await store.openadr.insertLink(link('e1', 1));
      assert.deepEqual(await store.openadr.links('vtn-1'), [
        { ...link('e1', 1), curtailed: false, reported: false },
        { ...link('e1', 2, { aggregate: true }), curtailed: false, reported: false },
      ]);
      await store.openadr.markCurtailed('e1');
      assert.deepEqual((await store.openadr.links('vtn-1')).map((l) => l.curtailed), [true, true]);
      await store.openadr.insertLink(link('e1', 2, { modification: 'later', endTs: now + 7_200_000 }));
      const [one, two] = await store.openadr.links('vtn-1');
      assert.equal(one!.curtailed, true);
      assert.deepEqual(two, { ...link('e1', 2, { modification: 'later', endTs: now + 7_200_000 }), curtailed: false, reported: false });
      assert.deepEqual(await store.openadr.links('vtn-other'), []);
    },
  },
  {
    name: 'openadr: known events are the VTN events whose hashwatt event is still live, with their modification',
    async run({ store }) {
      await addEvent(store, 'live', 'active');
      await addEvent(store, 'done', 'completed');
      await store.openadr.insertLink(link('live', 1));
      await store.openadr.insertLink(link('live', 2));
      await store.openadr.insertLink(link('done', 1, { vtnEventId: 'vtn-2' }));
      assert.deepEqual(await store.openadr.knownEvents(), [{ vtnEventId: 'vtn-1', programId: 'prog', modification: '2026-01-01T00:00:00Z' }]);
      await store.openadr.setModification('vtn-1', 'v2');
      assert.deepEqual((await store.openadr.links('vtn-1')).map((l) => l.modification), ['v2', 'v2']);
    },
  },
  {
    name: 'openadr: a queued report marks its link reported and waits in the outbox until sent or refused',
    async run({ store }) {
      await addEvent(store, 'e1', 'completed');
      await addEvent(store, 'e2', 'completed');
      await store.openadr.insertLink(link('e1', 1));
      await store.openadr.insertLink(link('e2', 1, { vtnEventId: 'vtn-2' }));
      assert.equal((await store.openadr.unreported()).length, 2);
      await store.openadr.enqueueReport('e1', 'vtn-1', 1, { reportName: 'r1', values: [1.5] }, now);
      await store.openadr.enqueueReport('e2', 'vtn-2', 1, { reportName: 'r2' }, now);
      assert.deepEqual(await store.openadr.unreported(), []);
      assert.equal(await store.openadr.pendingReports(), 2);
      const due = await store.openadr.dueReports(now);
      assert.deepEqual(due[0], { id: due[0]!.id, vtnEventId: 'vtn-1', intervalId: 1, body: { reportName: 'r1', values: [1.5] }, attempts: 0, createdAt: now, lastError: null, sentAt: null });
      const [first, second] = due.map((r) => r.id) as [number, number];
      assert.deepEqual((await store.openadr.dueReports(now, 1)).map((r) => r.id), [first]);
      await store.openadr.markFailed(first, 'x'.repeat(600), now + 30_000);
      assert.deepEqual((await store.openadr.dueReports(now)).map((r) => r.id), [second]);
      const retried = (await store.openadr.dueReports(now + 30_000)).find((r) => r.id === first)!;
      assert.deepEqual([retried.attempts, retried.lastError?.length], [1, 500]);
      await store.openadr.markSent(first, now + 31_000);
      await store.openadr.markRefused(second, 'bad request', now + 31_000);
      assert.deepEqual(await store.openadr.dueReports(now + 60_000), []);
      assert.equal(await store.openadr.pendingReports(), 0);
    },
  },
  {
    name: 'openadr: replacements of a cancelled link are the same interval and resource under events made after the cancel',
    async run({ store }) {
      await addEvent(store, 'orig', 'cancelled', now);
      await addEvent(store, 'before', 'cancelled', now + 5);
      await addEvent(store, 'repl', 'active', now + 10);
      await addEvent(store, 'elsewhere', 'active', now + 10);
      await store.openadr.insertLink(link('orig', 1));
      await store.openadr.insertLink(link('before', 1));
      await store.openadr.insertLink(link('repl', 1));
      await store.openadr.insertLink(link('repl', 2));
      await store.openadr.insertLink(link('elsewhere', 1, { resource: 'site-b' }));
      const [orig] = (await store.openadr.links('vtn-1')).filter((l) => l.eventId === 'orig');
      assert.deepEqual((await store.openadr.replacementsOf(orig!, now + 10)).map((l) => [l.eventId, l.intervalId]), [['repl', 1]]);
      assert.deepEqual((await store.openadr.replacementsOf(orig!, now + 5)).map((l) => l.eventId).sort(), ['before', 'repl']);
    },
  },
  {
    // An OpenADR USAGE report: per agent, then summed (a site with several agents draws their sum).
    name: 'openadr: the average draw of sites over a window sums its agents, metered where they are',
    async run({ store }) {
      const [a, b] = [await addSite(store, 's-a'), await addSite(store, 's-b')];
      const [a1, a2, b1] = [await store.agents.ensure(a, 'a1'), await store.agents.ensure(a, 'a2'), await store.agents.ensure(b, 'b1')];
      await withSink(store, (sink) => sink.write(batch(now, [
        samplesRow({ siteId: a, agentId: a1, seq: 1 }, [sample(now, { meterKw: 100, minerKw: 90 }), sample(now + 10_000, { meterKw: 110, minerKw: 95 })]),
        samplesRow({ siteId: a, agentId: a2, seq: 1 }, [sample(now + 5_000, { minerKw: 50 })]),
        samplesRow({ siteId: b, agentId: b1, seq: 1 }, [sample(now, { meterKw: 200.5, minerKw: 190 }), sample(now + 60_000, { meterKw: 999, minerKw: 999 })]),
      ])));
      assert.equal(await store.openadr.averageKw([a], now, now + 60_000), 155);
      assert.equal(await store.openadr.averageKw([a, b], now, now + 60_000), 355.5);
      assert.equal(await store.openadr.averageKw([a], now + 20_000, now + 60_000), null);
      assert.equal(await store.openadr.averageKw([], now, now + 60_000), null);
    },
  },
];

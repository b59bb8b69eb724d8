import assert from 'node:assert/strict';
import type { EventRow, TargetChange } from '../event-repository.js';
import type { StoreRepositories } from '../store-port.js';
import type { ContractCase } from './store-harness.js';
import { addSite } from './seed-site.js';

const now = 1_700_000_000_000;

const event = (id: string, status: EventRow['status'], extra: Partial<EventRow> = {}): EventRow => ({
  id, kind: 'limit_to_kw', value: 100, scope: { all: true }, startTs: now, endTs: now + 600_000, priority: 'normal', level: 'sleep', reason: 'test',
  status, requestedKw: 100, createdBy: 'test', createdAt: now, endedAt: null, source: null, ...extra,
});
const target = (siteId: number, extra: { baselineHashing?: number | null; baselineThs?: number | null } = {}) =>
  ({ siteId, mode: 'max_kw' as const, value: 100, targetKw: 100.5, baselineKw: 500.25, shedKw: 399.75, ...extra });

async function threeSites(store: StoreRepositories): Promise<[number, number, number]> {
  return [await addSite(store, 's-a'), await addSite(store, 's-b'), await addSite(store, 's-c')];
}

/** Events, their targets, control revisions, the stored controls and the agents' reports. */
export const eventCases: ContractCase[] = [
  {
    name: 'events: an event and its targets read back as stored, targets in site order',
    async run({ store }) {
      const [a, b] = await threeSites(store);
      const source = { kind: 'openadr' as const, ven: 'ven-1', programId: 'p1', programName: 'Program 1', vtnEventId: 'vtn-9', intervalId: 2 };
      const e = event('e1', 'scheduled', { kind: 'sleep_count', scope: { regions: ['north'], sites: ['s-b'] }, priority: 'emergency', level: 'auto', source, value: null });
      await store.events.insertEvent(e, [target(b, { baselineHashing: 40, baselineThs: 123.5 }), target(a)], now);
      assert.deepEqual(await store.events.get('e1'), e);
      assert.equal(await store.events.get('missing'), undefined);
      const targets = await store.events.targets('e1');
      assert.deepEqual(targets.map((t) => t.site), ['s-a', 's-b']);
      assert.deepEqual(targets[1], {
        eventId: 'e1', siteId: b, site: 's-b', state: 'pending', mode: 'max_kw', value: 100, targetKw: 100.5, baselineKw: 500.25, baselineHashing: 40, baselineThs: 123.5,
        shedKw: 399.75, level: null, revision: null, achievedKw: null, detail: null, updatedAt: now,
      });
      assert.equal(targets[0]!.baselineHashing, null);
    },
  },
  {
    name: 'events: an event with no targets is stored, and list is newest first within its limit',
    async run({ store }) {
      await store.events.insertEvent(event('old', 'completed', { createdAt: now - 2 }), [], now);
      await store.events.insertEvent(event('mid', 'active', { createdAt: now - 1 }), [], now);
      await store.events.insertEvent(event('new', 'scheduled'), [], now);
      assert.deepEqual((await store.events.list()).map((e) => e.id), ['new', 'mid', 'old']);
      assert.deepEqual((await store.events.list(2)).map((e) => e.id), ['new', 'mid']);
      assert.deepEqual((await store.events.live()).map((e) => e.id), ['mid', 'new']);
      await store.events.setStatus('mid', 'cancelled', now + 5);
      assert.deepEqual((await store.events.live()).map((e) => e.id), ['new']);
      const mid = await store.events.get('mid');
      assert.equal(mid?.status, 'cancelled');
      assert.equal(mid?.endedAt, now + 5);
    },
  },
  {
    name: 'events: a failed event insert leaves neither the event nor any target',
    async run({ store }) {
      const [a] = await threeSites(store);
      await store.events.insertEvent(event('dup', 'active'), [target(a)], now);
      // The same event id again: refused, and its new targets must not appear either.
      await assert.rejects(store.events.insertEvent(event('dup', 'active'), [target(a)], now));
      await assert.rejects(store.events.insertEvent(event('twice', 'active'), [target(a), target(a)], now));
      assert.equal(await store.events.get('twice'), undefined);
      assert.equal((await store.events.targets('dup')).length, 1);
    },
  },
  {
    name: 'events: live targets are those of scheduled and active events, by site',
    async run({ store }) {
      const [a, b, c] = await threeSites(store);
      await store.events.insertEvent(event('live', 'active'), [target(a), target(b)], now);
      await store.events.insertEvent(event('later', 'scheduled'), [target(a)], now);
      await store.events.insertEvent(event('over', 'completed'), [target(a), target(c)], now);
      assert.deepEqual((await store.events.liveTargetsOfSite(a)).map((t) => t.eventId).sort(), ['later', 'live']);
      assert.deepEqual(await store.events.liveTargetsOfSite(c), []);
      const bySite = await store.events.liveTargetsOfSites([a, b, c]);
      assert.deepEqual([...bySite.keys()].sort(), [a, b].sort());
      assert.deepEqual(bySite.get(a)!.map((t) => t.eventId).sort(), ['later', 'live']);
      // Every field as targets() reads it, one written by updateTarget included.
      await store.events.updateTarget('live', b, { state: 'holding', revision: 4, level: 'power_target', achievedKw: 80.5, detail: 'held' }, now + 7);
      assert.deepEqual((await store.events.liveTargetsOfSites([b])).get(b), (await store.events.targets('live')).filter((t) => t.siteId === b));
      assert.deepEqual((await store.events.liveTargetsOfSites([])).size, 0);
    },
  },
  {
    // The event tick asks each second which live targets never became a control (the collector
    // stopped between storing them and signing): it must name exactly those sites.
    name: 'events: unsentTargetSites names the sites of live targets still pending without a revision',
    async run({ store }) {
      const [a, b, c] = await threeSites(store);
      await store.events.insertEvent(event('live', 'active'), [target(a), target(b)], now);
      await store.events.insertEvent(event('later', 'scheduled'), [target(c)], now);
      await store.events.insertEvent(event('over', 'completed'), [target(a), target(b), target(c)], now);
      assert.deepEqual((await store.events.unsentTargetSites()).sort(), [a, b, c].sort());
      await store.events.updateTarget('live', a, { state: 'sent', revision: 1 }, now);
      await store.events.updateTarget('later', c, { state: 'pending', revision: 2 }, now);
      assert.deepEqual(await store.events.unsentTargetSites(), [b]);
      await store.events.setStatus('live', 'cancelled', now);
      assert.deepEqual(await store.events.unsentTargetSites(), []);
    },
  },
  {
    // A collector that is not the leader ends an event (API cancel): the leader learns which
    // sites' controls to recompute from the store, by the events' end time.
    name: 'events: sitesOfEventsEndedSince names the sites of events completed or cancelled since then',
    async run({ store }) {
      const [a, b, c] = await threeSites(store);
      await store.events.insertEvent(event('cancelled', 'active'), [target(a), target(b)], now);
      await store.events.insertEvent(event('earlier', 'active'), [target(c)], now);
      await store.events.insertEvent(event('running', 'active'), [target(c)], now);
      await store.events.setStatus('earlier', 'completed', now + 10);
      await store.events.setStatus('cancelled', 'cancelled', now + 20);
      assert.deepEqual((await store.events.sitesOfEventsEndedSince(now + 15)).sort(), [a, b].sort());
      assert.deepEqual((await store.events.sitesOfEventsEndedSince(now)).sort(), [a, b, c].sort());
      assert.deepEqual(await store.events.sitesOfEventsEndedSince(now + 21), []);
    },
  },
  {
    name: 'events: updateTarget changes the state and keeps what the change does not name',
    async run({ store }) {
      const [a] = await threeSites(store);
      await store.events.insertEvent(event('e', 'active'), [target(a)], now);
      await store.events.updateTarget('e', a, { state: 'sent', revision: 7, level: 'power_target' }, now + 1);
      await store.events.updateTarget('e', a, { state: 'holding', achievedKw: 98.5, detail: 'held' }, now + 2);
      await store.events.updateTarget('e', a, { state: 'released', achievedKw: null }, now + 3);
      const [t] = await store.events.targets('e');
      assert.deepEqual({ state: t!.state, revision: t!.revision, level: t!.level, achievedKw: t!.achievedKw, detail: t!.detail, updatedAt: t!.updatedAt },
        { state: 'released', revision: 7, level: 'power_target', achievedKw: 98.5, detail: 'held', updatedAt: now + 3 });
    },
  },
  {
    // The fan-out marks a chunk's targets sent, and a batch of reports moves them, in one statement:
    // the rows must end exactly as the same changes applied one by one would leave them.
    name: 'events: updateTargets leaves the targets as updateTarget applied change by change would, a target named twice included',
    async run({ store }) {
      const sites = [...(await threeSites(store)), ...(await Promise.all(Array.from({ length: 247 }, (_, i) => addSite(store, `many-${i}`))))];
      const [a, b, c] = sites as [number, number, number];
      for (const id of ['one-by-one', 'batched', 'other']) await store.events.insertEvent(event(id, 'active'), sites.map((s) => target(s)), now);
      const changes = (eventId: string): TargetChange[] => [
        { eventId, siteId: a, state: 'sent', revision: 7, level: 'power_target' },
        { eventId, siteId: b, state: 'sent', revision: 7, level: 'sleep' },
        { eventId, siteId: b, state: 'accepted', achievedKw: 120.5 },
        { eventId, siteId: b, state: 'failed', achievedKw: null, detail: 'bad_signature: key unknown' },
        { eventId, siteId: c, state: 'holding', achievedKw: 0 },
        // More targets than one statement takes (every site past the first three).
        ...sites.slice(3).map((siteId, i) => ({ eventId, siteId, state: 'sent' as const, revision: 100 + i })),
        { eventId, siteId: 999_999, state: 'sent', revision: 1 }, // no such target: changes nothing
      ];
      for (const ch of changes('one-by-one')) await store.events.updateTarget(ch.eventId, ch.siteId, ch, now + 1);
      await store.events.updateTargets(changes('batched'), now + 1);
      await store.events.updateTargets([], now + 2);
      const rows = async (eventId: string) => (await store.events.targets(eventId)).map(({ eventId: _e, ...t }) => t);
      const batched = await rows('batched');
      assert.deepEqual(batched, await rows('one-by-one'));
      assert.deepEqual(batched.filter((t) => t.siteId === b).map((t) => [t.state, t.revision, t.level, t.achievedKw, t.detail, t.updatedAt]),
        [['failed', 7, 'sleep', 120.5, 'bad_signature: key unknown', now + 1]]);
      assert.equal(batched.filter((t) => t.state === 'sent').length, 248);
      // Another event's targets on the same sites are untouched.
      assert.ok((await store.events.targets('other')).every((t) => t.state === 'pending' && t.revision === null && t.updatedAt === now));
    },
  },
  {
    name: 'events: control revisions are reserved in consecutive ranges, never handed out twice',
    async run({ store }) {
      assert.equal(await store.events.nextRevision(), 1);
      assert.equal(await store.events.reserveRevisions(5), 2);
      assert.equal(await store.events.nextRevision(), 7);
      // Reservers at the same time (an old and a new leader, or two chunks): disjoint ranges.
      const firsts = await Promise.all(Array.from({ length: 20 }, () => store.events.reserveRevisions(3)));
      const handedOut = firsts.flatMap((f) => [f, f + 1, f + 2]).sort((x, y) => x - y);
      assert.deepEqual(handedOut, Array.from({ length: 60 }, (_, i) => 8 + i));
      assert.equal(await store.events.nextRevision(), 68);
    },
  },
  {
    // The fan-out reserves revisions, saves controls and marks targets in one transaction:
    // if it fails, none of it stays, and nothing under those revisions was published.
    name: 'events: a failed transaction keeps none of its reservation, controls or target changes',
    async run({ store }) {
      const [a] = await threeSites(store);
      await store.events.insertEvent(event('e', 'active'), [target(a)], now);
      await assert.rejects(store.transaction(async (tx) => {
        const revision = await tx.events.reserveRevisions(3);
        await tx.events.saveControl(a, revision, { effective: { mode: 'max_kw', value: 100 } });
        await tx.events.updateTarget('e', a, { state: 'sent', revision }, now);
        throw new Error('broker gone');
      }), /broker gone/);
      assert.equal(await store.events.control(a), undefined);
      assert.equal((await store.events.targets('e'))[0]?.state, 'pending');
      const kept = await store.transaction(async (tx) => {
        const revision = await tx.events.reserveRevisions(3);
        await tx.events.saveControl(a, revision, { effective: { mode: 'max_kw', value: 100 } });
        await tx.events.updateTarget('e', a, { state: 'sent', revision }, now);
        return revision;
      });
      assert.equal(kept, 1);
      assert.equal((await store.events.control(a))?.revision, 1);
      assert.deepEqual((await store.events.targets('e')).map((t) => [t.state, t.revision]), [['sent', 1]]);
      assert.equal(await store.events.nextRevision(), 4);
    },
  },
  {
    name: 'events: a saved control is unpublished until the broker acknowledges that revision',
    async run({ store }) {
      const [a, b] = await threeSites(store);
      const payload = { effective: { mode: 'max_kw', value: 100, eventIds: ['e'] }, perAgent: { 'agent-1': { revision: 3, kw: 99.5 } } };
      await store.events.saveControl(a, 3, payload);
      await store.events.saveControlJson(b, 4, JSON.stringify({ effective: { mode: 'none' }, perAgent: {} }));
      assert.deepEqual(await store.events.control(a), { revision: 3, payload, publishedAt: null });
      assert.equal(await store.events.control(999_999), undefined);
      assert.deepEqual((await store.events.unpublishedControls()).map((c) => [c.siteId, c.site, c.revision]).sort(), [[a, 's-a', 3], [b, 's-b', 4]].sort());
      // An acknowledgement of an older revision marks nothing: the newer control is still unpublished.
      await store.events.markPublished(a, 2, now);
      assert.equal((await store.events.control(a))?.publishedAt, null);
      await store.events.markPublished(a, 3, now + 1);
      assert.equal((await store.events.control(a))?.publishedAt, now + 1);
      assert.deepEqual((await store.events.unpublishedControls()).map((c) => c.siteId), [b]);
      const bySite = await store.events.controlsOfSites([a, b, 999_999]);
      assert.deepEqual([...bySite.keys()].sort(), [a, b].sort());
      assert.equal(bySite.get(a)!.payload, undefined, 'a published control comes without its payload');
      assert.deepEqual(bySite.get(a)!.effective, payload.effective);
      assert.deepEqual(bySite.get(b)!.payload!(), { effective: { mode: 'none' }, perAgent: {} });
      assert.deepEqual(bySite.get(b)!.effective, { mode: 'none' });
      assert.equal(bySite.get(a)!.publishedAt, now + 1);
      // Many acknowledgements at once, each at its own time: as one by one (a repeated one's last time, an older revision's none).
      await store.events.saveControl(a, 4, payload);
      await store.events.markPublishedMany([{ siteId: a, revision: 4, at: now + 2 }, { siteId: b, revision: 3, at: now + 3 }, { siteId: a, revision: 4, at: now + 4 }]);
      await store.events.markPublishedMany([]);
      assert.equal((await store.events.control(a))?.publishedAt, now + 4);
      assert.equal((await store.events.control(b))?.publishedAt, null);
      await store.events.markPublishedMany(Array.from({ length: 450 }, (_, i) => ({ siteId: b, revision: 4, at: now + 10 + i })));
      assert.equal((await store.events.control(b))?.publishedAt, now + 459);
      assert.deepEqual(await store.events.unpublishedControls(), []);
      // A payload without an effective control reads back without one.
      await store.events.saveControl(b, 5, { perAgent: {} });
      assert.equal((await store.events.controlsOfSites([b])).get(b)!.effective, undefined);
      // A new revision replaces the control and is unpublished again.
      await store.events.saveControl(a, 9, { effective: { mode: 'none' } });
      assert.deepEqual(await store.events.control(a), { revision: 9, payload: { effective: { mode: 'none' } }, publishedAt: null });
      assert.equal((await store.events.controls()).length, 2);
    },
  },
  {
    name: 'events: a control saved again under its published revision is unpublished again; an older revision\'s acknowledgement never unpublishes a newer one',
    async run({ store }) {
      const [a, b, c] = await threeSites(store);
      const now = 1_700_000_000_000;
      await store.events.saveControl(a, 5, { effective: { mode: 'max_kw', value: 50 }, perAgent: { x: {} } });
      await store.events.markPublished(a, 5, now);
      // Emptied under the same revision (its agents left): the new payload has not been published.
      await store.events.saveControl(a, 5, { effective: { mode: 'none' } });
      assert.equal((await store.events.control(a))?.publishedAt, null);
      assert.deepEqual((await store.events.unpublishedControls()).map((u) => u.siteId), [a]);
      // The same through saveControlsJson.
      await store.events.saveControlJson(b, 7, '{"perAgent":{}}');
      await store.events.markPublished(b, 7, now);
      await store.events.saveControlsJson([{ siteId: b, revision: 7, json: '{"perAgent":{"y":{}}}' }]);
      assert.equal((await store.events.control(b))?.publishedAt, null);
      // A retry's PUBACK of revision 8 recorded after revision 9's: 9 stays published.
      await store.events.saveControl(c, 9, { perAgent: {} });
      await store.events.markPublishedMany([{ siteId: c, revision: 9, at: now + 9 }]);
      await store.events.markPublishedMany([{ siteId: c, revision: 8, at: now + 10 }]);
      assert.equal((await store.events.control(c))?.publishedAt, now + 9);
      // In one batch too, whatever the order.
      await store.events.saveControl(c, 11, { perAgent: {} });
      await store.events.markPublishedMany([{ siteId: c, revision: 11, at: now + 11 }, { siteId: c, revision: 10, at: now + 12 }]);
      assert.equal((await store.events.control(c))?.publishedAt, now + 11);
      assert.deepEqual((await store.events.controls()).map((x) => [x.siteId, x.revision, x.publishedAt]).sort((x, y) => x[0]! - y[0]!), [[a, 5, null], [b, 7, null], [c, 11, now + 11]].sort((x, y) => x[0]! - y[0]!));
    },
  },
  {
    name: 'events: a control under an older revision never replaces a newer one (a deposed leader writing late)',
    async run({ store }) {
      const [a] = await threeSites(store);
      await store.events.saveControl(a, 10, { effective: { mode: 'max_kw', value: 50 } });
      await store.events.saveControl(a, 8, { effective: { mode: 'none' } });
      assert.deepEqual(await store.events.control(a), { revision: 10, payload: { effective: { mode: 'max_kw', value: 50 } }, publishedAt: null });
      // The same revision again is how a site whose agents left gets its control emptied: allowed.
      await store.events.saveControl(a, 10, { effective: { mode: 'none' } });
      assert.deepEqual((await store.events.control(a))?.payload, { effective: { mode: 'none' } });
    },
  },
  {
    name: 'events: saveControlsJson stores each site\'s control as saveControlJson one by one would (newest revision kept, unpublished again)',
    async run({ store }) {
      const sites = await Promise.all(Array.from({ length: 150 }, (_, i) => addSite(store, `c-${i}`)));
      const [a, b, c] = sites as [number, number, number];
      const json = (site: number, revision: number) => JSON.stringify({ effective: { mode: 'max_kw', value: revision }, perAgent: { [`agent-${site}`]: { revision } } });
      await store.events.saveControlJson(a, 10, json(a, 10));
      await store.events.markPublished(a, 10, now);
      await store.events.saveControlJson(b, 10, json(b, 10));
      await store.events.markPublished(b, 10, now);
      await store.events.saveControlsJson([
        { siteId: a, revision: 8, json: json(a, 8) }, // older than the stored one: refused
        { siteId: b, revision: 11, json: json(b, 11) },
        { siteId: c, revision: 12, json: json(c, 12) },
        { siteId: c, revision: 13, json: json(c, 13) },
        { siteId: c, revision: 12, json: json(c, 12) }, // older than the one before it in the list
        ...sites.slice(3).map((siteId, i) => ({ siteId, revision: 100 + i, json: json(siteId, 100 + i) })),
      ]);
      await store.events.saveControlsJson([]);
      assert.deepEqual(await store.events.control(a), { revision: 10, payload: JSON.parse(json(a, 10)), publishedAt: now });
      assert.deepEqual(await store.events.control(b), { revision: 11, payload: JSON.parse(json(b, 11)), publishedAt: null });
      assert.deepEqual(await store.events.control(c), { revision: 13, payload: JSON.parse(json(c, 13)), publishedAt: null });
      const all = await store.events.controls();
      assert.equal(all.length, 150);
      for (const [i, siteId] of sites.slice(3).entries()) assert.deepEqual(all.find((x) => x.siteId === siteId)?.payload, JSON.parse(json(siteId, 100 + i)));
    },
  },
  {
    name: 'events: a control report is stored once per agent, session and seq; unsequenced ones each time',
    async run({ store }) {
      const [a] = await threeSites(store);
      const report = (revision: number, seq: number | null, ts: number) => ({
        siteId: a, agentId: 1, revision, status: 'accepted', reason: null, detail: 'ok', achievedKw: 90.5, targetKw: 100, ts, session: seq === null ? null : 77, seq,
      });
      assert.equal(await store.events.insertReport(report(5, 1, now), now), true);
      assert.equal(await store.events.insertReport(report(5, 1, now), now + 10), false);
      assert.equal(await store.events.insertReport({ ...report(5, 1, now), session: 78 }, now), true);
      assert.equal(await store.events.insertReport(report(6, null, now + 1), now), true);
      assert.equal(await store.events.insertReport(report(6, null, now + 1), now), true);
      const reports = await store.events.reports(a);
      assert.equal(reports.length, 4);
      assert.deepEqual(reports[0], { revision: 6, status: 'accepted', reason: null, detail: 'ok', achievedKw: 90.5, targetKw: 100, ts: now + 1, receivedAt: now });
      assert.deepEqual((await store.events.reports(a, 1)).length, 1);
    },
  },
  {
    name: 'events: reportsNotApplied finds the stored reports of a live target still sent on their revision (what a collector killed after its commit left), oldest first',
    async run({ store }) {
      const [a, b] = await threeSites(store);
      const report = (siteId: number, agentId: number, revision: number, seq: number, status: string, reason: string | null = null) => ({
        siteId, agentId, revision, status, reason, detail: null, achievedKw: 12.5, targetKw: null, ts: now, session: 7, seq,
      });
      await store.events.insertEvent(event('live', 'active'), [target(a), target(b)], now);
      await store.events.insertEvent(event('over', 'completed'), [target(a)], now);
      await store.events.updateTargets([{ eventId: 'live', siteId: a, state: 'sent', revision: 3 }, { eventId: 'live', siteId: b, state: 'sent', revision: 4 }, { eventId: 'over', siteId: a, state: 'sent', revision: 3 }], now);
      assert.deepEqual(await store.events.reportsNotApplied(), []);
      // received moves nothing; another revision's report is not this target's; b's rejection is.
      await store.events.insertReports([report(a, 1, 3, 1, 'received'), report(a, 1, 2, 2, 'accepted'), report(b, 2, 4, 1, 'rejected', 'stale'), report(a, 1, 3, 3, 'accepted')], now);
      assert.deepEqual(await store.events.reportsNotApplied(), [
        { siteId: b, report: { revision: 4, status: 'rejected', reason: 'stale', detail: undefined, achievedKw: 12.5 } },
        { siteId: a, report: { revision: 3, status: 'accepted', reason: undefined, detail: undefined, achievedKw: 12.5 } },
      ]);
      await store.events.updateTargets([{ eventId: 'live', siteId: a, state: 'accepted' }, { eventId: 'live', siteId: b, state: 'failed' }], now);
      assert.deepEqual(await store.events.reportsNotApplied(), []);
    },
  },
  {
    name: 'events: insertReports stores a batch as insertReport would, one by one (a redelivery, in the store or earlier in the batch, is not fresh)',
    async run({ store }) {
      const [a, b] = await threeSites(store);
      const report = (siteId: number, agentId: number, revision: number, seq: number | null, status = 'accepted') => ({
        siteId, agentId, revision, status, reason: null, detail: null, achievedKw: null, targetKw: null, ts: now, session: seq === null ? null : 5, seq,
      });
      assert.equal(await store.events.insertReport(report(a, 1, 3, 1), now), true);
      assert.deepEqual(await store.events.insertReports([], now), []);
      const batch = [report(a, 1, 3, 1), report(a, 1, 4, 2, 'received'), report(b, 2, 4, null), report(b, 2, 4, null), report(a, 1, 4, 2, 'received'), report(a, 1, 4, 3)];
      assert.deepEqual(await store.events.insertReports(batch, now + 5), [false, true, true, true, false, true]);
      assert.equal((await store.events.reports(a)).length, 3);
      assert.deepEqual((await store.events.reports(b)).map((r) => [r.revision, r.status, r.receivedAt]), [[4, 'accepted', now + 5], [4, 'accepted', now + 5]]);
      // More rows than one statement chunk holds.
      const many = Array.from({ length: 250 }, (_, i) => report(b, 2, 10, 100 + i));
      assert.deepEqual(await store.events.insertReports([...many, many[0]!], now), [...many.map(() => true), false]);
      assert.equal((await store.events.reports(b, 1000)).length, 252);
    },
  },
];

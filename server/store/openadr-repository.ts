import type { Db } from './database.js';

export interface OpenAdrLink {
  vtnEventId: string;
  intervalId: number;
  eventId: string;
  programId: string;
  modification: string;
  startTs: number;
  endTs: number;
  resource: string;
  reportTypes: string[];
  aggregate: boolean;
  curtailed: boolean;
  reported: boolean;
}

interface RawLink { vtn_event_id: string; interval_id: number; event_id: string; program_id: string; modification: string; start_ts: number; end_ts: number; resources: string; report_types: string; aggregate: number; curtailed: number; reported: number }
const toLink = (r: RawLink): OpenAdrLink => ({
  vtnEventId: r.vtn_event_id, intervalId: r.interval_id, eventId: r.event_id, programId: r.program_id, modification: r.modification, startTs: r.start_ts, endTs: r.end_ts,
  resource: r.resources, reportTypes: JSON.parse(r.report_types) as string[], aggregate: r.aggregate === 1, curtailed: r.curtailed === 1, reported: r.reported === 1,
});

export interface OutboxRow { id: number; vtnEventId: string; intervalId: number; body: unknown; attempts: number; createdAt: number; lastError: string | null; sentAt: number | null }

export type OpenAdrRepository = ReturnType<typeof createOpenAdrRepository>;

/** The OpenADR VEN's links from VTN event intervals to hashwatt events, and its report outbox. */
export function createOpenAdrRepository(db: Db) {
  const insertLink = db.prepare(`INSERT OR REPLACE INTO openadr_links (vtn_event_id, interval_id, event_id, program_id, modification, start_ts, end_ts, resources, report_types, aggregate)
    VALUES (@vtnEventId, @intervalId, @eventId, @programId, @modification, @startTs, @endTs, @resource, @reportTypes, @aggregate)`);
  const linksOf = db.prepare<[string], RawLink>('SELECT * FROM openadr_links WHERE vtn_event_id = ? ORDER BY interval_id');
  const allLinks = db.prepare<[], RawLink>('SELECT * FROM openadr_links WHERE reported = 0');
  const setModification = db.prepare<[string, string]>('UPDATE openadr_links SET modification = ? WHERE vtn_event_id = ?');
  const setCurtailed = db.prepare<[string]>('UPDATE openadr_links SET curtailed = 1 WHERE event_id = ?');
  const setReported = db.prepare<[string]>('UPDATE openadr_links SET reported = 1 WHERE event_id = ?');
  // Only events with something still to cancel: finished ones need no deletion check on every poll.
  const known = db.prepare<[], { vtn_event_id: string; program_id: string; modification: string }>(`SELECT DISTINCT l.vtn_event_id, l.program_id, l.modification
    FROM openadr_links l JOIN events e ON e.id = l.event_id WHERE e.status IN ('scheduled', 'active')`);
  // Per agent, then summed: a site with several agents (segments) draws their sum (as rollups do).
  const avgKw = db.prepare<[string, number, number], { kw: number | null; n: number }>(`SELECT SUM(kw) AS kw, SUM(n) AS n FROM (
      SELECT AVG(COALESCE(meter_kw, miner_kw)) AS kw, COUNT(*) AS n FROM samples
      WHERE site_id IN (SELECT value FROM json_each(?)) AND ts >= ? AND ts < ? GROUP BY site_id, agent_id)`);
  const enqueue = db.prepare('INSERT INTO openadr_outbox (vtn_event_id, interval_id, body, created_at, next_at) VALUES (?, ?, ?, ?, ?)');
  const due = db.prepare<[number, number], { id: number; vtn_event_id: string; interval_id: number; body: string; attempts: number; created_at: number; last_error: string | null; sent_at: number | null }>(
    'SELECT * FROM openadr_outbox WHERE sent_at IS NULL AND refused_at IS NULL AND next_at <= ? ORDER BY id LIMIT ?');
  const sent = db.prepare<[number, number]>('UPDATE openadr_outbox SET sent_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?');
  const failed = db.prepare<[string, number, number]>('UPDATE openadr_outbox SET attempts = attempts + 1, last_error = ?, next_at = ? WHERE id = ?');
  const refused = db.prepare<[number, string, number]>('UPDATE openadr_outbox SET refused_at = ?, attempts = attempts + 1, last_error = ? WHERE id = ?');
  const pending = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM openadr_outbox WHERE sent_at IS NULL AND refused_at IS NULL');
  const eventCreated = db.prepare<[string], { created_at: number }>('SELECT created_at FROM events WHERE id = ?');

  return {
    insertLink(l: Omit<OpenAdrLink, 'curtailed' | 'reported'>): void {
      insertLink.run({ ...l, reportTypes: JSON.stringify(l.reportTypes), aggregate: l.aggregate ? 1 : 0 });
    },
    links(vtnEventId: string): OpenAdrLink[] {
      return linksOf.all(vtnEventId).map(toLink);
    },
    /** Links whose report is not made yet. */
    unreported(): OpenAdrLink[] {
      return allLinks.all().map(toLink).filter((l) => !l.reported);
    },
    /** The VTN events the VEN is carrying out (a hashwatt event still scheduled or active), with the version it acted on. */
    knownEvents(): Array<{ vtnEventId: string; programId: string; modification: string }> {
      return known.all().map((r) => ({ vtnEventId: r.vtn_event_id, programId: r.program_id, modification: r.modification }));
    },
    setModification(vtnEventId: string, modification: string): void {
      setModification.run(modification, vtnEventId);
    },
    markCurtailed(eventId: string): void {
      setCurtailed.run(eventId);
    },
    /** Average kW of these sites over [from, to) from the stored samples; null when none were stored. */
    averageKw(siteIds: readonly number[], from: number, to: number): number | null {
      const r = avgKw.get(JSON.stringify(siteIds), from, to);
      return r && r.n > 0 ? r.kw : null;
    },
    /** The report is queued and its link marked in one transaction: built once, sent until the VTN takes it. */
    enqueueReport(eventId: string, vtnEventId: string, intervalId: number, body: unknown, now: number): void {
      db.transaction(() => {
        enqueue.run(vtnEventId, intervalId, JSON.stringify(body), now, now);
        setReported.run(eventId);
      })();
    },
    dueReports(now: number, limit = 20): OutboxRow[] {
      return due.all(now, limit).map((r) => ({ id: r.id, vtnEventId: r.vtn_event_id, intervalId: r.interval_id, body: JSON.parse(r.body) as unknown, attempts: r.attempts, createdAt: r.created_at, lastError: r.last_error, sentAt: r.sent_at }));
    },
    markSent(id: number, now: number): void {
      sent.run(now, id);
    },
    markFailed(id: number, error: string, nextAt: number): void {
      failed.run(error.slice(0, 500), nextAt, id);
    },
    /** The VTN refused the report for good: kept with its reason, never sent again. */
    markRefused(id: number, error: string, now: number): void {
      refused.run(now, error.slice(0, 500), id);
    },
    /**
     * Links of the same VTN interval and resource made when or after this link's
     * hashwatt event was cancelled at `cancelledAt`: a modification replaced it, and
     * the replacement reports the interval.
     */
    replacementsOf(l: OpenAdrLink, cancelledAt: number): OpenAdrLink[] {
      return linksOf.all(l.vtnEventId).map(toLink)
        .filter((o) => o.intervalId === l.intervalId && o.resource === l.resource && o.eventId !== l.eventId && (eventCreated.get(o.eventId)?.created_at ?? -1) >= cancelledAt);
    },
    pendingReports(): number {
      return pending.get()?.n ?? 0;
    },
  };
}

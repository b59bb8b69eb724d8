import type { OpenAdrLink, OpenAdrRepository, OutboxRow } from '../openadr-repository.js';
import type { AsyncOf } from '../store-port.js';
import { inTransaction, type PgQueryable } from './pg-connect.js';
import { pgArray } from './pg-arrays.js';

interface RawLink { vtn_event_id: string; interval_id: number; event_id: string; program_id: string; modification: string; start_ts: number; end_ts: number; resources: string; report_types: string; aggregate: boolean; curtailed: boolean; reported: boolean }
interface RawOutbox { id: number; vtn_event_id: string; interval_id: number; body: string; attempts: number; created_at: number; last_error: string | null; sent_at: number | null }

const toLink = (r: RawLink): OpenAdrLink => ({
  vtnEventId: r.vtn_event_id, intervalId: r.interval_id, eventId: r.event_id, programId: r.program_id, modification: r.modification, startTs: r.start_ts, endTs: r.end_ts,
  resource: r.resources, reportTypes: JSON.parse(r.report_types) as string[], aggregate: r.aggregate, curtailed: r.curtailed, reported: r.reported,
});
const toOutbox = (r: RawOutbox): OutboxRow => ({
  id: r.id, vtnEventId: r.vtn_event_id, intervalId: r.interval_id, body: JSON.parse(r.body) as unknown, attempts: r.attempts, createdAt: r.created_at,
  lastError: r.last_error, sentAt: r.sent_at,
});

/** OpenAdrRepository on PostgreSQL: same methods and results as the SQLite one, each returning a Promise. */
export function createPgOpenAdrRepository(sql: PgQueryable): AsyncOf<OpenAdrRepository> {
  return {
    async insertLink(l) {
      // As SQLite's INSERT OR REPLACE: a link made again starts over, not curtailed and not reported.
      await sql`INSERT INTO openadr_links (vtn_event_id, interval_id, event_id, program_id, modification, start_ts, end_ts, resources, report_types, aggregate, curtailed, reported)
        VALUES (${l.vtnEventId}, ${l.intervalId}, ${l.eventId}, ${l.programId}, ${l.modification}, ${l.startTs}, ${l.endTs}, ${l.resource}, ${JSON.stringify(l.reportTypes)}, ${l.aggregate}, false, false)
        ON CONFLICT (vtn_event_id, interval_id, event_id) DO UPDATE SET program_id = excluded.program_id, modification = excluded.modification, start_ts = excluded.start_ts,
          end_ts = excluded.end_ts, resources = excluded.resources, report_types = excluded.report_types, aggregate = excluded.aggregate, curtailed = false, reported = false`;
    },
    async links(vtnEventId) {
      return (await sql<RawLink[]>`SELECT * FROM openadr_links WHERE vtn_event_id = ${vtnEventId} ORDER BY interval_id, event_id`).map(toLink);
    },
    async unreported() {
      return (await sql<RawLink[]>`SELECT * FROM openadr_links WHERE NOT reported`).map(toLink);
    },
    async knownEvents() {
      // Only events with something still to cancel: finished ones need no deletion check on every poll.
      const rows = await sql<Array<{ vtn_event_id: string; program_id: string; modification: string }>>`SELECT DISTINCT l.vtn_event_id, l.program_id, l.modification
        FROM openadr_links l JOIN events e ON e.id = l.event_id WHERE e.status IN ('scheduled', 'active')`;
      return rows.map((r) => ({ vtnEventId: r.vtn_event_id, programId: r.program_id, modification: r.modification }));
    },
    async setModification(vtnEventId, modification) {
      await sql`UPDATE openadr_links SET modification = ${modification} WHERE vtn_event_id = ${vtnEventId}`;
    },
    async markCurtailed(eventId) {
      await sql`UPDATE openadr_links SET curtailed = true WHERE event_id = ${eventId}`;
    },
    async averageKw(siteIds, from, to) {
      // Per agent, then summed: a site with several agents (segments) draws their sum (as rollups do).
      const [r] = await sql<Array<{ kw: number | null; n: number | null }>>`SELECT SUM(kw) AS kw, SUM(n) AS n FROM (
          SELECT AVG(COALESCE(meter_kw, miner_kw)) AS kw, COUNT(*) AS n FROM samples
          WHERE site_id = ANY(${pgArray(sql, 'bigint', siteIds)}) AND ts >= ${from} AND ts < ${to} GROUP BY site_id, agent_id) per_agent`;
      return r && (r.n ?? 0) > 0 ? r.kw : null;
    },
    async enqueueReport(eventId, vtnEventId, intervalId, body, now) {
      // Queued and marked in one transaction: built once, sent until the VTN takes it.
      await inTransaction(sql, async (tx) => {
        await tx`INSERT INTO openadr_outbox (vtn_event_id, interval_id, body, created_at, next_at) VALUES (${vtnEventId}, ${intervalId}, ${JSON.stringify(body)}, ${now}, ${now})`;
        await tx`UPDATE openadr_links SET reported = true WHERE event_id = ${eventId}`;
      });
    },
    async dueReports(now, limit = 20) {
      return (await sql<RawOutbox[]>`SELECT * FROM openadr_outbox WHERE sent_at IS NULL AND refused_at IS NULL AND next_at <= ${now} ORDER BY id LIMIT ${limit}`).map(toOutbox);
    },
    async markSent(id, now) {
      await sql`UPDATE openadr_outbox SET sent_at = ${now}, attempts = attempts + 1, last_error = NULL WHERE id = ${id}`;
    },
    async markFailed(id, error, nextAt) {
      await sql`UPDATE openadr_outbox SET attempts = attempts + 1, last_error = ${error.slice(0, 500)}, next_at = ${nextAt} WHERE id = ${id}`;
    },
    async markRefused(id, error, now) {
      await sql`UPDATE openadr_outbox SET refused_at = ${now}, attempts = attempts + 1, last_error = ${error.slice(0, 500)} WHERE id = ${id}`;
    },
    async replacementsOf(l, cancelledAt) {
      // Same VTN interval and resource, another hashwatt event made when or after this one was cancelled.
      const rows = await sql<RawLink[]>`SELECT l.* FROM openadr_links l LEFT JOIN events e ON e.id = l.event_id
        WHERE l.vtn_event_id = ${l.vtnEventId} AND l.interval_id = ${l.intervalId} AND l.resources = ${l.resource} AND l.event_id <> ${l.eventId}
          AND COALESCE(e.created_at, -1) >= ${cancelledAt}
        ORDER BY l.interval_id, l.event_id`;
      return rows.map(toLink);
    },
    async pendingReports() {
      const [r] = await sql<Array<{ n: number }>>`SELECT COUNT(*) AS n FROM openadr_outbox WHERE sent_at IS NULL AND refused_at IS NULL`;
      return r?.n ?? 0;
    },
  };
}

import type { EventRepository, EventRow, EventSource, TargetRow } from '../event-repository.js';
import type { AsyncOf } from './pg-async-of.js';
import { atomically, int, intOrNull, type PgSql } from './pg-values.js';

interface RawEvent { id: string; kind: EventRow['kind']; value: number | null; scope: string; start_ts: string; end_ts: string; priority: EventRow['priority']; level: EventRow['level']; reason: string; status: EventRow['status']; requested_kw: number; created_by: string; created_at: string; ended_at: string | null; source: string | null }
interface RawTarget { event_id: string; site_id: string; site: string; state: TargetRow['state']; mode: TargetRow['mode']; value: number | null; target_kw: number | null; baseline_kw: number; baseline_hashing: number | null; baseline_ths: number | null; level: TargetRow['level']; shed_kw: number; revision: string | null; achieved_kw: number | null; detail: string | null; updated_at: string }
interface RawControl { site_id: string; revision: string; payload: string; published_at: string | null }

const toEvent = (r: RawEvent): EventRow => ({
  id: r.id, kind: r.kind, value: r.value, scope: JSON.parse(r.scope) as EventRow['scope'], startTs: int(r.start_ts), endTs: int(r.end_ts), priority: r.priority, level: r.level,
  reason: r.reason, status: r.status, requestedKw: r.requested_kw, createdBy: r.created_by, createdAt: int(r.created_at), endedAt: intOrNull(r.ended_at),
  source: r.source === null ? null : (JSON.parse(r.source) as EventSource),
});
const toTarget = (r: RawTarget): TargetRow => ({
  eventId: r.event_id, siteId: int(r.site_id), site: r.site, state: r.state, mode: r.mode, value: r.value, targetKw: r.target_kw, baselineKw: r.baseline_kw,
  baselineHashing: intOrNull(r.baseline_hashing), baselineThs: r.baseline_ths, level: r.level, shedKw: r.shed_kw, revision: intOrNull(r.revision), achievedKw: r.achieved_kw,
  detail: r.detail, updatedAt: int(r.updated_at),
});
const parsed = (payload: string) => JSON.parse(payload) as Record<string, unknown>;

/** The meta row holding the last control revision handed out. */
const REVISION_KEY = 'control_revision';

/** EventRepository on PostgreSQL: same methods and results as the SQLite one, each returning a Promise. */
export function createPgEventRepository(sql: PgSql): AsyncOf<EventRepository> {
  const targetSelect = () => sql`SELECT t.*, s.site AS site FROM event_targets t JOIN sites s ON s.id = t.site_id`;
  // The payload is read as text whatever the column type: parsed only when asked for (it can be large).
  const controlSelect = () => sql`SELECT site_id, revision, payload::text AS payload, published_at FROM controls`;
  const saveControl = (siteId: number, revision: number, json: string) => sql`
    INSERT INTO controls (site_id, revision, payload, published_at) VALUES (${siteId}, ${revision}, ${json}, NULL)
    ON CONFLICT (site_id) DO UPDATE SET revision = excluded.revision, payload = excluded.payload, published_at = excluded.published_at
    -- fencing: a leader holding an older reservation never overwrites a newer control
    WHERE controls.revision <= excluded.revision`;

  // Reserving is one UPDATE of one row: concurrent reservers (an old and a new leader) queue on its
  // row lock and each gets its own consecutive range, never one already handed out.
  async function reserve(count: number): Promise<number> {
    const [row] = await sql<Array<{ last: string }>>`
      INSERT INTO meta (key, value) VALUES (${REVISION_KEY}, ${String(count)})
      ON CONFLICT (key) DO UPDATE SET value = (meta.value::bigint + ${count}::bigint)::text
      RETURNING value AS last`;
    return int(row!.last) - count + 1;
  }

  return {
    async insertEvent(e, targets, now) {
      await atomically(sql, async (tx) => {
        await tx`INSERT INTO events (id, kind, value, scope, start_ts, end_ts, priority, level, reason, status, requested_kw, created_by, created_at, source)
          VALUES (${e.id}, ${e.kind}, ${e.value}, ${JSON.stringify(e.scope)}, ${e.startTs}, ${e.endTs}, ${e.priority}, ${e.level}, ${e.reason}, ${e.status},
            ${e.requestedKw}, ${e.createdBy}, ${e.createdAt}, ${e.source ? JSON.stringify(e.source) : null})`;
        if (targets.length === 0) return;
        // One statement for every target, however many (a national event has thousands): columns as arrays.
        await tx`INSERT INTO event_targets (event_id, site_id, state, mode, value, target_kw, baseline_kw, baseline_hashing, baseline_ths, shed_kw, updated_at)
          SELECT ${e.id}, t.site_id, 'pending', t.mode, t.value, t.target_kw, t.baseline_kw, t.baseline_hashing, t.baseline_ths, t.shed_kw, ${now}::bigint
          FROM unnest(${targets.map((t) => t.siteId)}::bigint[], ${targets.map((t) => t.mode)}::text[], ${targets.map((t) => t.value)}::float8[],
            ${targets.map((t) => t.targetKw)}::float8[], ${targets.map((t) => t.baselineKw)}::float8[], ${targets.map((t) => t.baselineHashing ?? null)}::bigint[],
            ${targets.map((t) => t.baselineThs ?? null)}::float8[], ${targets.map((t) => t.shedKw)}::float8[])
            AS t (site_id, mode, value, target_kw, baseline_kw, baseline_hashing, baseline_ths, shed_kw)`;
      });
    },
    async get(id) {
      const [r] = await sql<RawEvent[]>`SELECT * FROM events WHERE id = ${id}`;
      return r && toEvent(r);
    },
    async list(limit = 200) {
      return (await sql<RawEvent[]>`SELECT * FROM events ORDER BY created_at DESC LIMIT ${limit}`).map(toEvent);
    },
    async live() {
      return (await sql<RawEvent[]>`SELECT * FROM events WHERE status IN ('scheduled', 'active') ORDER BY created_at`).map(toEvent);
    },
    async setStatus(id, status, endedAt) {
      await sql`UPDATE events SET status = ${status}, ended_at = ${endedAt} WHERE id = ${id}`;
    },
    async targets(eventId) {
      return (await sql<RawTarget[]>`${targetSelect()} WHERE t.event_id = ${eventId} ORDER BY s.site`).map(toTarget);
    },
    async liveTargetsOfSite(siteId) {
      return (await sql<RawTarget[]>`${targetSelect()} JOIN events e ON e.id = t.event_id WHERE t.site_id = ${siteId} AND e.status IN ('scheduled', 'active')`).map(toTarget);
    },
    async liveTargetsOfSites(siteIds) {
      const out = new Map<number, TargetRow[]>();
      const rows = await sql<RawTarget[]>`${targetSelect()} JOIN events e ON e.id = t.event_id
        WHERE t.site_id = ANY(${[...siteIds]}::bigint[]) AND e.status IN ('scheduled', 'active')`;
      for (const r of rows) {
        const t = toTarget(r);
        const list = out.get(t.siteId);
        if (list) list.push(t);
        else out.set(t.siteId, [t]);
      }
      return out;
    },
    async unsentTargetSites() {
      const rows = await sql<Array<{ site_id: string }>>`SELECT DISTINCT t.site_id FROM event_targets t JOIN events e ON e.id = t.event_id
        WHERE e.status IN ('scheduled', 'active') AND t.state = 'pending' AND t.revision IS NULL`;
      return rows.map((r) => int(r.site_id));
    },
    async updateTarget(eventId, siteId, change, now) {
      await sql`UPDATE event_targets SET state = ${change.state}, revision = COALESCE(${change.revision ?? null}::bigint, revision),
        level = COALESCE(${change.level ?? null}::text, level), achieved_kw = COALESCE(${change.achievedKw ?? null}::float8, achieved_kw),
        detail = COALESCE(${change.detail ?? null}::text, detail), updated_at = ${now}
        WHERE event_id = ${eventId} AND site_id = ${siteId}`;
    },
    async nextRevision() {
      return reserve(1);
    },
    async reserveRevisions(count) {
      return reserve(count);
    },
    async controlsOfSites(siteIds) {
      const rows = await sql<RawControl[]>`${controlSelect()} WHERE site_id = ANY(${[...siteIds]}::bigint[])`;
      return new Map(rows.map((r) => [int(r.site_id), { revision: int(r.revision), payload: () => parsed(r.payload), publishedAt: intOrNull(r.published_at) }]));
    },
    async unpublishedControls() {
      return (await sql<RawControl[]>`${controlSelect()} WHERE published_at IS NULL`).map((r) => ({ siteId: int(r.site_id), revision: int(r.revision), payload: parsed(r.payload) }));
    },
    async control(siteId) {
      const [r] = await sql<RawControl[]>`${controlSelect()} WHERE site_id = ${siteId}`;
      return r && { revision: int(r.revision), payload: parsed(r.payload), publishedAt: intOrNull(r.published_at) };
    },
    async controls() {
      return (await sql<RawControl[]>`${controlSelect()}`).map((r) => ({ siteId: int(r.site_id), revision: int(r.revision), payload: parsed(r.payload), publishedAt: intOrNull(r.published_at) }));
    },
    async saveControl(siteId, revision, payload) {
      await saveControl(siteId, revision, JSON.stringify(payload));
    },
    async saveControlJson(siteId, revision, json) {
      await saveControl(siteId, revision, json);
    },
    async markPublished(siteId, revision, now) {
      await sql`UPDATE controls SET published_at = ${now} WHERE site_id = ${siteId} AND revision = ${revision}`;
    },
    async insertReport(r, now) {
      // A report replayed from the agent's outbox (same agent, session and seq) is stored once.
      const rows = await sql`INSERT INTO control_reports (site_id, agent_id, revision, status, reason, detail, achieved_kw, target_kw, ts, received_at, session, seq)
        VALUES (${r.siteId}, ${r.agentId}, ${r.revision}, ${r.status}, ${r.reason}, ${r.detail}, ${r.achievedKw}, ${r.targetKw}, ${r.ts}, ${now}, ${r.session ?? null}, ${r.seq ?? null})
        ON CONFLICT DO NOTHING RETURNING id`;
      return rows.length > 0;
    },
    async reports(siteId, limit = 50) {
      const rows = await sql<Array<{ revision: string; status: string; reason: string | null; detail: string | null; achieved_kw: number | null; target_kw: number | null; ts: string; received_at: string }>>`
        SELECT revision, status, reason, detail, achieved_kw, target_kw, ts, received_at FROM control_reports WHERE site_id = ${siteId} ORDER BY id DESC LIMIT ${limit}`;
      return rows.map((r) => ({ revision: int(r.revision), status: r.status, reason: r.reason, detail: r.detail, achievedKw: r.achieved_kw, targetKw: r.target_kw, ts: int(r.ts), receivedAt: int(r.received_at) }));
    },
  };
}

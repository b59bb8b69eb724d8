import { storedReport, type EventRepository, type EventRow, type EventSource, type TargetRow } from '../event-repository.js';
import { foldTargetChanges, newestPerSite } from '../batched-changes.js';
import type { AsyncOf } from '../store-port.js';
import { inTransaction, type PgQueryable } from './pg-connect.js';
import { pgArray } from './pg-arrays.js';
import { reserveControlRevisions } from '../../cluster/control-revision.js';

interface RawEvent { id: string; kind: EventRow['kind']; value: number | null; scope: string; start_ts: number; end_ts: number; priority: EventRow['priority']; level: EventRow['level']; reason: string; status: EventRow['status']; requested_kw: number; created_by: string; created_at: number; ended_at: number | null; source: string | null }
interface RawTarget { event_id: string; site_id: number; site: string; state: TargetRow['state']; mode: TargetRow['mode']; value: number | null; target_kw: number | null; baseline_kw: number; baseline_hashing: number | null; baseline_ths: number | null; level: TargetRow['level']; shed_kw: number; revision: number | null; achieved_kw: number | null; detail: string | null; updated_at: number }
interface RawControl { site_id: number; revision: number; payload: string; published_at: number | null }

const toEvent = (r: RawEvent): EventRow => ({
  id: r.id, kind: r.kind, value: r.value, scope: JSON.parse(r.scope) as EventRow['scope'], startTs: r.start_ts, endTs: r.end_ts, priority: r.priority, level: r.level,
  reason: r.reason, status: r.status, requestedKw: r.requested_kw, createdBy: r.created_by, createdAt: r.created_at, endedAt: r.ended_at,
  source: r.source === null ? null : (JSON.parse(r.source) as EventSource),
});
const toTarget = (r: RawTarget): TargetRow => ({
  eventId: r.event_id, siteId: r.site_id, site: r.site, state: r.state, mode: r.mode, value: r.value, targetKw: r.target_kw, baselineKw: r.baseline_kw,
  baselineHashing: r.baseline_hashing, baselineThs: r.baseline_ths, level: r.level, shedKw: r.shed_kw, revision: r.revision, achievedKw: r.achieved_kw,
  detail: r.detail, updatedAt: r.updated_at,
});
const parsed = (payload: string) => JSON.parse(payload) as Record<string, unknown>;

/** EventRepository on PostgreSQL: same methods and results as the SQLite one, each returning a Promise. */
export function createPgEventRepository(sql: PgQueryable): AsyncOf<EventRepository> {
  const targetSelect = () => sql`SELECT t.*, s.site AS site FROM event_targets t JOIN sites s ON s.id = t.site_id`;
  // A control's publish time is its site's control_publications row when that row holds its revision.
  const controlSelect = () => sql`SELECT c.site_id, c.revision, c.payload, p.published_at FROM controls c
    LEFT JOIN control_publications p ON p.site_id = c.site_id AND p.revision = c.revision`;
  // Saving a control makes that revision unpublished, also when it is the revision already stored.
  const saveControl = async (siteId: number, revision: number, json: string) => {
    await sql`INSERT INTO controls (site_id, revision, payload) VALUES (${siteId}, ${revision}, ${json})
      ON CONFLICT (site_id) DO UPDATE SET revision = excluded.revision, payload = excluded.payload
      -- fencing: a leader holding an older reservation never overwrites a newer control
      WHERE controls.revision <= excluded.revision`;
    await sql`DELETE FROM control_publications WHERE site_id = ${siteId} AND revision = ${revision}`;
  };
  // Acknowledgements: an older revision than the one recorded leaves the newer one.
  const markPublished = (marks: readonly { siteId: number; revision: number; at: number }[]) => sql`
    INSERT INTO control_publications (site_id, revision, published_at)
    SELECT * FROM unnest(${pgArray(sql, 'bigint', marks.map((m) => m.siteId))}, ${pgArray(sql, 'bigint', marks.map((m) => m.revision))}, ${pgArray(sql, 'bigint', marks.map((m) => m.at))})
    ON CONFLICT (site_id) DO UPDATE SET revision = excluded.revision, published_at = excluded.published_at
    WHERE control_publications.revision <= excluded.revision`;

  // The one global counter the leader's fenced reservation draws from as well (control_revision,
  // docs/architecture.md, "Control revisions"), so the two can never hand out the same revision. This
  // path has no leader term: it keeps the epoch the last fenced reservation recorded (1, the lowest,
  // when none has). One upsert of one row: concurrent reservers queue on its lock, held until their
  // transaction ends, and each gets its own consecutive range; a rolled-back range was never
  // published (controls go out after the commit), so it may be handed out again.
  async function reserve(count: number): Promise<number> {
    const [row] = await sql<Array<{ last: number }>>`
      INSERT INTO control_revision AS counter (id, last_revision, epoch) VALUES (true, ${count}, 1)
      ON CONFLICT (id) DO UPDATE SET last_revision = counter.last_revision + excluded.last_revision
      RETURNING last_revision AS last`;
    return row!.last - count + 1;
  }

  return {
    async insertEvent(e, targets, now) {
      await inTransaction(sql, async (tx) => {
        await tx`INSERT INTO events (id, kind, value, scope, start_ts, end_ts, priority, level, reason, status, requested_kw, created_by, created_at, source)
          VALUES (${e.id}, ${e.kind}, ${e.value}, ${JSON.stringify(e.scope)}, ${e.startTs}, ${e.endTs}, ${e.priority}, ${e.level}, ${e.reason}, ${e.status},
            ${e.requestedKw}, ${e.createdBy}, ${e.createdAt}, ${e.source ? JSON.stringify(e.source) : null})`;
        if (targets.length === 0) return;
        // One statement for every target, however many (a national event has thousands): columns as arrays.
        await tx`INSERT INTO event_targets (event_id, site_id, state, mode, value, target_kw, baseline_kw, baseline_hashing, baseline_ths, shed_kw, updated_at)
          SELECT ${e.id}, t.site_id, 'pending', t.mode, t.value, t.target_kw, t.baseline_kw, t.baseline_hashing, t.baseline_ths, t.shed_kw, ${now}::bigint
          FROM unnest(${pgArray(tx, 'bigint', targets.map((t) => t.siteId))}, ${pgArray(tx, 'text', targets.map((t) => t.mode))}, ${pgArray(tx, 'float8', targets.map((t) => t.value))},
            ${pgArray(tx, 'float8', targets.map((t) => t.targetKw))}, ${pgArray(tx, 'float8', targets.map((t) => t.baselineKw))}, ${pgArray(tx, 'int4', targets.map((t) => t.baselineHashing ?? null))},
            ${pgArray(tx, 'float8', targets.map((t) => t.baselineThs ?? null))}, ${pgArray(tx, 'float8', targets.map((t) => t.shedKw))})
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
        WHERE t.site_id = ANY(${pgArray(sql, 'bigint', siteIds)}) AND e.status IN ('scheduled', 'active')`;
      for (const r of rows) {
        const t = toTarget(r);
        const list = out.get(t.siteId);
        if (list) list.push(t);
        else out.set(t.siteId, [t]);
      }
      return out;
    },
    async sitesOfEventsEndedSince(since) {
      const rows = await sql<Array<{ site_id: number }>>`SELECT DISTINCT t.site_id FROM event_targets t JOIN events e ON e.id = t.event_id
        WHERE e.status IN ('completed', 'cancelled') AND e.ended_at >= ${since}`;
      return rows.map((r) => r.site_id);
    },
    async unsentTargetSites() {
      const rows = await sql<Array<{ site_id: number }>>`SELECT DISTINCT t.site_id FROM event_targets t JOIN events e ON e.id = t.event_id
        WHERE e.status IN ('scheduled', 'active') AND t.state = 'pending' AND t.revision IS NULL`;
      return rows.map((r) => r.site_id);
    },
    async updateTarget(eventId, siteId, change, now) {
      await sql`UPDATE event_targets SET state = ${change.state}, revision = COALESCE(${change.revision ?? null}::bigint, revision),
        level = COALESCE(${change.level ?? null}::text, level), achieved_kw = COALESCE(${change.achievedKw ?? null}::float8, achieved_kw),
        detail = COALESCE(${change.detail ?? null}::text, detail), updated_at = ${now}
        WHERE event_id = ${eventId} AND site_id = ${siteId}`;
    },
    async updateTargets(changes, now) {
      // One statement for the list (columns as arrays), each target changed once: folded as the SQLite store folds them.
      const folded = foldTargetChanges(changes);
      if (folded.length === 0) return;
      const col = <T>(f: (c: (typeof folded)[number]) => T) => folded.map(f);
      await sql`UPDATE event_targets t SET state = c.state, revision = COALESCE(c.revision, t.revision), level = COALESCE(c.level, t.level),
          achieved_kw = COALESCE(c.achieved_kw, t.achieved_kw), detail = COALESCE(c.detail, t.detail), updated_at = ${now}
        FROM unnest(${pgArray(sql, 'text', col((c) => c.eventId))}, ${pgArray(sql, 'bigint', col((c) => c.siteId))}, ${pgArray(sql, 'text', col((c) => c.state))},
          ${pgArray(sql, 'bigint', col((c) => c.revision ?? null))}, ${pgArray(sql, 'text', col((c) => c.level ?? null))}, ${pgArray(sql, 'float8', col((c) => c.achievedKw ?? null))},
          ${pgArray(sql, 'text', col((c) => c.detail ?? null))}) AS c (event_id, site_id, state, revision, level, achieved_kw, detail)
        WHERE t.event_id = c.event_id AND t.site_id = c.site_id`;
    },
    async nextRevision() {
      return reserve(1);
    },
    async reserveRevisions(count, term) {
      // The leader's reservation is fenced: refused once another term has begun (server/cluster/control-revision.ts).
      if (term) return inTransaction(sql, (tx) => reserveControlRevisions(tx, term, count));
      return reserve(count);
    },
    async controlsOfSites(siteIds) {
      // The effective member read on its own, as on SQLite (the whole payload only of unpublished controls).
      const rows = await sql<Array<Omit<RawControl, 'payload'> & { payload: string | null; effective: string | null }>>`SELECT c.site_id, c.revision,
          CASE WHEN p.published_at IS NULL THEN c.payload END AS payload, p.published_at, (c.payload::json -> 'effective')::text AS effective
        FROM controls c LEFT JOIN control_publications p ON p.site_id = c.site_id AND p.revision = c.revision
        WHERE c.site_id = ANY(${pgArray(sql, 'bigint', siteIds)})`;
      return new Map(rows.map((r) => [r.site_id, {
        revision: r.revision, effective: r.effective === null ? undefined : (JSON.parse(r.effective) as unknown), payload: r.payload === null ? undefined : () => parsed(r.payload!), publishedAt: r.published_at,
      }]));
    },
    async unpublishedControls() {
      const rows = await sql<Array<{ site_id: number; site: string; revision: number }>>`SELECT c.site_id, s.site, c.revision FROM controls c JOIN sites s ON s.id = c.site_id
        WHERE NOT EXISTS (SELECT 1 FROM control_publications p WHERE p.site_id = c.site_id AND p.revision = c.revision)`;
      return rows.map((r) => ({ siteId: r.site_id, site: r.site, revision: r.revision }));
    },
    async control(siteId) {
      const [r] = await sql<RawControl[]>`${controlSelect()} WHERE c.site_id = ${siteId}`;
      return r && { revision: r.revision, payload: parsed(r.payload), publishedAt: r.published_at };
    },
    async controls() {
      return (await sql<RawControl[]>`${controlSelect()}`).map((r) => ({ siteId: r.site_id, revision: r.revision, payload: parsed(r.payload), publishedAt: r.published_at }));
    },
    async saveControl(siteId, revision, payload) {
      await saveControl(siteId, revision, JSON.stringify(payload));
    },
    async saveControlJson(siteId, revision, json) {
      await saveControl(siteId, revision, json);
    },
    async saveControlsJson(controls) {
      // One statement for the list (columns as arrays), each site once: ON CONFLICT may not change a row twice.
      const folded = newestPerSite(controls);
      if (folded.length === 0) return;
      const siteIds = pgArray(sql, 'bigint', folded.map((c) => c.siteId));
      const revisions = pgArray(sql, 'bigint', folded.map((c) => c.revision));
      await sql`INSERT INTO controls (site_id, revision, payload)
        SELECT * FROM unnest(${siteIds}, ${revisions}, ${pgArray(sql, 'text', folded.map((c) => c.json))})
        ON CONFLICT (site_id) DO UPDATE SET revision = excluded.revision, payload = excluded.payload
        WHERE controls.revision <= excluded.revision`;
      await sql`DELETE FROM control_publications p USING unnest(${siteIds}, ${revisions}) AS c (site_id, revision)
        WHERE p.site_id = c.site_id AND p.revision = c.revision`;
    },
    async markPublished(siteId, revision, now) {
      await markPublished([{ siteId, revision, at: now }]);
    },
    async markPublishedMany(marks) {
      const folded = newestPerSite(marks);
      if (folded.length > 0) await markPublished(folded);
    },
    async insertReport(r, now) {
      // A report replayed from the agent's outbox (same agent, session and seq) is stored once.
      const rows = await sql`INSERT INTO control_reports (site_id, agent_id, revision, status, reason, detail, achieved_kw, target_kw, ts, received_at, session, seq)
        VALUES (${r.siteId}, ${r.agentId}, ${r.revision}, ${r.status}, ${r.reason}, ${r.detail}, ${r.achievedKw}, ${r.targetKw}, ${r.ts}, ${now}, ${r.session ?? null}, ${r.seq ?? null})
        ON CONFLICT DO NOTHING RETURNING id`;
      return rows.length > 0;
    },
    async insertReports(reports, now) {
      if (reports.length === 0) return [];
      // One statement for the batch (columns as arrays); RETURNING names the sequenced reports that went in.
      const col = <T>(f: (r: (typeof reports)[number]) => T) => reports.map(f);
      const rows = await sql<Array<{ agent_id: number; session: number | null; seq: number | null }>>`
        INSERT INTO control_reports (site_id, agent_id, revision, status, reason, detail, achieved_kw, target_kw, ts, received_at, session, seq)
        SELECT r.site_id, r.agent_id, r.revision, r.status, r.reason, r.detail, r.achieved_kw, r.target_kw, r.ts, ${now}::bigint, r.session, r.seq
        FROM unnest(${pgArray(sql, 'bigint', col((r) => r.siteId))}, ${pgArray(sql, 'bigint', col((r) => r.agentId))}, ${pgArray(sql, 'bigint', col((r) => r.revision))},
          ${pgArray(sql, 'text', col((r) => r.status))}, ${pgArray(sql, 'text', col((r) => r.reason))}, ${pgArray(sql, 'text', col((r) => r.detail))},
          ${pgArray(sql, 'float8', col((r) => r.achievedKw))}, ${pgArray(sql, 'float8', col((r) => r.targetKw))}, ${pgArray(sql, 'bigint', col((r) => r.ts))},
          ${pgArray(sql, 'bigint', col((r) => r.session ?? null))}, ${pgArray(sql, 'bigint', col((r) => r.seq ?? null))})
          WITH ORDINALITY AS r (site_id, agent_id, revision, status, reason, detail, achieved_kw, target_kw, ts, session, seq, n)
        ORDER BY r.n
        ON CONFLICT DO NOTHING RETURNING agent_id, session, seq`;
      const inserted = new Set(rows.filter((r) => r.session !== null && r.seq !== null).map((r) => `${r.agent_id}:${r.session}:${r.seq}`));
      return reports.map((r) => (r.session === null || r.session === undefined || r.seq === null || r.seq === undefined ? true : inserted.delete(`${r.agentId}:${r.session}:${r.seq}`)));
    },
    async reportsNotApplied() {
      // As on SQLite: reports stored for a live target still `sent` (their collector died before it moved the target).
      const rows = await sql<Array<{ site_id: number; revision: number; status: string; reason: string | null; detail: string | null; achieved_kw: number | null }>>`
        SELECT r.site_id, r.revision, r.status, r.reason, r.detail, r.achieved_kw FROM event_targets t JOIN events e ON e.id = t.event_id
          JOIN control_reports r ON r.site_id = t.site_id AND r.revision = t.revision
          WHERE e.status IN ('scheduled', 'active') AND t.state = 'sent' AND r.status <> 'received' ORDER BY r.id`;
      return rows.map((r) => ({ siteId: r.site_id, report: storedReport(r) }));
    },
    async reports(siteId, limit = 50) {
      const rows = await sql<Array<{ revision: number; status: string; reason: string | null; detail: string | null; achieved_kw: number | null; target_kw: number | null; ts: number; received_at: number }>>`
        SELECT revision, status, reason, detail, achieved_kw, target_kw, ts, received_at FROM control_reports WHERE site_id = ${siteId} ORDER BY id DESC LIMIT ${limit}`;
      return rows.map((r) => ({ revision: r.revision, status: r.status, reason: r.reason, detail: r.detail, achievedKw: r.achieved_kw, targetKw: r.target_kw, ts: r.ts, receivedAt: r.received_at }));
    },
  };
}

import type { ControlReport } from '../../shared/protocol/index.js';
import type { Db } from './database.js';
import type { LeaderTerm } from '../cluster/leader-lease.js';
import { powerOfTwoChunks, statementPerRowCount } from './sqlite-multi-row.js';
import { foldTargetChanges, newestPerSite, type ControlToSave, type PublishedMark, type TargetChange } from './batched-changes.js';

export type { ControlToSave, PublishedMark, TargetChange } from './batched-changes.js';

export const EVENT_STATUSES = ['scheduled', 'active', 'completed', 'cancelled'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];
export const TARGET_STATES = ['pending', 'sent', 'accepted', 'holding', 'confirmed', 'failed', 'released'] as const;
export type TargetState = (typeof TARGET_STATES)[number];

export interface EventRow {
  id: string;
  kind: 'reduce_by_kw' | 'limit_to_kw' | 'sleep_count' | 'full';
  value: number | null;
  scope: { all?: boolean; regions?: string[]; sites?: string[] };
  startTs: number;
  endTs: number;
  priority: 'normal' | 'high' | 'emergency';
  level: 'sleep' | 'power_target' | 'auto';
  reason: string;
  status: EventStatus;
  requestedKw: number;
  createdBy: string;
  createdAt: number;
  endedAt: number | null;
  /** Set when a system, not a person, owns the event (an OpenADR VTN); such events are read-only in the API. */
  source?: EventSource | null;
}

/** Where an event came from: an OpenADR VTN's event interval (docs/openadr.md). */
export interface EventSource {
  kind: 'openadr';
  ven: string;
  programId: string;
  programName: string;
  vtnEventId: string;
  intervalId: number;
}

export interface TargetRow {
  eventId: string;
  siteId: number;
  site: string;
  state: TargetState;
  mode: 'max_kw' | 'sleep_count' | 'full';
  value: number | null;
  targetKw: number | null;
  baselineKw: number;
  /** Site hashrate when the event was planned (null for events planned before it was kept). */
  baselineThs: number | null;
  /** Machines hashing when the target was planned (sleep_count targets; null otherwise). */
  baselineHashing: number | null;
  shedKw: number;
  /** The level the site's agents were sent (`auto` resolved); null until a control went out. */
  level: 'sleep' | 'power_target' | null;
  revision: number | null;
  achievedKw: number | null;
  detail: string | null;
  updatedAt: number;
}

interface RawEvent { id: string; kind: EventRow['kind']; value: number | null; scope: string; start_ts: number; end_ts: number; priority: EventRow['priority']; level: EventRow['level']; reason: string; status: EventStatus; requested_kw: number; created_by: string; created_at: number; ended_at: number | null; source: string | null }
interface RawTarget { event_id: string; site_id: number; site: string; state: TargetState; mode: TargetRow['mode']; value: number | null; target_kw: number | null; baseline_kw: number; baseline_hashing: number | null; baseline_ths: number | null; level: TargetRow['level']; shed_kw: number; revision: number | null; achieved_kw: number | null; detail: string | null; updated_at: number }

const toEvent = (r: RawEvent): EventRow => ({
  id: r.id, kind: r.kind, value: r.value, scope: JSON.parse(r.scope) as EventRow['scope'], startTs: r.start_ts, endTs: r.end_ts, priority: r.priority, level: r.level,
  reason: r.reason, status: r.status, requestedKw: r.requested_kw, createdBy: r.created_by, createdAt: r.created_at, endedAt: r.ended_at,
  source: r.source === null ? null : (JSON.parse(r.source) as EventSource),
});
const toTarget = (r: RawTarget): TargetRow => ({
  eventId: r.event_id, siteId: r.site_id, site: r.site, state: r.state, mode: r.mode, value: r.value, targetKw: r.target_kw, baselineKw: r.baseline_kw, baselineHashing: r.baseline_hashing,
  baselineThs: r.baseline_ths, level: r.level, shedKw: r.shed_kw, revision: r.revision, achievedKw: r.achieved_kw, detail: r.detail, updatedAt: r.updated_at,
});

/** One agent report as stored (control_reports). */
export interface ReportInsert {
  siteId: number;
  agentId: number;
  revision: number;
  status: string;
  reason: string | null;
  detail: string | null;
  achievedKw: number | null;
  targetKw: number | null;
  ts: number;
  session?: number | null;
  seq?: number | null;
}

/** Most rows per multi-row report insert (powers of two: powerOfTwoChunks): 12 values each, well under SQLite's 32,766 parameters. */
const REPORT_CHUNK = 128;
/** Most rows per multi-row target insert or update: 10 and 7 values each. */
const TARGET_CHUNK = 128;
/** Most rows per multi-row control upsert: 3 values each (the payloads are ~1 kB). */
const CONTROL_CHUNK = 128;

/** Most rows per multi-row publish mark: 3 values each. */
const PUBLISHED_CHUNK = 256;

const TARGET_SELECT = 'SELECT t.*, s.site AS site FROM event_targets t JOIN sites s ON s.id = t.site_id';

/**
 * A target read as an array of its columns in this order (raw rows): the fan-out and every
 * batch of reports read a thousand targets, and a row object of 16 named columns cost about
 * as much to build as the query itself.
 */
const TARGET_COLUMNS = 't.event_id, t.site_id, s.site, t.state, t.mode, t.value, t.target_kw, t.baseline_kw, t.baseline_hashing, t.baseline_ths, t.level, t.shed_kw, t.revision, t.achieved_kw, t.detail, t.updated_at';
type RawTargetColumns = [string, number, string, TargetState, TargetRow['mode'], number | null, number | null, number, number | null, number | null, TargetRow['level'], number, number | null, number | null, string | null, number];
const fromColumns = (c: RawTargetColumns): TargetRow => ({
  eventId: c[0], siteId: c[1], site: c[2], state: c[3], mode: c[4], value: c[5], targetKw: c[6], baselineKw: c[7], baselineHashing: c[8],
  baselineThs: c[9], level: c[10], shedKw: c[11], revision: c[12], achievedKw: c[13], detail: c[14], updatedAt: c[15],
});

export type EventRepository = ReturnType<typeof createEventRepository>;

/** A stored report, in the shape the event service applies to targets (reportsNotApplied). */
export interface StoredReportOfTarget {
  siteId: number;
  report: Pick<ControlReport, 'revision' | 'status' | 'reason' | 'detail' | 'achievedKw'>;
}

/** A control_reports row (either store) as the event service reads a report. */
export function storedReport(r: { revision: number; status: string; reason: string | null; detail: string | null; achieved_kw: number | null }): StoredReportOfTarget['report'] {
  return { revision: r.revision, status: r.status as ControlReport['status'], reason: (r.reason ?? undefined) as ControlReport['reason'], detail: r.detail ?? undefined, achievedKw: r.achieved_kw };
}

/** A site's stored control as controlsOfSites returns it. */
export interface StoredControlOfSite {
  revision: number;
  /** The payload's `effective` member (undefined when it has none). */
  effective: unknown;
  /**
   * The whole payload, parsed when called; only for a control the broker has not
   * acknowledged (the one case the reconcile sends a stored control again). A
   * fan-out's thousand payloads (~1 kB each: every agent's signed control) stay in the store.
   */
  payload: (() => Record<string, unknown>) | undefined;
  publishedAt: number | null;
}

/** Curtailment events, their per-site targets, the effective controls and the agents' reports. */
export function createEventRepository(db: Db) {
  const insertEvent = db.prepare(`INSERT INTO events (id, kind, value, scope, start_ts, end_ts, priority, level, reason, status, requested_kw, created_by, created_at, source)
    VALUES (@id, @kind, @value, @scope, @startTs, @endTs, @priority, @level, @reason, @status, @requestedKw, @createdBy, @createdAt, @source)`);
  // An event's targets, one statement per chunk of rows (a national event has thousands).
  const insertTargets = statementPerRowCount(db, (rows) => `INSERT INTO event_targets (event_id, site_id, state, mode, value, target_kw, baseline_kw, baseline_hashing, baseline_ths, shed_kw, updated_at)
    VALUES ${Array.from({ length: rows }, () => "(?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?)").join(', ')}`);
  const getEvent = db.prepare<[string], RawEvent>('SELECT * FROM events WHERE id = ?');
  const listEvents = db.prepare<[number], RawEvent>('SELECT * FROM events ORDER BY created_at DESC LIMIT ?');
  const liveEvents = db.prepare<[], RawEvent>("SELECT * FROM events WHERE status IN ('scheduled', 'active') ORDER BY created_at");
  const setStatus = db.prepare<[EventStatus, number | null, string]>('UPDATE events SET status = ?, ended_at = ? WHERE id = ?');
  const sitesOfEventsEndedSince = db.prepare<[number], { site_id: number }>(`SELECT DISTINCT t.site_id FROM event_targets t JOIN events e ON e.id = t.event_id
    WHERE e.status IN ('completed', 'cancelled') AND e.ended_at >= ?`);
  const targetsOf = db.prepare<[string], RawTarget>(`${TARGET_SELECT} WHERE t.event_id = ? ORDER BY s.site`);
  const targetsOfSite = db.prepare<[number], RawTarget>(`${TARGET_SELECT} JOIN events e ON e.id = t.event_id WHERE t.site_id = ? AND e.status IN ('scheduled', 'active')`);
  // Many sites in one statement (a chunk of the fan-out, a batch of reports): ids as a JSON array.
  const targetsOfSites = db.prepare<[string], RawTargetColumns>(`SELECT ${TARGET_COLUMNS} FROM event_targets t JOIN sites s ON s.id = t.site_id JOIN events e ON e.id = t.event_id
    WHERE t.site_id IN (SELECT value FROM json_each(?)) AND e.status IN ('scheduled', 'active')`).raw(true);
  const unsentTargetSites = db.prepare<[], { site_id: number }>(`SELECT DISTINCT t.site_id FROM event_targets t JOIN events e ON e.id = t.event_id
    WHERE e.status IN ('scheduled', 'active') AND t.state = 'pending' AND t.revision IS NULL`);
  const updateTarget = db.prepare('UPDATE event_targets SET state = @state, revision = COALESCE(@revision, revision), level = COALESCE(@level, level), achieved_kw = COALESCE(@achievedKw, achieved_kw), detail = COALESCE(@detail, detail), updated_at = @now WHERE event_id = @eventId AND site_id = @siteId');
  // updateTargets: one statement per chunk of targets (each row found by its primary key), as updateTarget's per row.
  const targetChunk = statementPerRowCount(db, (rows) => `WITH c (event_id, site_id, state, revision, level, achieved_kw, detail) AS (VALUES ${Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?)').join(', ')})
    UPDATE event_targets SET state = c.state, revision = COALESCE(c.revision, event_targets.revision), level = COALESCE(c.level, event_targets.level),
      achieved_kw = COALESCE(c.achieved_kw, event_targets.achieved_kw), detail = COALESCE(c.detail, event_targets.detail), updated_at = ?
    FROM c WHERE event_targets.event_id = c.event_id AND event_targets.site_id = c.site_id`);
  const metaGet = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?');
  const metaSet = db.prepare<[string, string]>('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  // A control's publish time is its site's control_publications row when that row holds its revision.
  const withPublished = 'SELECT c.site_id, c.revision, c.payload, p.published_at FROM controls c LEFT JOIN control_publications p ON p.site_id = c.site_id AND p.revision = c.revision';
  const controlGet = db.prepare<[number], { revision: number; payload: string; published_at: number | null }>(`${withPublished} WHERE c.site_id = ?`);
  // The effective control comes out of the payload in SQLite (-> gives its JSON text): a reconcile
  // compares it for every site of a chunk, and the whole payload (each agent's signed control) is rarely needed.
  const controlsOfSites = db.prepare<[string], { site_id: number; revision: number; payload: string | null; published_at: number | null; effective: string | null }>(
    `SELECT c.site_id, c.revision, CASE WHEN p.published_at IS NULL THEN c.payload END AS payload, p.published_at, c.payload -> '$.effective' AS effective FROM controls c
      LEFT JOIN control_publications p ON p.site_id = c.site_id AND p.revision = c.revision WHERE c.site_id IN (SELECT value FROM json_each(?))`);
  const controlUnpublished = db.prepare<[], { site_id: number; site: string; revision: number }>(
    `SELECT c.site_id, s.site, c.revision FROM controls c JOIN sites s ON s.id = c.site_id
      WHERE NOT EXISTS (SELECT 1 FROM control_publications p WHERE p.site_id = c.site_id AND p.revision = c.revision)`);
  const controlAll = db.prepare<[], { site_id: number; revision: number; payload: string; published_at: number | null }>(withPublished);
  const controlSet = db.prepare<[number, number, string]>(`INSERT INTO controls (site_id, revision, payload) VALUES (?, ?, ?)
    ON CONFLICT (site_id) DO UPDATE SET revision = excluded.revision, payload = excluded.payload
    -- a writer holding an older revision (a deposed leader) never replaces a newer control
    WHERE excluded.revision >= controls.revision`);
  // saveControlsJson: one upsert per chunk of sites, with saveControl's fencing.
  const controlsChunk = statementPerRowCount(db, (rows) => `INSERT INTO controls (site_id, revision, payload) VALUES ${Array.from({ length: rows }, () => '(?, ?, ?)').join(', ')}
    ON CONFLICT (site_id) DO UPDATE SET revision = excluded.revision, payload = excluded.payload
    WHERE excluded.revision >= controls.revision`);
  // Saving a control makes that revision unpublished, also when it is the revision already
  // stored (a site whose agents left has its control emptied under the same revision).
  const unpublishChunk = statementPerRowCount(db, (rows) => `DELETE FROM control_publications WHERE (site_id, revision) IN (VALUES ${Array.from({ length: rows }, () => '(?, ?)').join(', ')})`);
  function saveControlJson(siteId: number, revision: number, json: string): void {
    controlSet.run(siteId, revision, json);
    unpublishChunk(1).run([siteId, revision]);
  }
  // An acknowledgement of an older revision than the one recorded (a retry's PUBACK after the
  // next revision's) leaves the newer one; one of a revision not current leaves the control unpublished.
  const publishedChunk = statementPerRowCount(db, (rows) => `INSERT INTO control_publications (site_id, revision, published_at)
    VALUES ${Array.from({ length: rows }, () => '(?, ?, ?)').join(', ')}
    ON CONFLICT (site_id) DO UPDATE SET revision = excluded.revision, published_at = excluded.published_at
    WHERE excluded.revision >= control_publications.revision`);
  // OR IGNORE: a report replayed from the agent's outbox (same agent, session and seq) is stored once.
  const reportInsert = db.prepare(`INSERT OR IGNORE INTO control_reports (site_id, agent_id, revision, status, reason, detail, achieved_kw, target_kw, ts, received_at, session, seq)
    VALUES (@siteId, @agentId, @revision, @status, @reason, @detail, @achievedKw, @targetKw, @ts, @now, @session, @seq)`);
  // insertReports: one statement per chunk of rows. RETURNING names the sequenced reports that
  // went in; an unsequenced one always does (the only uniqueness is agent, session and seq).
  const reportChunk = statementPerRowCount(db, (rows) => `INSERT OR IGNORE INTO control_reports (site_id, agent_id, revision, status, reason, detail, achieved_kw, target_kw, ts, received_at, session, seq)
    VALUES ${Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')} RETURNING agent_id, session, seq`);
  // Reports stored for a target still `sent`: their after-commit work was lost (see reportsNotApplied).
  const reportsBehind = db.prepare<[], { site_id: number; revision: number; status: string; reason: string | null; detail: string | null; achieved_kw: number | null }>(
    `SELECT r.site_id, r.revision, r.status, r.reason, r.detail, r.achieved_kw FROM event_targets t JOIN events e ON e.id = t.event_id
      JOIN control_reports r ON r.site_id = t.site_id AND r.revision = t.revision
      WHERE e.status IN ('scheduled', 'active') AND t.state = 'sent' AND r.status <> 'received' ORDER BY r.id`);
  const reportsOfSite = db.prepare<[number, number], { revision: number; status: string; reason: string | null; detail: string | null; achieved_kw: number | null; target_kw: number | null; ts: number; received_at: number }>(
    'SELECT * FROM control_reports WHERE site_id = ? ORDER BY id DESC LIMIT ?');

  return {
    insertEvent(e: EventRow, targets: Array<Omit<TargetRow, 'eventId' | 'site' | 'state' | 'revision' | 'achievedKw' | 'detail' | 'updatedAt' | 'baselineHashing' | 'level' | 'baselineThs'> & { baselineHashing?: number | null; baselineThs?: number | null }>, now: number): void {
      db.transaction(() => {
        insertEvent.run({ ...e, scope: JSON.stringify(e.scope), source: e.source ? JSON.stringify(e.source) : null });
        for (const chunk of powerOfTwoChunks(targets, TARGET_CHUNK)) {
          const values: Array<number | string | null> = [];
          for (const t of chunk) values.push(e.id, t.siteId, t.mode, t.value, t.targetKw, t.baselineKw, t.baselineHashing ?? null, t.baselineThs ?? null, t.shedKw, now);
          insertTargets(chunk.length).run(values);
        }
      })();
    },
    get(id: string): EventRow | undefined {
      const r = getEvent.get(id);
      return r && toEvent(r);
    },
    list(limit = 200): EventRow[] {
      return listEvents.all(limit).map(toEvent);
    },
    live(): EventRow[] {
      return liveEvents.all().map(toEvent);
    },
    setStatus(id: string, status: EventStatus, endedAt: number | null): void {
      setStatus.run(status, endedAt, id);
    },
    targets(eventId: string): TargetRow[] {
      return targetsOf.all(eventId).map(toTarget);
    },
    /** Targets of the live (scheduled or active) events on one site. */
    liveTargetsOfSite(siteId: number): TargetRow[] {
      return targetsOfSite.all(siteId).map(toTarget);
    },
    /** liveTargetsOfSite for many sites in one query; sites without live targets are absent. */
    liveTargetsOfSites(siteIds: readonly number[]): Map<number, TargetRow[]> {
      const out = new Map<number, TargetRow[]>();
      for (const r of targetsOfSites.all(JSON.stringify(siteIds))) {
        const t = fromColumns(r);
        const list = out.get(t.siteId);
        if (list) list.push(t);
        else out.set(t.siteId, [t]);
      }
      return out;
    },
    /** Sites with a target of a live event never turned into a control (pending, no revision). */
    unsentTargetSites(): number[] {
      return unsentTargetSites.all().map((r) => r.site_id);
    },
    /** Sites of events that ended (completed or cancelled) at or after `since`: their controls must be recomputed. */
    sitesOfEventsEndedSince(since: number): number[] {
      return sitesOfEventsEndedSince.all(since).map((r) => r.site_id);
    },
    updateTarget(eventId: string, siteId: number, change: Omit<TargetChange, 'eventId' | 'siteId'>, now: number): void {
      updateTarget.run({ eventId, siteId, state: change.state, revision: change.revision ?? null, level: change.level ?? null, achievedKw: change.achievedKw ?? null, detail: change.detail ?? null, now });
    },
    /**
     * updateTarget for many targets (a reconcile chunk, a batch of reports, an event's end):
     * one statement per chunk of rows instead of one per target; the same result as
     * applying the changes one by one, in order.
     */
    updateTargets(changes: readonly TargetChange[], now: number): void {
      const folded = foldTargetChanges(changes);
      for (const chunk of powerOfTwoChunks(folded, TARGET_CHUNK)) {
        const values: Array<number | string | null> = [];
        for (const c of chunk) values.push(c.eventId, c.siteId, c.state, c.revision ?? null, c.level ?? null, c.achievedKw ?? null, c.detail ?? null);
        values.push(now);
        targetChunk(chunk.length).run(values);
      }
    },
    /** The next control revision: global, persisted, never reused (agents refuse a revision they have seen). */
    nextRevision(): number {
      return db.transaction(() => {
        const current = Number(metaGet.get('control_revision')?.value ?? '0');
        const next = current + 1;
        metaSet.run('control_revision', String(next));
        return next;
      })();
    },
    /** Reserves `count` consecutive revisions in one write; returns the first. */
    /**
     * `count` consecutive revisions; returns the first. `term` fences the reservation where
     * several collectors share the store (PostgreSQL); one process owns a SQLite file, so here
     * there is nobody to fence out.
     */
    reserveRevisions(count: number, _term?: LeaderTerm): number {
      return db.transaction(() => {
        const first = Number(metaGet.get('control_revision')?.value ?? '0') + 1;
        metaSet.run('control_revision', String(first + count - 1));
        return first;
      })();
    },
    /**
     * control() for many sites in one query, with the payload's `effective` member read on its
     * own; the whole payload (every agent's signed control) only of unpublished controls, parsed if asked for.
     */
    controlsOfSites(siteIds: readonly number[]): Map<number, StoredControlOfSite> {
      return new Map(controlsOfSites.all(JSON.stringify(siteIds)).map((r) => {
        const text = r.payload;
        return [r.site_id, {
          revision: r.revision, effective: r.effective === null ? undefined : (JSON.parse(r.effective) as unknown), payload: text === null ? undefined : () => JSON.parse(text) as Record<string, unknown>, publishedAt: r.published_at,
        }];
      }));
    },
    /**
     * Controls the broker has not acknowledged yet, with their site's key (the event tick
     * retries them), without their payloads: most are usually in flight (a fan-out's
     * PUBACKs are recorded in batches), and the tick reads only those it sends again.
     */
    unpublishedControls(): Array<{ siteId: number; site: string; revision: number }> {
      return controlUnpublished.all().map((r) => ({ siteId: r.site_id, site: r.site, revision: r.revision }));
    },
    control(siteId: number): { revision: number; payload: Record<string, unknown>; publishedAt: number | null } | undefined {
      const r = controlGet.get(siteId);
      return r && { revision: r.revision, payload: JSON.parse(r.payload) as Record<string, unknown>, publishedAt: r.published_at };
    },
    controls(): Array<{ siteId: number; revision: number; payload: Record<string, unknown>; publishedAt: number | null }> {
      return controlAll.all().map((r) => ({ siteId: r.site_id, revision: r.revision, payload: JSON.parse(r.payload) as Record<string, unknown>, publishedAt: r.published_at }));
    },
    saveControl(siteId: number, revision: number, payload: Record<string, unknown>): void {
      saveControlJson(siteId, revision, JSON.stringify(payload));
    },
    /** saveControl with the payload already as JSON text (the fan-out writes it once for the broker and the store). */
    saveControlJson,
    /** saveControlJson for the sites of a reconcile chunk, one statement per chunk of rows; as saving them one by one, in order. */
    saveControlsJson(controls: readonly ControlToSave[]): void {
      const folded = newestPerSite(controls);
      for (const chunk of powerOfTwoChunks(folded, CONTROL_CHUNK)) {
        const values: Array<number | string> = [];
        for (const c of chunk) values.push(c.siteId, c.revision, c.json);
        controlsChunk(chunk.length).run(values);
        unpublishChunk(chunk.length).run(chunk.flatMap((c) => [c.siteId, c.revision]));
      }
    },
    markPublished(siteId: number, revision: number, now: number): void {
      publishedChunk(1).run([siteId, revision, now]);
    },
    /** markPublished for many acknowledgements (each with its own time), one statement per chunk; as marking them one by one would. */
    markPublishedMany(marks: readonly PublishedMark[]): void {
      const folded = newestPerSite(marks);
      for (const chunk of powerOfTwoChunks(folded, PUBLISHED_CHUNK)) {
        const values: number[] = [];
        for (const m of chunk) values.push(m.siteId, m.revision, m.at);
        publishedChunk(chunk.length).run(values);
      }
    },
    /** Returns false for a redelivered report already stored. */
    insertReport(r: ReportInsert, now: number): boolean {
      return reportInsert.run({ ...r, session: r.session ?? null, seq: r.seq ?? null, now }).changes > 0;
    },
    /**
     * insertReport for a batch (a curtailment event's thousands of reports), one statement per
     * chunk instead of one per report; per report, as insertReport: false for a redelivery
     * already stored, or one repeated earlier in the same list.
     */
    insertReports(reports: readonly ReportInsert[], now: number): boolean[] {
      const fresh: boolean[] = [];
      for (const chunk of powerOfTwoChunks(reports, REPORT_CHUNK)) {
        const values: Array<number | string | null> = [];
        for (const r of chunk) values.push(r.siteId, r.agentId, r.revision, r.status, r.reason, r.detail, r.achievedKw, r.targetKw, r.ts, now, r.session ?? null, r.seq ?? null);
        const inserted = new Set<string>();
        for (const row of reportChunk(chunk.length).all(values) as Array<{ agent_id: number; session: number | null; seq: number | null }>) {
          if (row.session !== null && row.seq !== null) inserted.add(`${row.agent_id}:${row.session}:${row.seq}`);
        }
        for (const r of chunk) {
          if (r.session === null || r.session === undefined || r.seq === null || r.seq === undefined) fresh.push(true);
          // delete: a second copy in the same list is the redelivery, not the first.
          else fresh.push(inserted.delete(`${r.agentId}:${r.session}:${r.seq}`));
        }
      }
      return fresh;
    },
    /**
     * Stored reports on the revision of a live target that is still `sent`: a collector
     * that stored them died before it moved the target (the move follows the batch's
     * commit, and the agent, acknowledged, never sends them again). Oldest first.
     */
    reportsNotApplied(): StoredReportOfTarget[] {
      return reportsBehind.all().map((r) => ({ siteId: r.site_id, report: storedReport(r) }));
    },
    reports(siteId: number, limit = 50) {
      return reportsOfSite.all(siteId, limit).map((r) => ({ revision: r.revision, status: r.status, reason: r.reason, detail: r.detail, achievedKw: r.achieved_kw, targetKw: r.target_kw, ts: r.ts, receivedAt: r.received_at }));
    },
  };
}

import { SAMPLE_WIDTH, type TelemetryRow, type WriteBatch } from '../telemetry-writer.js';
import type { TelemetrySink, TelemetryWriteResult } from '../store-port.js';
import { pgArray, pgArrayLiteral, pgTextArray } from './pg-arrays.js';
import type { Pg, PgTx } from './pg-connect.js';
import type { PartitionManager } from './pg-partitions.js';

const NOTHING_WRITTEN: TelemetryWriteResult = { fresh: new Uint8Array(0), gapsRecorded: new Uint8Array(0), ms: null };
/** Deadlock and serialization failures: two collectors updating the same agents in another order; the batch is simply retried. */
const RETRYABLE = new Set(['40P01', '40001']);
const ATTEMPTS = 3;
/** No partition for a row's day (another collector's retention dropped it since): made again, then retried. */
const NO_PARTITION = '23514';

/** Columns of the samples table in the order of a flattened sample (telemetry-writer.ts SAMPLE_WIDTH). */
const SAMPLE_COLUMNS = [
  ['ts', 'bigint'], ['meter_kw', 'float8'], ['meter_kwh', 'float8'], ['miner_kw', 'float8'], ['estimated_kw', 'float8'],
  ['hashing', 'int4'], ['idle', 'int4'], ['sleeping', 'int4'], ['offline', 'int4'], ['error', 'int4'], ['total', 'int4'],
  ['hashrate_ths', 'float8'], ['revision', 'bigint'],
] as const;

/**
 * The PostgreSQL telemetry write path: what the SQLite writer thread does per
 * batch (telemetry-writer.ts), as a few multi-row statements in one transaction.
 * telemetry_log decides which rows are new (a redelivery is skipped whole, as
 * in SQLite); samples and miner detail of the new rows go in with one INSERT
 * each; the agents' latest view and the acks are upserted per agent.
 */
export function createPgTelemetrySink(sql: Pg, partitions: PartitionManager): TelemetrySink {
  let inFlight: Promise<unknown> = Promise.resolve();
  let closed = false;

  async function writeOnce(batch: WriteBatch): Promise<{ fresh: Uint8Array; gapsRecorded: Uint8Array }> {
    const times: number[] = [];
    for (const r of batch.rows) {
      for (let o = 0; o < r.samples.length; o += SAMPLE_WIDTH) times.push(r.samples[o] as number);
      if (r.detailTs !== null && r.detailBody !== null) times.push(r.detailTs);
    }
    await partitions.ensureFor(times);
    return (await sql.begin((tx) => writeBatch(tx, batch))) as { fresh: Uint8Array; gapsRecorded: Uint8Array };
  }

  async function write(batch: WriteBatch): Promise<TelemetryWriteResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        const t0 = performance.now();
        const { fresh, gapsRecorded } = await writeOnce(batch);
        return { fresh, gapsRecorded, ms: performance.now() - t0 };
      } catch (err) {
        const code = (err as { code?: string }).code ?? '';
        if (attempt >= ATTEMPTS || !(RETRYABLE.has(code) || code === NO_PARTITION)) throw err;
        if (code === NO_PARTITION) partitions.forget();
      }
    }
  }

  return {
    write(batch: WriteBatch): Promise<TelemetryWriteResult> {
      if (closed) return Promise.reject(new Error('telemetry sink is closed'));
      if (batch.rows.length === 0 && batch.acks.length === 0 && batch.gaps.length === 0) return Promise.resolve(NOTHING_WRITTEN);
      const result = write(batch);
      inFlight = Promise.allSettled([inFlight, result]);
      return result;
    },
    async close(): Promise<void> {
      closed = true;
      await inFlight;
    },
  };
}

async function writeBatch(tx: PgTx, batch: WriteBatch): Promise<{ fresh: Uint8Array; gapsRecorded: Uint8Array }> {
  const fresh = await logRows(tx, batch);
  const rows = batch.rows.filter((_, i) => fresh[i] === 1);
  await insertSamples(tx, rows);
  await insertDetail(tx, rows);
  await updateLatest(tx, rows, batch.now);
  const agents = [...new Set(batch.rows.map((r) => r.agentId))].sort((a, b) => a - b);
  if (agents.length) await tx`UPDATE agents SET last_seen = ${batch.now} WHERE id = ANY(${pgArrayLiteral(agents)}::text::bigint[])`;
  // Gaps before acks: a gap's own ack must not hide it from the check in insertGaps.
  const gapsRecorded = await insertGaps(tx, batch.gaps, batch.now);
  await upsertAcks(tx, batch.acks);
  return { fresh, gapsRecorded };
}

/** Inserts the idempotency keys; a row is new when its key went in now (the first of equal keys in a batch). */
async function logRows(tx: PgTx, batch: WriteBatch): Promise<Uint8Array> {
  const fresh = new Uint8Array(batch.rows.length);
  if (batch.rows.length === 0) return fresh;
  const inserted = await tx<{ agent_id: number; session: number; seq: number }[]>`
    INSERT INTO telemetry_log (agent_id, session, seq, received_at)
    SELECT a, s, q, ${batch.now}::bigint FROM unnest(
      ${pgArrayLiteral(batch.rows.map((r) => r.agentId))}::text::bigint[],
      ${pgArrayLiteral(batch.rows.map((r) => r.session))}::text::bigint[],
      ${pgArrayLiteral(batch.rows.map((r) => r.seq))}::text::bigint[]) AS k(a, s, q)
    ON CONFLICT DO NOTHING
    RETURNING agent_id, session, seq`;
  const key = (agentId: number, session: number, seq: number) => `${agentId}:${session}:${seq}`;
  const newKeys = new Set(inserted.map((r) => key(r.agent_id, r.session, r.seq)));
  batch.rows.forEach((r, i) => {
    const k = key(r.agentId, r.session, r.seq);
    if (newKeys.delete(k)) fresh[i] = 1;
  });
  return fresh;
}

async function insertSamples(tx: PgTx, rows: TelemetryRow[]): Promise<void> {
  const site: number[] = [];
  const agent: number[] = [];
  const historical: boolean[] = [];
  const columns: Array<Array<number | null>> = SAMPLE_COLUMNS.map(() => []);
  for (const r of rows) {
    for (let o = 0; o < r.samples.length; o += SAMPLE_WIDTH) {
      site.push(r.siteId);
      agent.push(r.agentId);
      historical.push(r.historical);
      for (let k = 0; k < SAMPLE_WIDTH; k++) columns[k]!.push(r.samples[o + k] ?? null);
    }
  }
  if (site.length === 0) return;
  // Two samples of one agent with the same ts: the first stays (INSERT OR IGNORE in SQLite).
  await tx.unsafe(INSERT_SAMPLES, [
    pgArrayLiteral(site), pgArrayLiteral(agent), pgArrayLiteral(historical), ...columns.map(pgArrayLiteral),
  ], { prepare: true });
}

const INSERT_SAMPLES = `INSERT INTO samples (site_id, agent_id, historical, ${SAMPLE_COLUMNS.map(([c]) => c).join(', ')})
  SELECT * FROM unnest($1::text::bigint[], $2::text::bigint[], $3::text::bool[], ${SAMPLE_COLUMNS.map(([, type], k) => `$${k + 4}::text::${type}[]`).join(', ')})
  ON CONFLICT DO NOTHING`;

/** Detail parts of the new rows; the same part and time twice keeps the later message (as SQLite's upsert does). */
async function insertDetail(tx: PgTx, rows: TelemetryRow[]): Promise<void> {
  const byKey = new Map<string, TelemetryRow>();
  for (const r of rows) if (r.detailTs !== null && r.detailBody !== null) byKey.set(`${r.siteId}:${r.agentId}:${r.detailPart}:${r.detailTs}`, r);
  if (byKey.size === 0) return;
  const parts = [...byKey.values()];
  // Bodies are most of a batch's bytes: one joined text, not a text[] whose every quote the client escapes.
  const bodies = pgTextArray(tx, parts.map((r) => r.detailBody!));
  await tx`INSERT INTO miner_detail (site_id, agent_id, part, ts, body)
    SELECT * FROM unnest(${pgArrayLiteral(parts.map((r) => r.siteId))}::text::bigint[], ${pgArrayLiteral(parts.map((r) => r.agentId))}::text::bigint[],
      ${pgArrayLiteral(parts.map((r) => r.detailPart))}::text::int4[], ${pgArrayLiteral(parts.map((r) => r.detailTs))}::text::bigint[],
      ${bodies})
    ON CONFLICT (site_id, agent_id, part, ts) DO UPDATE SET body = excluded.body`;
  // Older detail (a replay) never moves the pointer back.
  const newest = new Map<string, TelemetryRow>();
  for (const r of parts) {
    const k = `${r.siteId}:${r.agentId}:${r.detailPart}`;
    const seen = newest.get(k);
    if (!seen || seen.detailTs! < r.detailTs!) newest.set(k, r);
  }
  const latest = [...newest.values()].sort((a, b) => a.agentId - b.agentId || a.detailPart - b.detailPart);
  await tx`INSERT INTO miner_detail_latest (site_id, agent_id, part, ts)
    SELECT * FROM unnest(${pgArrayLiteral(latest.map((r) => r.siteId))}::text::bigint[], ${pgArrayLiteral(latest.map((r) => r.agentId))}::text::bigint[],
      ${pgArrayLiteral(latest.map((r) => r.detailPart))}::text::int4[], ${pgArrayLiteral(latest.map((r) => r.detailTs))}::text::bigint[])
    ON CONFLICT (site_id, agent_id, part) DO UPDATE SET ts = excluded.ts WHERE excluded.ts > miner_detail_latest.ts`;
}

/** The agents' "current" view: per agent the newest sample of the batch, taken only when newer than the stored one. */
async function updateLatest(tx: PgTx, rows: TelemetryRow[], now: number): Promise<void> {
  const newest = new Map<number, { row: TelemetryRow; o: number }>();
  for (const r of rows) {
    if (r.latest < 0) continue;
    const o = r.latest * SAMPLE_WIDTH;
    const seen = newest.get(r.agentId);
    if (!seen || (seen.row.samples[seen.o] as number) < (r.samples[o] as number)) newest.set(r.agentId, { row: r, o });
  }
  if (newest.size === 0) return;
  const picked = [...newest.entries()].sort((a, b) => a[0] - b[0]);
  const col = (k: number) => picked.map(([, { row, o }]) => row.samples[o + k] ?? null);
  await tx`UPDATE agents SET sample_ts = n.ts, meter_kw = n.meter_kw, meter_kwh = n.meter_kwh, miner_kw = n.miner_kw, hashrate_ths = n.hashrate_ths,
      hashing = n.hashing, idle = n.idle, sleeping = n.sleeping, offline = n.offline, error = n.error, total = n.total, revision = n.revision, last_seen = ${now}
    FROM unnest(${pgArrayLiteral(picked.map(([id]) => id))}::text::bigint[], ${pgArrayLiteral(col(0))}::text::bigint[],
      ${pgArrayLiteral(col(1))}::text::float8[], ${pgArrayLiteral(col(2))}::text::float8[], ${pgArrayLiteral(col(3))}::text::float8[],
      ${pgArrayLiteral(col(11))}::text::float8[], ${pgArrayLiteral(col(5))}::text::int4[], ${pgArrayLiteral(col(6))}::text::int4[],
      ${pgArrayLiteral(col(7))}::text::int4[], ${pgArrayLiteral(col(8))}::text::int4[], ${pgArrayLiteral(col(9))}::text::int4[],
      ${pgArrayLiteral(col(10))}::text::int4[], ${pgArrayLiteral(col(12))}::text::bigint[])
      AS n(id, ts, meter_kw, meter_kwh, miner_kw, hashrate_ths, hashing, idle, sleeping, offline, error, total, revision)
    WHERE agents.id = n.id AND (agents.sample_ts IS NULL OR agents.sample_ts < n.ts)`;
}

/** agentId, session, seq triples; the highest seq per session wins (the same key twice in one statement is not allowed). */
async function upsertAcks(tx: PgTx, acks: number[]): Promise<void> {
  const highest = new Map<string, [number, number, number]>();
  for (let i = 0; i + 2 < acks.length; i += 3) {
    const k = `${acks[i]}:${acks[i + 1]}`;
    const seen = highest.get(k);
    if (!seen || seen[2] < acks[i + 2]!) highest.set(k, [acks[i]!, acks[i + 1]!, acks[i + 2]!]);
  }
  if (highest.size === 0) return;
  const list = [...highest.values()].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  await tx`INSERT INTO agent_sessions (agent_id, session, acked_seq)
    SELECT * FROM unnest(${pgArrayLiteral(list.map((a) => a[0]))}::text::bigint[], ${pgArrayLiteral(list.map((a) => a[1]))}::text::bigint[],
      ${pgArrayLiteral(list.map((a) => a[2]))}::text::bigint[])
    ON CONFLICT (agent_id, session) DO UPDATE SET acked_seq = GREATEST(agent_sessions.acked_seq, excluded.acked_seq)`;
}

/**
 * agentId, session, fromSeq, toSeq quadruples. Collectors of a share group can give
 * up the same gap at the same moment; each persists the gap's ack in the same
 * transaction, so a session whose stored ack already reaches the gap's start had
 * it recorded by another collector. PostgreSQL runs the two transactions side by
 * side (SQLite serializes them), so each takes a lock per session first: the
 * second then waits for the first's commit and sees its ack. Returns 1 per gap
 * recorded, 0 per gap another collector had.
 */
async function insertGaps(tx: PgTx, gaps: number[], now: number): Promise<Uint8Array> {
  const recorded = new Uint8Array(Math.floor(gaps.length / 4));
  if (recorded.length === 0) return recorded;
  const field = (k: number) => {
    const out: number[] = [];
    for (let i = 0; i + 3 < gaps.length; i += 4) out.push(gaps[i + k]!);
    return out;
  };
  const [agents, sessionsOf, froms, tos] = [field(0), field(1), field(2), field(3)];
  // Sorted, so two collectors take the locks in one order and cannot deadlock on them.
  const sessions = [...new Set(agents.map((a, i) => `hashwatt.gap:${a}:${sessionsOf[i]}`))].sort();
  await tx`SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest(${pgArray(tx, 'text', sessions)}::text[]) AS k ORDER BY k`;
  const inserted = await tx<{ agent_id: number; session: number; from_seq: number; to_seq: number }[]>`
    INSERT INTO telemetry_gaps (agent_id, session, from_seq, to_seq, detected_at)
    SELECT g.a, g.s, g.f, g.t, ${now}::bigint
    FROM unnest(${pgArrayLiteral(agents)}::text::bigint[], ${pgArrayLiteral(sessionsOf)}::text::bigint[], ${pgArrayLiteral(froms)}::text::bigint[],
      ${pgArrayLiteral(tos)}::text::bigint[]) AS g(a, s, f, t)
    WHERE NOT EXISTS (SELECT 1 FROM agent_sessions x WHERE x.agent_id = g.a AND x.session = g.s AND x.acked_seq >= g.f)
    RETURNING agent_id, session, from_seq, to_seq`;
  const key = (a: number, s: number, f: number, t: number) => `${a}:${s}:${f}:${t}`;
  const left = new Map<string, number>();
  for (const r of inserted) left.set(key(r.agent_id, r.session, r.from_seq, r.to_seq), (left.get(key(r.agent_id, r.session, r.from_seq, r.to_seq)) ?? 0) + 1);
  for (let i = 0; i < recorded.length; i++) {
    const k = key(agents[i]!, sessionsOf[i]!, froms[i]!, tos[i]!);
    const n = left.get(k) ?? 0;
    if (n > 0) {
      recorded[i] = 1;
      left.set(k, n - 1);
    }
  }
  return recorded;
}

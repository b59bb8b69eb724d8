import type { Pg, PgQueryable } from './pg-connect.js';
import { DAY_MS, schemaPartitioning, TIME_PARTITIONED_TABLES, type TimePartitionedTable, type TimePartitioning } from './pg-time-partitioning.js';

/** One day partition of a time-partitioned table: rows with from <= ts < to. */
export interface DayPartition {
  table: TimePartitionedTable;
  name: string;
  from: number;
  to: number;
  /** PostgreSQL's estimate of its rows (pg_class.reltuples; 0 before the first ANALYZE). */
  estimatedRows: number;
}

export const dayStartOf = (ts: number): number => Math.floor(ts / DAY_MS) * DAY_MS;

/** samples_d20261204: the table and the UTC day it holds. */
export function partitionName(table: TimePartitionedTable, dayStart: number): string {
  return `${table}_d${new Date(dayStart).toISOString().slice(0, 10).replaceAll('-', '')}`;
}

const BOUNDS = /FROM \('?(-?\d+)'?\) TO \('?(-?\d+)'?\)/;

/** The partitions of `table` with their bounds, read from the catalog (so hand-made ones count too), oldest first. */
export async function listDayPartitions(sql: PgQueryable, table: TimePartitionedTable): Promise<DayPartition[]> {
  const rows = await sql<{ name: string; bound: string; estimate: number }[]>`
    SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound, GREATEST(c.reltuples, 0)::bigint AS estimate
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = ${table}::regclass`;
  const out: DayPartition[] = [];
  for (const r of rows) {
    const m = BOUNDS.exec(r.bound);
    if (m) out.push({ table, name: r.name, from: Number(m[1]), to: Number(m[2]), estimatedRows: r.estimate });
  }
  return out.sort((a, b) => a.from - b.from);
}

const RACED = new Set(['42P07', '23505']); // relation exists / pg_type duplicate: another collector made it first

/**
 * Day partitions of the raw-sample and per-miner-detail tables: created ahead of
 * the rows that need them (and on demand for a row of a day not yet covered,
 * such as an agent's backfill of history), dropped whole once past retention,
 * which costs a catalog change instead of a DELETE over millions of rows and
 * never blocks ingest on row locks. With TimescaleDB the extension creates
 * chunks itself and retention calls drop_chunks.
 */
export function createPartitionManager(sql: Pg) {
  let partitioning: Promise<TimePartitioning> | undefined;
  const mode = () => (partitioning ??= schemaPartitioning(sql));
  /** Day starts known to have their partitions in every table. */
  const ready = new Set<number>();

  async function createDay(dayStart: number): Promise<void> {
    for (const table of TIME_PARTITIONED_TABLES) {
      const name = partitionName(table, dayStart);
      try {
        await sql.unsafe(`CREATE TABLE IF NOT EXISTS ${name} PARTITION OF ${table} FOR VALUES FROM (${dayStart}) TO (${dayStart + DAY_MS})`);
      } catch (err) {
        if (!RACED.has((err as { code?: string }).code ?? '')) throw err;
      }
    }
    ready.add(dayStart);
  }

  return {
    mode,
    /** Makes sure the days of these timestamps have their partitions (cheap when they are known). */
    async ensureFor(timestamps: Iterable<number>): Promise<void> {
      if ((await mode()) !== 'native') return;
      const missing = new Set<number>();
      for (const ts of timestamps) {
        const day = dayStartOf(ts);
        if (!ready.has(day)) missing.add(day);
      }
      for (const day of missing) await createDay(day);
    },
    /** Creates the partitions of today and the next `daysAhead` days (the scheduled job runs it well before midnight). */
    async createAhead(now: number, daysAhead = 2): Promise<void> {
      if ((await mode()) !== 'native') return;
      for (let d = 0; d <= daysAhead; d++) await createDay(dayStartOf(now) + d * DAY_MS);
    },
    /**
     * Drops the days that lie wholly before `cutoff` (so rows are kept the retention
     * period, rounded up to the day). Returns the partitions dropped (with
     * TimescaleDB, the chunks, their rows not estimated).
     */
    async dropBefore(cutoff: number): Promise<Array<{ table: TimePartitionedTable; name: string; estimatedRows: number }>> {
      const dropped: Array<{ table: TimePartitionedTable; name: string; estimatedRows: number }> = [];
      if ((await mode()) === 'timescaledb') {
        for (const table of TIME_PARTITIONED_TABLES) {
          const rows = await sql<{ chunk: string }[]>`SELECT drop_chunks(${table}::regclass, older_than => ${cutoff}::bigint)::text AS chunk`;
          dropped.push(...rows.map((r) => ({ table, name: r.chunk, estimatedRows: 0 })));
        }
        return dropped;
      }
      for (const table of TIME_PARTITIONED_TABLES) {
        for (const p of await listDayPartitions(sql, table)) {
          if (p.to > cutoff) continue;
          await sql.unsafe(`DROP TABLE IF EXISTS "${p.name.replaceAll('"', '""')}"`);
          ready.delete(p.from);
          dropped.push(p);
        }
      }
      return dropped;
    },
    /** Forgets what it knew (a partition another collector dropped is then made again when needed). */
    forget(): void {
      ready.clear();
    },
  };
}
export type PartitionManager = ReturnType<typeof createPartitionManager>;

import type { AgentRepository, AgentRow } from '../agent-repository.js';
import type { AsyncOf } from '../store-port.js';
import type { PgQueryable } from './pg-connect.js';
import { pgArray } from './pg-arrays.js';

interface RawAgent {
  id: number; site_id: number; site: string; agent: string; online: boolean; session: number | null; state_ts: number | null;
  birth: string | null; last_seen: number | null; sample_ts: number | null; meter_kw: number | null; meter_kwh: number | null;
  miner_kw: number | null; hashrate_ths: number | null; hashing: number | null; idle: number | null; sleeping: number | null;
  offline: number | null; error: number | null; total: number | null; revision: number | null;
}

const toRow = (r: RawAgent): AgentRow => ({
  id: r.id, siteId: r.site_id, site: r.site, agent: r.agent, online: r.online, session: r.session, stateTs: r.state_ts,
  birth: r.birth ? (JSON.parse(r.birth) as unknown) : null, lastSeen: r.last_seen, sampleTs: r.sample_ts,
  meterKw: r.meter_kw, meterKwh: r.meter_kwh, minerKw: r.miner_kw, hashrateThs: r.hashrate_ths,
  counts: r.total === null ? null : { hashing: r.hashing ?? 0, idle: r.idle ?? 0, sleeping: r.sleeping ?? 0, offline: r.offline ?? 0, error: r.error ?? 0, total: r.total },
  revision: r.revision,
});

type Latest = Parameters<AgentRepository['setLatest']>[1];

/** Agents, their presence, birth and latest "current" sample, on PostgreSQL (agent-repository.ts). */
export function createPgAgentRepository(sql: PgQueryable): AsyncOf<AgentRepository> {
  return {
    /** The id of an agent, creating the row on first contact (once, when collectors meet it together). */
    async ensure(siteId: number, agent: string): Promise<number> {
      const [found] = await sql<{ id: number }[]>`SELECT id FROM agents WHERE site_id = ${siteId} AND agent = ${agent}`;
      if (found) return found.id;
      const [row] = await sql<{ id: number }[]>`INSERT INTO agents (site_id, agent) VALUES (${siteId}, ${agent})
        ON CONFLICT (site_id, agent) DO UPDATE SET agent = excluded.agent RETURNING id`;
      return row!.id;
    },
    async list(): Promise<AgentRow[]> {
      return (await sql<RawAgent[]>`SELECT a.*, s.site AS site FROM agents a JOIN sites s ON s.id = a.site_id ORDER BY s.site COLLATE "C", a.agent COLLATE "C"`).map(toRow);
    },
    async listBySite(siteId: number): Promise<AgentRow[]> {
      return (await sql<RawAgent[]>`SELECT a.*, s.site AS site FROM agents a JOIN sites s ON s.id = a.site_id WHERE a.site_id = ${siteId} ORDER BY a.agent COLLATE "C"`).map(toRow);
    },
    async setState(id: number, online: boolean, session: number, ts: number, now: number): Promise<void> {
      await sql`UPDATE agents SET online = ${online}, session = ${session}, state_ts = ${ts}, last_seen = GREATEST(COALESCE(last_seen, 0), ${now}::bigint)
        WHERE id = ${id} AND (state_ts IS NULL OR state_ts <= ${ts})`;
    },
    async setBirth(id: number, birth: unknown, session: number, now: number): Promise<void> {
      await sql`UPDATE agents SET birth = ${JSON.stringify(birth)}, session = ${session}, last_seen = GREATEST(COALESCE(last_seen, 0), ${now}::bigint) WHERE id = ${id}`;
    },
    async touch(id: number, now: number): Promise<void> {
      await sql`UPDATE agents SET last_seen = ${now} WHERE id = ${id}`;
    },
    async touchMany(ids: readonly number[], now: number): Promise<void> {
      if (ids.length) await sql`UPDATE agents SET last_seen = ${now} WHERE id = ANY(${pgArray(sql, 'bigint', ids)})`;
    },
    async setLatest(id: number, s: Latest, now: number): Promise<void> {
      const c = s.counts;
      await sql`UPDATE agents SET sample_ts = ${s.ts}, meter_kw = ${s.meterKw}, meter_kwh = ${s.meterKwh}, miner_kw = ${s.minerKw}, hashrate_ths = ${s.hashrateThs},
        hashing = ${c.hashing}, idle = ${c.idle}, sleeping = ${c.sleeping}, offline = ${c.offline}, error = ${c.error}, total = ${c.total},
        revision = ${s.revision}, last_seen = ${now}
        WHERE id = ${id} AND (sample_ts IS NULL OR sample_ts < ${s.ts})`;
    },
  };
}

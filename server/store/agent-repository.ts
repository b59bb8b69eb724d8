import type { Db } from './database.js';

export interface AgentRow {
  id: number;
  siteId: number;
  site: string;
  agent: string;
  online: boolean;
  session: number | null;
  stateTs: number | null;
  birth: unknown;
  lastSeen: number | null;
  sampleTs: number | null;
  meterKw: number | null;
  meterKwh: number | null;
  minerKw: number | null;
  hashrateThs: number | null;
  counts: { hashing: number; idle: number; sleeping: number; offline: number; error: number; total: number } | null;
  revision: number | null;
}

interface RawAgent {
  id: number; site_id: number; site: string; agent: string; online: number; session: number | null; state_ts: number | null;
  birth: string | null; last_seen: number | null; sample_ts: number | null; meter_kw: number | null; meter_kwh: number | null;
  miner_kw: number | null; hashrate_ths: number | null; hashing: number | null; idle: number | null; sleeping: number | null;
  offline: number | null; error: number | null; total: number | null; revision: number | null;
}

function toRow(r: RawAgent): AgentRow {
  return {
    id: r.id, siteId: r.site_id, site: r.site, agent: r.agent, online: r.online === 1, session: r.session, stateTs: r.state_ts,
    birth: r.birth ? (JSON.parse(r.birth) as unknown) : null, lastSeen: r.last_seen, sampleTs: r.sample_ts,
    meterKw: r.meter_kw, meterKwh: r.meter_kwh, minerKw: r.miner_kw, hashrateThs: r.hashrate_ths,
    counts: r.total === null ? null : { hashing: r.hashing ?? 0, idle: r.idle ?? 0, sleeping: r.sleeping ?? 0, offline: r.offline ?? 0, error: r.error ?? 0, total: r.total },
    revision: r.revision,
  };
}

const SELECT = 'SELECT a.*, s.site AS site FROM agents a JOIN sites s ON s.id = a.site_id';

export type AgentRepository = ReturnType<typeof createAgentRepository>;

/** Agents, their presence, birth and latest "current" sample. */
export function createAgentRepository(db: Db) {
  const find = db.prepare<[number, string], { id: number }>('SELECT id FROM agents WHERE site_id = ? AND agent = ?');
  // Collectors of a share group can meet a new agent at the same moment: the second takes the first's row.
  const insert = db.prepare<[number, string]>('INSERT INTO agents (site_id, agent) VALUES (?, ?) ON CONFLICT (site_id, agent) DO NOTHING');
  const all = db.prepare<[], RawAgent>(`${SELECT} ORDER BY s.site, a.agent`);
  const bySite = db.prepare<[number], RawAgent>(`${SELECT} WHERE a.site_id = ? ORDER BY a.agent`);
  const setState = db.prepare('UPDATE agents SET online=@online, session=@session, state_ts=@ts, last_seen=MAX(COALESCE(last_seen,0), @now) WHERE id=@id AND (state_ts IS NULL OR state_ts <= @ts)');
  const setBirth = db.prepare('UPDATE agents SET birth=@birth, session=@session, last_seen=MAX(COALESCE(last_seen,0), @now) WHERE id=@id');
  const seen = db.prepare('UPDATE agents SET last_seen=@now WHERE id=@id');
  const seenMany = db.prepare<[number, string]>('UPDATE agents SET last_seen = ? WHERE id IN (SELECT value FROM json_each(?))');
  const latest = db.prepare(`UPDATE agents SET sample_ts=@ts, meter_kw=@meterKw, meter_kwh=@meterKwh, miner_kw=@minerKw, hashrate_ths=@hashrateThs,
    hashing=@hashing, idle=@idle, sleeping=@sleeping, offline=@offline, error=@error, total=@total, revision=@revision, last_seen=@now
    WHERE id=@id AND (sample_ts IS NULL OR sample_ts < @ts)`);
  return {
    /** The id of an agent, creating the row on first contact. */
    ensure(siteId: number, agent: string): number {
      const row = find.get(siteId, agent);
      if (row) return row.id;
      insert.run(siteId, agent);
      return find.get(siteId, agent)!.id;
    },
    list(): AgentRow[] {
      return all.all().map(toRow);
    },
    listBySite(siteId: number): AgentRow[] {
      return bySite.all(siteId).map(toRow);
    },
    setState(id: number, online: boolean, session: number, ts: number, now: number): void {
      setState.run({ id, online: online ? 1 : 0, session, ts, now });
    },
    setBirth(id: number, birth: unknown, session: number, now: number): void {
      setBirth.run({ id, birth: JSON.stringify(birth), session, now });
    },
    touch(id: number, now: number): void {
      seen.run({ id, now });
    },
    /** touch for every agent a batch heard from, in one statement. */
    touchMany(ids: readonly number[], now: number): void {
      if (ids.length) seenMany.run(now, JSON.stringify(ids));
    },
    setLatest(id: number, s: { ts: number; meterKw: number | null; meterKwh: number | null; minerKw: number; hashrateThs: number; counts: { hashing: number; idle: number; sleeping: number; offline: number; error: number; total: number }; revision: number | null }, now: number): void {
      latest.run({ id, ts: s.ts, meterKw: s.meterKw, meterKwh: s.meterKwh, minerKw: s.minerKw, hashrateThs: s.hashrateThs, ...s.counts, revision: s.revision, now });
    },
  };
}

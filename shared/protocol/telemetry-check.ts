import { ID_PATTERN } from './ids.js';
import { MINER_STATES } from './schemas/common.js';

/**
 * A hand-compiled check equivalent to TelemetrySchema, for the collector's hot
 * path (zod's per-miner object parsing was most of decode's cost). It answers
 * only "valid, and zod would return an equal copy" (no unknown keys anywhere,
 * which zod would strip); anything else (bad, unusual, or unknown fields)
 * falls back to the schema, which stays the contract and words every error.
 */
const MINER_STATE_SET: ReadonlySet<unknown> = new Set(MINER_STATES);
const POWER_SOURCES: ReadonlySet<unknown> = new Set(['reported', 'estimated', 'none']);

const isInt = (x: unknown, min: number): boolean => Number.isSafeInteger(x) && (x as number) >= min;
const isNum = (x: unknown, min: number): boolean => typeof x === 'number' && Number.isFinite(x) && x >= min;
const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

function counts(c: unknown): boolean {
  if (!isObj(c)) return false;
  let n = 0;
  for (const k in c) {
    if (k !== 'hashing' && k !== 'idle' && k !== 'sleeping' && k !== 'offline' && k !== 'error' && k !== 'total') return false;
    if (!isInt(c[k], 0)) return false;
    n++;
  }
  if (n !== 6) return false;
  return (c.hashing as number) + (c.idle as number) + (c.sleeping as number) + (c.offline as number) + (c.error as number) === c.total;
}

function sample(s: unknown): boolean {
  if (!isObj(s)) return false;
  for (const k in s) {
    switch (k) {
      case 'ts': case 'meterKw': case 'meterKwh': case 'minerKw': case 'estimatedKw': case 'counts': case 'hashrateThs': case 'revision': case 'curtailedMiners': break;
      default: return false;
    }
  }
  return isInt(s.ts, 0) && (s.meterKw === null || isNum(s.meterKw, 0)) && (s.meterKwh === null || isNum(s.meterKwh, 0)) && isNum(s.minerKw, 0)
    && (s.estimatedKw === undefined || isNum(s.estimatedKw, 0)) && counts(s.counts) && isNum(s.hashrateThs, 0)
    && (s.revision === null || isInt(s.revision, 1)) && (s.curtailedMiners === undefined || isInt(s.curtailedMiners, 0));
}

function miner(m: unknown): boolean {
  if (!isObj(m)) return false;
  for (const k in m) {
    switch (k) {
      case 'id': case 'model': case 'firmware': case 'state': case 'w': case 'powerSource': case 'ths': case 'jth': case 'tempC': case 'asleepByAgent': break;
      default: return false;
    }
  }
  const { id, model, firmware, tempC } = m;
  return typeof id === 'string' && id.length >= 1 && id.length <= 128 && typeof model === 'string' && model.length <= 64
    && typeof firmware === 'string' && firmware.length <= 64 && MINER_STATE_SET.has(m.state) && (m.w === null || isNum(m.w, 0))
    && (m.powerSource === undefined || POWER_SOURCES.has(m.powerSource)) && isNum(m.ths, 0) && (m.jth === null || isNum(m.jth, 0))
    && (tempC === null || (isNum(tempC, -50) && (tempC as number) <= 200)) && (m.asleepByAgent === undefined || typeof m.asleepByAgent === 'boolean');
}

/** True when `t` is a valid telemetry payload that TelemetrySchema would return unchanged. */
export function isPlainValidTelemetry(t: Record<string, unknown>): boolean {
  for (const k in t) {
    switch (k) {
      case 'v': case 'site': case 'agent': case 'session': case 'seq': case 'historical': case 'samples': case 'miners': case 'part': break;
      default: return false;
    }
  }
  if (t.v !== 1 || typeof t.site !== 'string' || !ID_PATTERN.test(t.site) || typeof t.agent !== 'string' || !ID_PATTERN.test(t.agent)) return false;
  if (!isInt(t.session, 0) || !isInt(t.seq, 1) || (t.historical !== undefined && typeof t.historical !== 'boolean')) return false;
  const { samples, miners, part } = t;
  if (!Array.isArray(samples) || samples.length > 1000) return false;
  for (let i = 0; i < samples.length; i++) if (!sample(samples[i])) return false;
  if (miners !== undefined) {
    if (!Array.isArray(miners) || miners.length > 2000) return false;
    for (let i = 0; i < miners.length; i++) if (!miner(miners[i])) return false;
  }
  if (part !== undefined) {
    if (!isObj(part)) return false;
    let n = 0;
    for (const k in part) {
      if (k !== 'index' && k !== 'count') return false;
      n++;
    }
    if (n !== 2 || !isInt(part.index, 0) || !isInt(part.count, 1)) return false;
  }
  return samples.length > 0 || (miners?.length ?? 0) > 0;
}

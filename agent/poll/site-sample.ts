import { encodedSize, MAX_PAYLOAD_BYTES, type MinerDetail, type Sample } from '../../shared/protocol/index.js';
import type { MinerReading } from '../drivers/miners/miner-driver.js';
import type { MeterReading } from '../drivers/meters/index.js';

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

/** The site sample of one poll (docs/protocol.md) from the miners' readings and the meter's. */
export function buildSample(
  readings: readonly MinerReading[],
  meter: MeterReading | undefined,
  extra: { ts: number; revision: number | null; curtailedMiners: number },
): Sample {
  const counts = { hashing: 0, idle: 0, sleeping: 0, offline: 0, error: 0, total: 0 };
  let w = 0;
  let estimatedW = 0;
  let ths = 0;
  for (const r of readings) {
    counts[r.state]++;
    counts.total++;
    if (r.powerW !== null) {
      w += r.powerW;
      if (r.powerSource === 'estimated') estimatedW += r.powerW;
    }
    ths += r.hashrateThs;
  }
  return {
    ts: extra.ts,
    meterKw: meter?.powerKw == null ? null : round(Math.max(0, meter.powerKw)),
    meterKwh: meter?.importKwh == null ? null : round(Math.max(0, meter.importKwh)),
    minerKw: round(w / 1000),
    ...(estimatedW > 0 ? { estimatedKw: round(estimatedW / 1000) } : {}),
    counts,
    hashrateThs: round(ths, 2),
    revision: extra.revision,
    curtailedMiners: extra.curtailedMiners,
  };
}

export function toMinerDetail(r: MinerReading, asleepByAgent: boolean): MinerDetail {
  return {
    id: r.id.slice(0, 128),
    model: r.model.slice(0, 64),
    firmware: r.firmware.slice(0, 64),
    state: r.state,
    w: r.powerW === null ? null : Math.max(0, Math.round(r.powerW)),
    powerSource: r.powerSource,
    ths: round(Math.max(0, r.hashrateThs), 2),
    jth: r.efficiencyJth === null || !Number.isFinite(r.efficiencyJth) ? null : round(Math.max(0, r.efficiencyJth), 2),
    tempC: r.maxTempC === null || r.maxTempC < -50 || r.maxTempC > 200 ? null : round(r.maxTempC, 1),
    ...(asleepByAgent ? { asleepByAgent } : {}),
  };
}

/** Room left for the miners array after the envelope (ids, session, part…). */
const ENVELOPE_BYTES = 1024;

/** Splits per-miner detail into chunks whose JSON stays under the 64 KiB payload limit (and the schema's 2000). */
export function splitDetail(details: readonly MinerDetail[], maxBytes = MAX_PAYLOAD_BYTES - ENVELOPE_BYTES, maxItems = 2000): MinerDetail[][] {
  const chunks: MinerDetail[][] = [];
  let current: MinerDetail[] = [];
  let size = 2;
  for (const d of details) {
    const s = encodedSize(d) + 1;
    if (current.length > 0 && (size + s > maxBytes || current.length >= maxItems)) {
      chunks.push(current);
      current = [];
      size = 2;
    }
    current.push(d);
    size += s;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

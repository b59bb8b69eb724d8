import type { MinerDetail } from '../../../shared/protocol/index.js';
import type { TelemetrySink } from '../store-port.js';
import { SAMPLE_WIDTH, type TelemetryRow, type WriteBatch } from '../telemetry-writer.js';

/** Telemetry rows as ingest flattens them (telemetry-writer.ts), for the contract cases. */

export interface SampleValues {
  meterKw?: number | null; meterKwh?: number | null; minerKw?: number; estimatedKw?: number | null;
  hashing?: number; idle?: number; sleeping?: number; offline?: number; error?: number; total?: number;
  hashrateThs?: number; revision?: number | null;
}

/** One sample's SAMPLE_WIDTH values in the writer's order. */
export function sample(ts: number, v: SampleValues = {}): Array<number | null> {
  const out = [ts, v.meterKw ?? null, v.meterKwh ?? null, v.minerKw ?? 100, v.estimatedKw ?? null, v.hashing ?? 10, v.idle ?? 0, v.sleeping ?? 0,
    v.offline ?? 0, v.error ?? 0, v.total ?? 10, v.hashrateThs ?? 1000, v.revision ?? null];
  if (out.length !== SAMPLE_WIDTH) throw new Error('sample width changed: update the contract helper');
  return out;
}

export interface RowKey {
  siteId: number;
  agentId: number;
  session?: number;
  seq: number;
}

/** A telemetry message with samples; the newest is the agent's current view unless historical. */
export function samplesRow(k: RowKey, samples: Array<Array<number | null>>, historical = false): TelemetryRow {
  return {
    siteId: k.siteId, agentId: k.agentId, session: k.session ?? 1, seq: k.seq, historical, samples: samples.flat(),
    latest: historical || samples.length === 0 ? -1 : samples.length - 1, detailTs: null, detailPart: 0, detailBody: null,
  };
}

export const miner = (id: string, jth: number | null, extra: Partial<MinerDetail> = {}): MinerDetail =>
  ({ id, model: 'S19j Pro', firmware: 'stock', state: 'hashing', w: 3050, ths: 104, jth, tempC: 70, ...extra });

/** A detail message as ingest hands it over: its text is stored as is. */
export function detailRow(k: RowKey, ts: number, miners: MinerDetail[], part = 0): TelemetryRow {
  const body = JSON.stringify({ v: 1, site: 's', agent: 'a', session: k.session ?? 1, seq: k.seq, samples: [], miners, ...(part ? { part: { index: part, count: part + 1 } } : {}) });
  return { siteId: k.siteId, agentId: k.agentId, session: k.session ?? 1, seq: k.seq, historical: false, samples: [], latest: -1, detailTs: ts, detailPart: part, detailBody: body };
}

export const batch = (now: number, rows: TelemetryRow[], extra: Partial<Pick<WriteBatch, 'acks' | 'gaps'>> = {}): WriteBatch => ({ now, rows, acks: extra.acks ?? [], gaps: extra.gaps ?? [] });

/** Runs `fn` with a sink of `store`, closed after (its writes done). */
export async function withSink<T>(store: { openTelemetrySink(): TelemetrySink }, fn: (sink: TelemetrySink) => Promise<T>): Promise<T> {
  const sink = store.openTelemetrySink();
  try {
    return await fn(sink);
  } finally {
    await sink.close();
  }
}

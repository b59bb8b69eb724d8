import type { StorePort } from '../store-port.js';
import type { TelemetryRow, WriteBatch } from '../telemetry-writer.js';

/** One stored sample: the kW an agent measured (meter) or summed from its miners at a time. */
export interface SeedSample { siteId: number; agentId: number; ts: number; meterKw: number | null; minerKw: number }

/**
 * Writes samples (one message per sample) and telemetry gaps through the store's own
 * telemetry sink, the path ingest takes, so reads are checked against what ingest stores.
 */
export async function writeTelemetry(store: StorePort, now: number, samples: SeedSample[], gaps: Array<{ agentId: number; session: number; fromSeq: number; toSeq: number }> = []): Promise<void> {
  const rows: TelemetryRow[] = samples.map((s, i) => ({
    siteId: s.siteId, agentId: s.agentId, session: 1, seq: i + 1, historical: false,
    samples: [s.ts, s.meterKw, null, s.minerKw, null, 10, 0, 0, 0, 0, 10, 1000, null],
    latest: -1, detailTs: null, detailPart: 0, detailBody: null,
  }));
  const batch: WriteBatch = { now, rows, acks: [], gaps: gaps.flatMap((g) => [g.agentId, g.session, g.fromSeq, g.toSeq]) };
  const sink = store.openTelemetrySink();
  try {
    await sink.write(batch);
  } finally {
    await sink.close();
  }
}

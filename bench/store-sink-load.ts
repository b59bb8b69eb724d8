import type { MinerDetail } from '../shared/protocol/index.js';
import { SAMPLE_WIDTH, type TelemetryRow, type WriteBatch } from '../server/store/telemetry-writer.js';

/**
 * The reference load of docs/operations.md#sizing as the WriteBatch batches
 * ingest hands its sink: per site a sample every 10 s and, every 7th message
 * (6 sample messages and 1 detail message a minute), the per-miner detail,
 * stored as the message text (as ingest stores it). Rounds go over every site
 * in turn; the detail messages are spread evenly over each round, so any stretch
 * of the stream has the reference mix of 1 detail message in 7.
 */

export interface AgentRef {
  siteId: number;
  agentId: number;
  /** The site's key, as in its messages. */
  site: string;
}

/** Detail messages per message of the reference load: 1 of 7 (10 s samples, 60 s detail). */
export const DETAIL_SHARE = 1 / 7;
/** Messages per second per site at the reference load: a sample every 10 s plus a detail message every 60 s. */
export const MESSAGES_PER_SITE_PER_S = 1 / 10 + 1 / 60;

function miners(n: number): MinerDetail[] {
  // The same miners as bench/ingest-bench-publisher.ts, so the stored text has the same size.
  return Array.from({ length: n }, (_, j) => ({ id: `m${j}`, model: 'S19j Pro', firmware: 'stock', state: 'hashing', w: 3050.5 + j, powerSource: 'reported', ths: 104.2, jth: 29.3, tempC: 71.5 }));
}

export interface LoadGenerator {
  /** The next `size` messages as one batch, with each agent's highest seq acked (ingest persists acks with the batch). */
  next(size: number): { batch: WriteBatch; detailMessages: number; minerRows: number };
  /** One message per agent, each with its detail: every agent then has a latest detail, as in steady operation. */
  firstRound(): WriteBatch[];
}

export function createLoadGenerator(agents: readonly AgentRef[], minersPerSite: number, t0: number): LoadGenerator {
  const minersJson = JSON.stringify(miners(minersPerSite));
  const seqs = new Uint32Array(agents.length);
  let cursor = 0;

  function message(i: number, withDetail: boolean): TelemetryRow {
    const a = agents[i]!;
    const seq = ++seqs[i]!;
    // Simulated time: the seq-th sample of this site, 10 s apart (the stream runs faster than real time).
    const ts = t0 + seq * 10_000;
    const kw = 300 + (i % 50);
    const sample: Array<number | null> = [ts, kw, 1000 + seq, kw - 10, null, minersPerSite, 0, 0, 0, 0, minersPerSite, minersPerSite * 104.2, null];
    if (sample.length !== SAMPLE_WIDTH) throw new Error('sample width changed: update bench/store-sink-load.ts');
    const detailBody = withDetail
      ? `{"v":1,"site":${JSON.stringify(a.site)},"agent":"a1","session":1,"seq":${seq},"samples":[{"ts":${ts},"meterKw":${kw},"meterKwh":${1000 + seq},"minerKw":${kw - 10},"counts":{"hashing":${minersPerSite},"idle":0,"sleeping":0,"offline":0,"error":0,"total":${minersPerSite}},"hashrateThs":${minersPerSite * 104.2},"revision":null}],"miners":${minersJson}}`
      : null;
    return { siteId: a.siteId, agentId: a.agentId, session: 1, seq, historical: false, samples: sample, latest: 0, detailTs: withDetail ? ts : null, detailPart: 0, detailBody };
  }

  function batchOf(rows: TelemetryRow[]): WriteBatch {
    const highest = new Map<number, number>();
    for (const r of rows) highest.set(r.agentId, Math.max(highest.get(r.agentId) ?? 0, r.seq));
    const acks: number[] = [];
    for (const [agentId, seq] of highest) acks.push(agentId, 1, seq);
    return { now: Date.now(), rows, acks, gaps: [] };
  }

  return {
    next(size) {
      const rows: TelemetryRow[] = [];
      let detailMessages = 0;
      for (let k = 0; k < size; k++, cursor++) {
        const i = cursor % agents.length;
        const round = Math.floor(cursor / agents.length);
        const withDetail = (round + i) % 7 === 0;
        if (withDetail) detailMessages++;
        rows.push(message(i, withDetail));
      }
      return { batch: batchOf(rows), detailMessages, minerRows: detailMessages * minersPerSite };
    },
    firstRound() {
      const out: WriteBatch[] = [];
      for (let start = 0; start < agents.length; start += 500) {
        const rows: TelemetryRow[] = [];
        for (let i = start; i < Math.min(agents.length, start + 500); i++) rows.push(message(i, true));
        out.push(batchOf(rows));
      }
      return out;
    },
  };
}

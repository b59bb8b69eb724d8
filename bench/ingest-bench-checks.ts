import type { StoreReader } from '../server/testing/test-store.js';

/**
 * What the ingest bench verifies after the nominal phase, on every store and
 * collector count: each published message is in the store exactly once, every
 * seq was acked, no gap was recorded. The publisher sends seqs 1..n of one
 * session per site, so the store is right when, per agent, the idempotency log
 * holds n rows and its highest seq is n (its primary key makes a second row of
 * a seq impossible), and the samples table holds one row per message.
 */
export interface StoredCheck {
  published: number;
  /** Rows of telemetry_log for the session (one per stored message). */
  logged: number;
  /** Agents whose logged seqs are not exactly 1..max (a hole or a seq stored twice). */
  agentsWithHoles: number;
  samples: number;
  acked: number;
  gaps: number;
  /** Redeliveries the collectors saw and ignored (allowed: stored once is what counts). */
  duplicatesIgnored: number;
  /** Miner rows the collectors counted vs the publisher's. */
  minerRows: number;
  publishedMinerRows: number;
}

/** Rows of the samples table (before a phase, for checkStored's samplesBefore). */
export async function countSamples(reader: StoreReader): Promise<number> {
  return Number((await reader.all<{ n: number }>('SELECT COUNT(*) AS n FROM samples'))[0]!.n);
}

/** `samplesBefore`: rows already there from an earlier phase (the warm-up's round). */
export async function checkStored(reader: StoreReader, input: { session: number; published: number; acked: number; publishedMinerRows: number; minerRows: number; duplicatesIgnored: number; samplesBefore?: number }): Promise<StoredCheck> {
  const [log] = await reader.all<{ logged: number | null; holes: number | null }>(
    `SELECT SUM(n) AS logged, SUM(CASE WHEN n = mx THEN 0 ELSE 1 END) AS holes
       FROM (SELECT agent_id, COUNT(*) AS n, MAX(seq) AS mx FROM telemetry_log WHERE session = ? GROUP BY agent_id) per_agent`, input.session);
  const [gaps] = await reader.all<{ n: number }>('SELECT COUNT(*) AS n FROM telemetry_gaps');
  return {
    published: input.published, acked: input.acked, publishedMinerRows: input.publishedMinerRows, minerRows: input.minerRows, duplicatesIgnored: input.duplicatesIgnored,
    logged: Number(log?.logged ?? 0), agentsWithHoles: Number(log?.holes ?? 0), samples: (await countSamples(reader)) - (input.samplesBefore ?? 0), gaps: Number(gaps!.n),
  };
}

export const storedOnce = (c: StoredCheck): boolean => c.logged === c.published && c.agentsWithHoles === 0 && c.samples === c.published && c.minerRows === c.publishedMinerRows;
export const allAcked = (c: StoredCheck): boolean => c.acked === c.published;

export function describeCheck(c: StoredCheck): string[] {
  const mark = (ok: boolean) => (ok ? 'ok' : 'FAILED');
  return [
    `stored once: ${mark(storedOnce(c))} — published ${c.published} messages; telemetry_log holds ${c.logged} of their session (seqs 1..n without a hole for ${c.agentsWithHoles === 0 ? 'every agent' : `all but ${c.agentsWithHoles} agents`}), samples table grew by ${c.samples}; miner rows counted ${c.minerRows} of ${c.publishedMinerRows} published; redeliveries seen and ignored: ${c.duplicatesIgnored}`,
    `acked: ${mark(allAcked(c))} — ${c.acked}/${c.published} seqs acked back to the publisher`,
    `gaps: ${mark(c.gaps === 0)} — ${c.gaps} recorded (every seq is published once, so any gap is an ingest error)`,
  ];
}

/** Sum of every series of one counter in Prometheus text (all label sets). */
export function sumCounter(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

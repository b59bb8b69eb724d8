/**
 * Bounds on what an agent may claim (pure). A sample stamped in the year 2500
 * would pin a site's live view forever (only newer samples replace the current
 * one); a seq of 2^53-1 would open a gap of 9·10^15 numbers; a gateway claiming
 * a million miners or 3.5 GW is a bug or an attack, not a farm. Each is refused
 * with its own reason and counted; the rest of the message still counts.
 * Documented in docs/protocol.md#plausibility.
 */
import type { Sample } from '../../shared/protocol/index.js';

export interface PlausibilityBounds {
  /** A sample may be this far ahead of the collector's clock (agent clocks drift; NTP may not have synced yet). */
  maxFutureS: number;
  /** A sample may be this old: about what an agent's outbox can hold through an outage. */
  maxAgeDays: number;
  /** How far a seq may run ahead of the highest seq the collector knows for the session. */
  maxSeqJump: number;
  maxMinersPerAgent: number;
  maxKwPerAgent: number;
}

export const DEFAULT_BOUNDS: PlausibilityBounds = { maxFutureS: 300, maxAgeDays: 30, maxSeqJump: 1_000_000, maxMinersPerAgent: 100_000, maxKwPerAgent: 500_000 };

/** No agent gets here honestly (2^40 messages is 3,500 years at 10 per second); beyond it a seq is refused outright. */
export const MAX_SEQ = 2 ** 40;

export type ImplausibleReason = 'implausible_time' | 'implausible_value' | 'seq_jump';

export interface Implausible {
  reason: ImplausibleReason;
  message: string;
}

export function sampleProblem(sample: Sample, index: number, now: number, b: PlausibilityBounds): Implausible | null {
  const at = `samples.${index}`;
  if (sample.ts > now + b.maxFutureS * 1000) {
    return { reason: 'implausible_time', message: `${at}.ts ${new Date(sample.ts).toISOString()} is ${Math.round((sample.ts - now) / 1000)} s ahead of the collector's clock (at most ${b.maxFutureS} s): check the agent's clock` };
  }
  if (sample.ts < now - b.maxAgeDays * 86_400_000) {
    return { reason: 'implausible_time', message: `${at}.ts ${new Date(sample.ts).toISOString()} is older than ${b.maxAgeDays} days` };
  }
  if (sample.counts.total > b.maxMinersPerAgent) {
    return { reason: 'implausible_value', message: `${at}.counts.total ${sample.counts.total} is over ${b.maxMinersPerAgent} miners for one agent (ingest.bounds.maxMinersPerAgent)` };
  }
  const kw = Math.max(sample.meterKw ?? 0, sample.minerKw, sample.estimatedKw ?? 0);
  if (kw > b.maxKwPerAgent) {
    return { reason: 'implausible_value', message: `${at} claims ${kw} kW, over ${b.maxKwPerAgent} kW for one agent (ingest.bounds.maxKwPerAgent)` };
  }
  return null;
}

/** Whether a seq is believable given the highest seq known for its session (0: none known). */
export function seqProblem(seq: number, highestKnown: number, b: PlausibilityBounds): Implausible | null {
  if (seq > MAX_SEQ) return { reason: 'seq_jump', message: `seq ${seq} is over ${MAX_SEQ}` };
  if (highestKnown > 0 && seq - highestKnown > b.maxSeqJump) {
    return { reason: 'seq_jump', message: `seq ${seq} jumps ${seq - highestKnown} past ${highestKnown}, the highest seen in this session (at most ${b.maxSeqJump})` };
  }
  return null;
}

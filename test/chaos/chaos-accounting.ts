/**
 * What the chaos run concludes (pure, so it is unit-tested on its own): which
 * (agent, session, seq) were lost, and when a site drew more than a limit its
 * agent had accepted.
 */
import { stepAt } from '../../agent/curtail/control-steps.js';
import type { Control } from '../../shared/protocol/index.js';
import type { DrawPoint } from './chaos-site.js';

export interface SessionRecord {
  site: string;
  agent: string;
  session: number;
  /** Seqs the collector stored (telemetry and control reports). */
  stored: ReadonlySet<number>;
  /** Seqs still in the agent's outbox (not yet acked: delayed, not lost). */
  pending: ReadonlySet<number>;
}

export interface SeqAccount {
  /** Every seq an agent made: 1..highest of each session. */
  made: number;
  stored: number;
  pending: number;
  lost: Array<{ site: string; agent: string; session: number; seq: number }>;
}

/**
 * An agent numbers each session's messages 1, 2, 3… and writes each to its
 * outbox before sending it; a row leaves the outbox only when a collector ack
 * (sent after commit) covers it. So every seq up to the highest known is either
 * stored or still pending, or it was lost.
 */
export function accountSeqs(sessions: readonly SessionRecord[]): SeqAccount {
  const out: SeqAccount = { made: 0, stored: 0, pending: 0, lost: [] };
  for (const s of sessions) {
    const highest = Math.max(0, ...s.stored, ...s.pending);
    out.made += highest;
    for (let seq = 1; seq <= highest; seq++) {
      if (s.stored.has(seq)) out.stored++;
      else if (s.pending.has(seq)) out.pending++;
      else out.lost.push({ site: s.site, agent: s.agent, session: s.session, seq });
    }
  }
  return out;
}

export interface AcceptedControl {
  acceptedAt: number;
  control: Control;
}

export interface LimitViolation {
  site: string;
  from: number;
  until: number;
  peakKw: number;
  capKw: number;
  revision: number;
}

export interface LimitCheckOptions {
  /** How long after a limit starts (accepted, its step begins, or the agent restarts) the site may still ramp down. */
  rampAllowanceMs: number;
  /** Over the cap by more than this share counts (the agent's own tolerance plus the meter's noise). */
  tolerance: number;
}

/**
 * Checks the emulator's draw against the limit the agent had accepted at each
 * moment: the newest control it accepted (revisions only grow), at the step in
 * force then. Only kW caps are checked; a sleep count has no kW to hold.
 */
export function limitViolations(site: string, draw: readonly DrawPoint[], accepted: readonly AcceptedControl[], agentStarts: readonly number[], o: LimitCheckOptions): LimitViolation[] {
  const byTime = [...accepted].sort((a, b) => a.acceptedAt - b.acceptedAt);
  const out: LimitViolation[] = [];
  let open: LimitViolation | undefined;
  for (const p of draw) {
    let current: AcceptedControl | undefined;
    for (const a of byTime) if (a.acceptedAt <= p.ts) current = a;
    const at = current ? stepAt(current.control, p.ts) : undefined;
    let over: { capKw: number; revision: number } | undefined;
    if (current && at?.kind === 'ask' && at.ask.mode === 'max_kw' && at.ask.value !== null) {
      const restarted = Math.max(0, ...agentStarts.filter((s) => s <= p.ts));
      const settleFrom = Math.max(current.acceptedAt, at.ask.from, restarted);
      if (p.ts - settleFrom >= o.rampAllowanceMs && p.kw > at.ask.value * (1 + o.tolerance)) over = { capKw: at.ask.value, revision: current.control.revision };
    }
    if (over && open && open.revision === over.revision && open.capKw === over.capKw) {
      open.until = p.ts;
      open.peakKw = Math.max(open.peakKw, p.kw);
    } else if (over) {
      open = { site, from: p.ts, until: p.ts, peakKw: p.kw, ...over };
      out.push(open);
    } else open = undefined;
  }
  return out;
}

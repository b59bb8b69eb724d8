import type { AlertsConfig } from '../config/collector-config.js';

/**
 * Alert rules (docs/operations.md#what-to-monitor), pure: from a snapshot of the collector's state to
 * the conditions that hold now (candidates), and from candidates to which
 * alerts to open and close (AlertEvaluator). No clock, no database: the
 * same inputs always give the same answer.
 */
export const ALERT_KINDS = ['agent_offline', 'over_allocation', 'control_unconfirmed', 'telemetry_gap', 'meter_divergence', 'hard_cap_exceeded', 'webhook_failing'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];
/** Kinds the rules below decide; webhook_failing is opened and closed by the notifier (server/notify). */
export type RuleAlertKind = Exclude<AlertKind, 'webhook_failing'>;

export interface AlertCandidate {
  kind: AlertKind;
  siteId: number;
  agentId: number | null;
  details: Record<string, unknown>;
  /** When the condition began, if the inputs know (a control's send time); else first seen. */
  since?: number;
  /** How long the condition must hold before the alert opens. */
  holdMs?: number;
}

export interface AlertInputs {
  agents: Array<{
    siteId: number; agentId: number; agent: string;
    /** Retained state: false after the agent's Will or a clean offline. */
    stateOnline: boolean | null;
    /** Collector time of the last message from the agent. */
    lastSeen: number;
    pollIntervalS: number | null;
    sampleTs: number | null;
    meterKw: number | null;
    minerKw: number;
  }>;
  sites: Array<{
    siteId: number;
    openViolation: { openedAt: number; allocationKw: number; peakKw: number } | null;
    hardCap: { averageKw: number; hardCapKw: number } | null;
  }>;
  /** Live event targets not (or no longer) confirmed: sent, accepted, holding. */
  targets: Array<{ siteId: number; eventId: string; state: string; targetKw: number | null; revision: number | null; sentAt: number }>;
  /** Telemetry gaps recorded within the gap window, per agent. */
  gaps: Array<{ siteId: number; agentId: number; count: number; missingSeqs: number; lastDetectedAt: number }>;
}

export const alertKey = (c: { kind: string; siteId: number; agentId: number | null }) => `${c.kind}:${c.siteId}:${c.agentId ?? ''}`;

const round = (x: number) => Math.round(x * 1000) / 1000;

export function alertCandidates(inputs: AlertInputs, config: AlertsConfig, now: number): AlertCandidate[] {
  const out: AlertCandidate[] = [];
  for (const a of inputs.agents) {
    const pollS = a.pollIntervalS ?? config.defaultPollIntervalS;
    const silentMs = now - a.lastSeen;
    if (a.stateOnline === false || silentMs > config.offlineAfterPolls * pollS * 1000) {
      out.push({ kind: 'agent_offline', siteId: a.siteId, agentId: a.agentId, details: { agent: a.agent, reason: a.stateOnline === false ? 'state_offline' : 'silent', lastSeen: a.lastSeen, pollIntervalS: pollS } });
      continue; // an offline agent's last reading says nothing about divergence now
    }
    if (a.meterKw !== null && a.sampleTs !== null) {
      const high = Math.max(a.meterKw, a.minerKw);
      const ratio = high > 0 ? Math.abs(a.meterKw - a.minerKw) / high : 0;
      if (high >= config.divergenceMinKw && ratio > config.divergenceRatio) {
        out.push({ kind: 'meter_divergence', siteId: a.siteId, agentId: a.agentId, holdMs: config.divergenceForS * 1000, details: { agent: a.agent, meterKw: round(a.meterKw), minerKw: round(a.minerKw), ratio: round(ratio) } });
      }
    }
  }
  for (const s of inputs.sites) {
    if (s.openViolation) out.push({ kind: 'over_allocation', siteId: s.siteId, agentId: null, details: { ...s.openViolation } });
    if (s.hardCap) out.push({ kind: 'hard_cap_exceeded', siteId: s.siteId, agentId: null, details: { averageKw: round(s.hardCap.averageKw), hardCapKw: s.hardCap.hardCapKw } });
  }
  const bySite = new Map<number, AlertInputs['targets']>();
  for (const t of inputs.targets) bySite.set(t.siteId, [...(bySite.get(t.siteId) ?? []), t]);
  for (const [siteId, targets] of bySite) {
    const first = targets.reduce((a, b) => (b.sentAt < a.sentAt ? b : a));
    out.push({
      kind: 'control_unconfirmed', siteId, agentId: null, since: first.sentAt, holdMs: config.controlConfirmTimeoutS * 1000,
      details: { targets: targets.map((t) => ({ eventId: t.eventId, state: t.state, targetKw: t.targetKw, revision: t.revision, sentAt: t.sentAt })) },
    });
  }
  for (const g of inputs.gaps) {
    out.push({ kind: 'telemetry_gap', siteId: g.siteId, agentId: g.agentId, details: { gaps: g.count, missingSeqs: g.missingSeqs, lastDetectedAt: g.lastDetectedAt, windowS: config.telemetryGapWindowS } });
  }
  return out;
}

export interface AlertDecision {
  open: AlertCandidate[];
  /** Keys (alertKey) of open alerts whose condition no longer holds. */
  close: string[];
}

/**
 * Turns conditions into alert transitions. An alert opens once its condition
 * has held for its hold time and closes as soon as the condition is gone. An
 * alert already open stays open while its condition holds, even when this
 * evaluator has just started (after a restart nothing flaps). A condition that
 * clears and comes back starts its hold time over.
 */
export class AlertEvaluator {
  private readonly firstSeen = new Map<string, number>();
  private readonly everSeen = new Set<string>();

  /** `scope` limits both the candidates and the open alerts considered (one site, one kind set). */
  decide(candidates: AlertCandidate[], openKeys: Iterable<string>, now: number, scope: (key: string) => boolean = () => true): AlertDecision {
    const holding = new Map<string, AlertCandidate>();
    for (const c of candidates) holding.set(alertKey(c), c);
    for (const key of [...this.firstSeen.keys()]) if (scope(key) && !holding.has(key)) this.firstSeen.delete(key);
    const open = new Set([...openKeys].filter(scope));
    const toOpen: AlertCandidate[] = [];
    for (const [key, c] of holding) {
      if (!this.firstSeen.has(key)) {
        this.firstSeen.set(key, this.everSeen.has(key) ? now : Math.min(c.since ?? now, now));
        this.everSeen.add(key);
      }
      if (open.has(key)) continue;
      if (now - this.firstSeen.get(key)! >= (c.holdMs ?? 0)) toOpen.push(c);
    }
    return { open: toOpen, close: [...open].filter((k) => !holding.has(k)) };
  }
}

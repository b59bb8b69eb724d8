import { Gauge } from 'prom-client';
import type { Logger } from '../../shared/log/logger.js';
import type { ComplianceService } from '../compliance/compliance-service.js';
import type { AlertsConfig } from '../config/collector-config.js';
import type { LiveState } from '../live/live-state.js';
import type { CollectorMetrics } from '../metrics/collector-metrics.js';
import type { StorePort } from '../store/store-port.js';
import type { AlertRow } from './alert-repository.js';
import { ALERT_KINDS, AlertEvaluator, alertCandidates, alertKey, type AlertInputs, type AlertKind } from './alert-rules.js';
import { oneAtATime } from '../../shared/async/one-at-a-time.js';

export interface AlertServiceOptions {
  store: StorePort;
  live: LiveState;
  compliance: ComplianceService;
  config: AlertsConfig;
  metrics: CollectorMetrics;
  log: Logger;
  clock: () => number;
  onChange(change: 'opened' | 'closed', alert: AlertRow): void;
}

const UNCONFIRMED = new Set(['sent', 'accepted', 'holding']);

/**
 * Alerts as data (docs/operations.md#what-to-monitor): a periodic job gathers the collector's state,
 * the pure rules decide, and alerts are opened and closed in the database,
 * announced (SSE) and counted (hashwatt_alerts_open{kind}).
 */
export function createAlertService(options: AlertServiceOptions) {
  const { store, live, compliance, config, clock } = options;
  const log = options.log.child({ component: 'alerts' });
  const evaluator = new AlertEvaluator();
  const open = new Map<string, AlertRow>();
  /** Alerts about no site (webhook_failing), by kind and subject; the rules never close these. */
  const bySubject = new Map<string, AlertRow>();
  const pollIntervals = new Map<number, number | null>();
  /** Site-less alerts being stored: a second raise meanwhile must not open it twice. */
  const raising = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let leading = false;

  new Gauge({
    name: 'hashwatt_alerts_open', help: 'Open alerts by kind', labelNames: ['kind'], registers: [options.metrics.registry],
    collect() {
      const counts = Object.fromEntries(ALERT_KINDS.map((k) => [k, 0])) as Record<AlertKind, number>;
      for (const a of open.values()) counts[a.kind]++;
      for (const a of bySubject.values()) counts[a.kind]++;
      for (const k of ALERT_KINDS) this.set({ kind: k }, counts[k]);
    },
  });

  async function pollIntervalOf(agentId: number): Promise<number | null> {
    if (!pollIntervals.has(agentId)) {
      for (const a of await store.agents.list()) {
        const s = (a.birth as { pollIntervalS?: unknown } | null)?.pollIntervalS;
        pollIntervals.set(a.id, typeof s === 'number' && s > 0 ? s : null);
      }
      if (!pollIntervals.has(agentId)) pollIntervals.set(agentId, null);
    }
    return pollIntervals.get(agentId)!;
  }

  async function gather(now: number, siteId?: number): Promise<AlertInputs> {
    const siteIds = siteId === undefined ? (await store.sites.list()).map((s) => s.id) : [siteId];
    const inputs: AlertInputs = { agents: [], sites: [], targets: [], gaps: [] };
    for (const id of siteIds) {
      for (const a of live.agents(id)) {
        inputs.agents.push({ siteId: id, agentId: a.agentId, agent: a.agent, stateOnline: a.stateOnline, lastSeen: a.lastSeen, pollIntervalS: await pollIntervalOf(a.agentId), sampleTs: a.sampleTs, meterKw: a.meterKw, minerKw: a.minerKw });
      }
      const c = await compliance.snapshot(id);
      inputs.sites.push({
        siteId: id, hardCap: await compliance.hardCap(id),
        openViolation: c.open && { openedAt: c.open.openedAt, allocationKw: c.open.allocationKw, peakKw: c.open.peakKw },
      });
    }
    const wanted = new Set(siteIds);
    for (const e of await store.events.live()) {
      if (e.status !== 'active') continue;
      for (const t of await store.events.targets(e.id)) {
        if (!wanted.has(t.siteId) || !UNCONFIRMED.has(t.state)) continue;
        const control = await store.events.control(t.siteId);
        const sentAt = control && control.revision === t.revision && control.publishedAt !== null ? control.publishedAt : t.updatedAt;
        inputs.targets.push({ siteId: t.siteId, eventId: e.id, state: t.state, targetKw: t.targetKw, revision: t.revision, sentAt });
      }
    }
    inputs.gaps = (await store.alerts.gapsSince(now - config.telemetryGapWindowS * 1000)).filter((g) => wanted.has(g.siteId));
    return inputs;
  }

  /** One pass of the rules over every site, or over one site (a hard-cap transition wants its alert now). */
  async function evaluateNow(siteId?: number): Promise<number> {
    const now = clock();
    const candidates = alertCandidates(await gather(now, siteId), config, now);
    const scope = siteId === undefined ? undefined : (key: string) => key.split(':')[1] === String(siteId);
    const decision = evaluator.decide(candidates, open.keys(), now, scope);
    const changes: Array<['opened' | 'closed', AlertRow]> = [];
    await store.transaction(async (tx) => {
      for (const key of decision.close) {
        const row = open.get(key);
        open.delete(key);
        const closed = row && await tx.alerts.close(row.id, now);
        if (closed) changes.push(['closed', closed]);
      }
      for (const c of decision.open) {
        const row = await tx.alerts.open({ kind: c.kind, siteId: c.siteId, agentId: c.agentId, openedAt: now, details: c.details });
        open.set(alertKey(c), row);
        changes.push(['opened', row]);
      }
    });
    for (const [change, row] of changes) {
      log[change === 'opened' ? 'warn' : 'info']({ kind: row.kind, site: row.site, agent: row.agent, details: row.details }, change === 'opened' ? 'alert opened' : 'alert closed');
      options.onChange(change, row);
    }
    return changes.length;
  }

  // A periodic pass and a site's immediate one must not interleave: each decides from the open set the other changes.
  const passes = oneAtATime();
  const evaluate = (siteId?: number): Promise<number> => passes.run(() => evaluateNow(siteId));

  async function safeEvaluate(siteId?: number): Promise<void> {
    try {
      await evaluate(siteId);
    } catch (err) {
      log.error({ err }, 'alert evaluation failed; retried on the next pass');
    }
  }

  /** The open alerts as the store has them (another collector may have led before this one). */
  async function load(): Promise<void> {
    open.clear();
    bySubject.clear();
    for (const a of await store.alerts.listOpen()) {
      if (a.siteId === null) bySubject.set(`${a.kind}:${a.subject ?? ''}`, a);
      else open.set(alertKey({ ...a, siteId: a.siteId }), a);
    }
  }

  return {
    load,
    evaluate,
    /** Evaluates one site now (outside the periodic pass); errors are logged, never thrown into ingest. */
    evaluateSite(siteId: number): Promise<void> {
      // Only the leader opens and closes alerts; another collector's transition is caught by the leader's next pass.
      return leading ? safeEvaluate(siteId) : Promise.resolve();
    },
    list(q: { open?: boolean; site?: string; kind?: string; limit?: number }): Promise<AlertRow[]> {
      return store.alerts.list(q);
    },
    openCount(): number {
      return open.size + bySubject.size;
    },
    /** Opens a site-less alert (a failing webhook target) unless one is open; errors are logged. */
    async raise(kind: AlertKind, subject: string, details: Record<string, unknown>): Promise<void> {
      const key = `${kind}:${subject}`;
      if (bySubject.has(key) || raising.has(key)) return;
      raising.add(key);
      try {
        const row = await store.alerts.open({ kind, siteId: null, agentId: null, subject, openedAt: clock(), details });
        bySubject.set(key, row);
        log.warn({ kind, subject, details }, 'alert opened');
        options.onChange('opened', row);
      } catch (err) {
        log.error({ err, kind, subject }, 'alert could not be stored');
      } finally {
        raising.delete(key);
      }
    },
    async resolve(kind: AlertKind, subject: string): Promise<void> {
      const key = `${kind}:${subject}`;
      const row = bySubject.get(key);
      if (!row) return;
      bySubject.delete(key);
      try {
        const closed = await store.alerts.close(row.id, clock());
        if (closed) {
          log.info({ kind, subject }, 'alert closed');
          options.onChange('closed', closed);
        }
      } catch (err) {
        log.error({ err, kind, subject }, 'alert could not be stored');
      }
    },
    /** The periodic pass, while this collector leads (one collector opens and closes alerts). */
    async lead(signal: AbortSignal): Promise<void> {
      await load();
      if (signal.aborted) return;
      leading = true;
      void safeEvaluate();
      timer = setInterval(() => void safeEvaluate(), config.evaluateEveryS * 1000);
      signal.addEventListener('abort', () => {
        leading = false;
        if (timer) clearInterval(timer);
        timer = undefined;
      }, { once: true });
    },
    /** Stops the periodic pass and waits for the one running, if any. */
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = undefined;
      await passes.idle();
    },
  };
}
export type AlertService = ReturnType<typeof createAlertService>;

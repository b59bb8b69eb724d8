import type { ControlReport, DecodedMessage } from '../../shared/protocol/index.js';
import type { CollectorMetrics } from '../metrics/collector-metrics.js';
import type { StoreRepositories } from '../store/store-port.js';
import type { CommittedBatch } from './ingest.js';
import type { AgentRef } from './session-trackers.js';

/**
 * State, birth and control reports: a few per agent per day, written in one
 * store transaction after the batch's telemetry (which the sink writes in
 * bulk). What was written goes into `out` for the commit's followers; a report
 * stored before (a replay) is counted as a duplicate and not passed on.
 */
export async function writeRareKinds(tx: StoreRepositories, others: ReadonlyArray<{ ref: AgentRef; m: DecodedMessage }>, out: CommittedBatch, now: number, metrics: Pick<CollectorMetrics, 'duplicates' | 'reports'>): Promise<void> {
  // An agent's received + accepted reports usually share a batch: one last-seen write each.
  const touched = new Set<number>();
  const reports: Array<{ ref: AgentRef; r: ControlReport }> = [];
  for (const { ref, m } of others) {
    switch (m.kind) {
      case 'state':
        await tx.agents.setState(ref.agentId, m.payload.online, m.payload.session, m.payload.ts, now);
        out.states.push({ ...ref, online: m.payload.online });
        break;
      case 'birth':
        await tx.agents.setBirth(ref.agentId, m.raw, m.payload.session, now);
        if (m.payload.location) await tx.sites.declareLocation(ref.siteId, m.payload.location, now);
        out.births.push(ref);
        break;
      case 'control/report':
        reports.push({ ref, r: m.payload });
        break;
      default:
        break;
    }
  }
  if (reports.length) {
    // One statement per chunk of reports, not one each: an event brings two per agent at once.
    const fresh = await tx.events.insertReports(reports.map(({ ref, r }) => ({
      siteId: ref.siteId, agentId: ref.agentId, revision: r.revision, status: r.status, reason: r.reason ?? null, detail: r.detail ?? null,
      achievedKw: r.achievedKw ?? null, targetKw: r.targetKw ?? null, ts: r.ts, session: r.session ?? null, seq: r.seq ?? null,
    })), now);
    for (let i = 0; i < reports.length; i++) {
      const { ref, r } = reports[i]!;
      touched.add(ref.agentId);
      if (!fresh[i]) {
        metrics.duplicates.inc();
        continue;
      }
      out.reports.push({ ...ref, report: r });
      metrics.reports.inc({ status: r.status });
    }
  }
  await tx.agents.touchMany([...touched], now);
}

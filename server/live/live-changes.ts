import type { CommittedBatch } from '../ingest/ingest.js';
import type { LiveChange } from './live-bus.js';

/**
 * What peers need from one ingest commit to show what this collector shows:
 * each agent's newest sample (the live view keeps only the newest), state
 * changes in order, "heard from" for agents without a sample, and the sites
 * whose birth may have changed their summary.
 */
export function liveChangesOf(batch: CommittedBatch, now: number): LiveChange[] {
  const changes: LiveChange[] = [];
  const newest = new Map<number, CommittedBatch['latest'][number]>();
  for (const l of batch.latest) {
    const known = newest.get(l.agentId);
    if (!known || l.sample.ts > known.sample.ts) newest.set(l.agentId, l);
  }
  for (const s of batch.states) changes.push({ kind: 'state', siteId: s.siteId, agentId: s.agentId, agent: s.agent, at: now, online: s.online });
  const seen = new Set<number>();
  for (const r of batch.seen) {
    if (newest.has(r.agentId) || seen.has(r.agentId)) continue;
    seen.add(r.agentId);
    changes.push({ kind: 'seen', siteId: r.siteId, agentId: r.agentId, agent: r.agent, at: now });
  }
  for (const l of newest.values()) {
    const { ts, meterKw, meterKwh, minerKw, hashrateThs, counts, revision } = l.sample;
    changes.push({ kind: 'sample', siteId: l.siteId, agentId: l.agentId, agent: l.agent, at: now, sample: { ts, meterKw, meterKwh, minerKw, hashrateThs, counts, revision } });
  }
  for (const siteId of new Set(batch.births.map((b) => b.siteId))) changes.push({ kind: 'site', siteId });
  return changes;
}

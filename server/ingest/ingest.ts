import type { MqttClient } from 'mqtt';
import type { Logger } from '../../shared/log/logger.js';
import { decode, encode, topicFilters, TOPIC_ROOT, type DecodedMessage } from '../../shared/protocol/index.js';
import type { ControlReport, Sample } from '../../shared/protocol/index.js';
import type { CollectorConfig } from '../config/collector-config.js';
import type { CollectorMetrics } from '../metrics/collector-metrics.js';
import type { Db } from '../store/database.js';
import type { Repositories } from '../store/repositories.js';
import { loggedSeqsAbove } from '../store/telemetry-repository.js';
import { MINUTE } from '../store/rollup-repository.js';
import { AckTracker } from './ack-tracker.js';
import { createRejectLog } from './reject-log.js';

export interface AgentRef {
  siteId: number;
  site: string;
  agentId: number;
  agent: string;
}

/** What one committed batch changed; the collector updates live views from it. */
export interface CommittedBatch {
  /** Every non-historical sample of the batch, oldest first. */
  latest: Array<AgentRef & { sample: Sample }>;
  states: Array<AgentRef & { online: boolean }>;
  births: AgentRef[];
  reports: Array<AgentRef & { report: ControlReport }>;
  /** Every agent heard from. */
  seen: AgentRef[];
  /** Minute buckets with new samples (for the rollups). */
  dirty: Array<{ siteId: number; bucket: number }>;
  newSites: string[];
}

export interface IngestOptions {
  client: MqttClient;
  db: Db;
  repos: Repositories;
  metrics: CollectorMetrics;
  log: Logger;
  config: CollectorConfig['ingest'];
  clock: () => number;
  onCommitted(batch: CommittedBatch): void;
}

const SUBSCRIBED_KINDS = ['telemetry', 'state', 'birth', 'control/report'] as const;

/**
 * MQTT → SQLite. Every message goes through the shared codec; refusals are
 * counted and logged (rate limited), never thrown. Accepted messages queue and
 * are written in one transaction per batch (by size or after flushMs); acks go
 * out only after the commit.
 *
 * The broker-level PUBACK is sent on receipt (MQTT.js handles packets one at a
 * time, so holding PUBACK until the commit would serialize ingest); durability
 * comes from the application-level `telemetry/ack`: the agent keeps a message
 * in its outbox until an ack covers it.
 */
export function createIngest(options: IngestOptions) {
  const { client, db, repos, metrics, config, clock } = options;
  const log = options.log.child({ component: 'ingest' });
  const logReject = createRejectLog(log);
  const queue: DecodedMessage[] = [];
  const siteIds = new Map<string, number>();
  const agentIds = new Map<string, number>();
  const trackers = new Map<string, { tracker: AckTracker; ref: AgentRef; session: number; used: number }>();
  let timer: NodeJS.Timeout | undefined;
  let gapTimer: NodeJS.Timeout | undefined;
  let stopped = false;

  const onMessage = (topic: string, payload: Buffer) => {
    try {
      // An empty payload clears a retained message (MQTT-3.3.1-10): housekeeping, not a bad message.
      if (payload.length === 0) return;
      const result = decode(topic, payload);
      if (!result.ok) {
        metrics.rejects.inc({ reason: result.error.reason });
        logReject(result.error, clock());
        return;
      }
      if (result.message.kind === 'collector/state' || result.message.kind === 'control' || result.message.kind === 'telemetry/ack') return;
      metrics.messages.inc({ kind: result.message.kind });
      queue.push(result.message);
      metrics.queueDepth.set(queue.length);
      if (queue.length >= config.batchSize) flush();
      else timer ??= setTimeout(flush, config.flushMs);
    } catch (err) {
      log.error({ err }, 'ingest handler failed');
    }
  };

  function siteIdOf(site: string, now: number, newSites: string[]): number {
    let id = siteIds.get(site);
    if (id !== undefined) return id;
    const row = repos.sites.get(site);
    if (row) id = row.id;
    else {
      id = repos.sites.createUnknown(site, now).id;
      newSites.push(site);
    }
    siteIds.set(site, id);
    return id;
  }

  function refOf(m: { site: string; agent: string }, now: number, newSites: string[]): AgentRef {
    const siteId = siteIdOf(m.site, now, newSites);
    const key = `${siteId}/${m.agent}`;
    let agentId = agentIds.get(key);
    if (agentId === undefined) {
      agentId = repos.agents.ensure(siteId, m.agent);
      agentIds.set(key, agentId);
    }
    return { siteId, site: m.site, agentId, agent: m.agent };
  }

  function trackerOf(ref: AgentRef, session: number, now: number) {
    const key = `${ref.agentId}:${session}`;
    let t = trackers.get(key);
    if (!t) {
      const acked = repos.telemetry.ackedSeq(ref.agentId, session) ?? 0;
      t = { tracker: new AckTracker(acked, loggedSeqsAbove(db, ref.agentId, session, acked), config.gapTimeoutS * 1000), ref, session, used: now };
      trackers.set(key, t);
    }
    t.used = now;
    return t;
  }

  function sendAck(ref: AgentRef, session: number, seq: number): void {
    if (seq <= 0 || !client.connected) return;
    const msg = encode('telemetry/ack', ref.site, ref.agent, { v: 1, session, seq });
    client.publish(msg.topic, msg.payload, { qos: msg.qos, retain: msg.retain }, () => {});
  }

  function write(batch: DecodedMessage[], now: number): { out: CommittedBatch; seqs: Map<string, { ref: AgentRef; session: number; seqs: number[] }> } {
    const out: CommittedBatch = { latest: [], states: [], births: [], reports: [], seen: [], dirty: [], newSites: [] };
    const seqs = new Map<string, { ref: AgentRef; session: number; seqs: number[] }>();
    const latest: Array<AgentRef & { sample: Sample }> = [];
    const seen = new Map<number, AgentRef>();
    const dirty = new Set<string>();
    for (const m of batch) {
      if (m.kind === 'collector/state') continue;
      const ref = refOf(m, now, out.newSites);
      seen.set(ref.agentId, ref);
      switch (m.kind) {
        case 'telemetry': {
          const p = m.payload;
          const key = `${ref.agentId}:${p.session}`;
          let s = seqs.get(key);
          if (!s) seqs.set(key, (s = { ref, session: p.session, seqs: [] }));
          s.seqs.push(p.seq);
          if (!repos.telemetry.logMessage(ref.agentId, p.session, p.seq, now)) {
            metrics.duplicates.inc();
            break;
          }
          const historical = p.historical === true;
          let newest: Sample | undefined;
          for (const sample of p.samples) {
            repos.telemetry.insertSample(ref.siteId, ref.agentId, sample, historical);
            dirty.add(`${ref.siteId}:${Math.floor(sample.ts / MINUTE) * MINUTE}`);
            if (!newest || sample.ts > newest.ts) newest = sample;
          }
          metrics.samples.inc(p.samples.length);
          if (p.miners?.length) {
            // Miner detail carries no timestamp of its own: it belongs to the message's newest
            // sample, or to now for a live detail-only part (a historical one without samples is skipped).
            const ts = newest?.ts ?? (historical ? null : now);
            if (ts !== null) for (const miner of p.miners) repos.telemetry.upsertMiner(ref.siteId, ref.agentId, miner, ts);
            metrics.minerRows.inc(p.miners.length);
          }
          if (newest && !historical) {
            repos.agents.setLatest(ref.agentId, newest, now);
            for (const sample of p.samples) latest.push({ ...ref, sample });
          }
          break;
        }
        case 'state':
          repos.agents.setState(ref.agentId, m.payload.online, m.payload.session, m.payload.ts, now);
          out.states.push({ ...ref, online: m.payload.online });
          break;
        case 'birth':
          repos.agents.setBirth(ref.agentId, m.raw, m.payload.session, now);
          out.births.push(ref);
          break;
        case 'control/report': {
          const r = m.payload;
          repos.events.insertReport({ siteId: ref.siteId, agentId: ref.agentId, revision: r.revision, status: r.status, reason: r.reason ?? null, detail: r.detail ?? null, achievedKw: r.achievedKw ?? null, targetKw: r.targetKw ?? null, ts: r.ts }, now);
          out.reports.push({ ...ref, report: r });
          metrics.reports.inc({ status: r.status });
          break;
        }
        default:
          break;
      }
    }
    for (const ref of seen.values()) repos.agents.touch(ref.agentId, now);
    out.latest = latest.sort((a, b) => a.sample.ts - b.sample.ts);
    out.seen = [...seen.values()];
    out.dirty = [...dirty].map((d) => {
      const [siteId, bucket] = d.split(':');
      return { siteId: Number(siteId), bucket: Number(bucket) };
    });
    return { out, seqs };
  }

  /** Writes everything queued in one transaction, then acks and reports what changed. Synchronous. */
  function flush(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (queue.length === 0) return;
    const batch = queue.splice(0, queue.length);
    metrics.queueDepth.set(0);
    const now = clock();
    const end = metrics.commit.startTimer();
    let result: ReturnType<typeof write>;
    try {
      result = db.transaction(() => write(batch, now))();
    } catch (err) {
      // Nothing is acked, so the agents will send it again; the batch is not lost.
      siteIds.clear();
      agentIds.clear();
      metrics.rejects.inc({ reason: 'store_error' }, batch.length);
      log.error({ err, messages: batch.length }, 'ingest batch failed to commit');
      return;
    }
    end();
    metrics.batchSize.observe(batch.length);
    const acks: Array<[number, number, number]> = [];
    for (const s of result.seqs.values()) {
      const t = trackerOf(s.ref, s.session, now);
      const ack = t.tracker.commit(s.seqs, now);
      sendAck(s.ref, s.session, ack);
      if (ack > 0) acks.push([s.ref.agentId, s.session, ack]);
    }
    if (acks.length) db.transaction(() => { for (const [a, s, q] of acks) repos.telemetry.setAckedSeq(a, s, q); })();
    try {
      options.onCommitted(result.out);
    } catch (err) {
      log.error({ err }, 'post-commit update failed');
    }
  }

  function expireGaps(): void {
    const now = clock();
    for (const [key, t] of trackers) {
      if (now - t.used > 3_600_000 && !t.tracker.hasGap()) {
        trackers.delete(key);
        continue;
      }
      const gap = t.tracker.expireGap(now);
      if (!gap) continue;
      metrics.gaps.inc();
      log.warn({ site: t.ref.site, agent: t.ref.agent, session: t.session, ...gap }, 'telemetry gap given up on');
      repos.telemetry.recordGap(t.ref.agentId, t.session, gap.fromSeq, gap.toSeq, now);
      repos.telemetry.setAckedSeq(t.ref.agentId, t.session, t.tracker.state.acked);
      sendAck(t.ref, t.session, t.tracker.state.acked);
    }
  }

  return {
    async start(): Promise<void> {
      client.on('message', onMessage);
      const filters = config.sites
        ? config.sites.flatMap((site) => SUBSCRIBED_KINDS.map((k) => `${TOPIC_ROOT}/${site}/+/${k}`))
        : SUBSCRIBED_KINDS.map((k) => topicFilters.allAgents(k));
      for (let i = 0; i < filters.length; i += 500) await client.subscribeAsync(filters.slice(i, i + 500), { qos: 1 });
      gapTimer = setInterval(expireGaps, Math.min(1000, config.gapTimeoutS * 250));
      gapTimer.unref();
    },
    flush,
    queueDepth: () => queue.length,
    /** Forgets cached ids (after a site was created through the API). */
    forgetSite(site: string): void {
      siteIds.delete(site);
    },
    /** Stops taking messages and writes what is queued. */
    stop(): void {
      if (stopped) return;
      stopped = true;
      client.removeListener('message', onMessage);
      if (gapTimer) clearInterval(gapTimer);
      flush();
    },
  };
}
export type Ingest = ReturnType<typeof createIngest>;

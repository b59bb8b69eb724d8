import type { MqttClient } from 'mqtt';
import type { Logger } from '../../shared/log/logger.js';
import { agentTopic, decode, encode, topicFilters, type DecodedMessage } from '../../shared/protocol/index.js';
import type { ControlReport, Sample, Telemetry } from '../../shared/protocol/index.js';
import type { CollectorConfig } from '../config/collector-config.js';
import type { CollectorMetrics } from '../metrics/collector-metrics.js';
import type { StorePort, TelemetryWriteResult } from '../store/store-port.js';
import type { TelemetryRow } from '../store/telemetry-writer.js';
import { MINUTE } from '../store/rollup-repository.js';
import type { Gap } from './ack-tracker.js';
import { createAgentRefs } from './agent-refs.js';
import { createRejectLog } from './reject-log.js';
import { writeRareKinds } from './write-rare-kinds.js';
import { createSessionTrackers, type AgentRef, type SessionTracker } from './session-trackers.js';
import { sampleProblem, seqProblem, type Implausible } from './plausibility.js';

export type { AgentRef } from './session-trackers.js';

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

/** A decoded message waiting for its batch. */
interface Queued {
  message: DecodedMessage;
  /** The payload text of telemetry with miner detail: stored as is (one row per agent and part). */
  detailText: string | null;
}

export interface IngestOptions {
  /** Telemetry goes through the store's sink (server/store/store-port.ts), the rest through its repositories. */
  store: StorePort;
  metrics: CollectorMetrics;
  log: Logger;
  config: CollectorConfig['ingest'];
  clock: () => number;
  /** After each durable batch; awaited, so the next batch's follow-up starts after this one's. */
  onCommitted(batch: CommittedBatch): void | Promise<void>;
}

const SUBSCRIBED_KINDS = ['telemetry', 'state', 'birth', 'control/report'] as const;

/**
 * MQTT → SQLite. Every message goes through the shared codec; refusals are
 * counted and logged (rate limited), never thrown. Accepted messages queue and
 * are written in one transaction per batch (by size or after flushMs); acks go
 * out only after the commit.
 *
 * Telemetry is committed by a writer thread on its own connection (one batch in
 * flight; what arrives meanwhile becomes the next batch), so this thread keeps
 * reading and decoding while SQLite works. WAL keeps the file consistent if the
 * process is killed mid-batch; the uncommitted batch is simply not acked.
 *
 * The broker-level PUBACK is sent on receipt (MQTT.js handles packets one at a
 * time, so holding PUBACK until the commit would serialize ingest); durability
 * comes from the application-level `telemetry/ack`: the agent keeps a message
 * in its outbox until an ack covers it. Only when the queue is far behind the
 * writer is the PUBACK held (backpressure: the broker stops sending to us).
 */
export function createIngest(options: IngestOptions) {
  const { store, metrics, config, clock } = options;
  let client: MqttClient | undefined;
  /** Commits wait for start(): the services a commit updates exist only then. */
  let started = false;
  const log = options.log.child({ component: 'ingest' });
  const logReject = createRejectLog(log);
  const queue: Queued[] = [];
  const agentRefs = createAgentRefs(store);
  const trackers = createSessionTrackers({ telemetry: store.telemetry, gapTimeoutMs: config.gapTimeoutS * 1000, log });
  /**
   * In a share group the broker spreads one agent's messages over the group, so
   * a tracker with a hole may only lack what another collector committed: it asks
   * the store. Alone, this collector is the only writer of its agents' seqs and
   * the store knows nothing its trackers do not, so the query is skipped.
   */
  const shared = config.shareGroup !== undefined;
  let timer: NodeJS.Timeout | undefined;
  let gapTimer: NodeJS.Timeout | undefined;
  let stopped = false;
  const sink = store.openTelemetrySink();
  let running: Promise<void> | undefined;
  /** agentId, session, seq triples acked but not yet persisted: they ride with the next batch. */
  let pendingAcks: number[] = [];
  /** agentId, session, fromSeq, toSeq of gaps given up on, written with the next batch. */
  let pendingGaps: number[] = [];
  /** Acks past a given-up gap (one per pendingGaps entry, in order): sent once the gap row is committed. */
  let gapAcks: Array<{ ref: AgentRef; session: number; seq: number; gap: Gap }> = [];
  /** PUBACKs held while the queue is over the high-water mark. */
  const heldAcks: Array<() => void> = [];
  const highWater = config.batchSize * 2;
  let baseHandleMessage: MqttClient['handleMessage'] | undefined;
  const handleMessage: MqttClient['handleMessage'] = (packet, callback) => {
    const base = baseHandleMessage!;
    if (queue.length < highWater) base.call(client!, packet, callback);
    else heldAcks.push(() => base.call(client!, packet, callback));
  };

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
      const m = result.message;
      let detailText = m.kind === 'telemetry' && m.payload.miners?.length ? payload.toString('utf8') : null;
      if (m.kind === 'telemetry' && !keepPlausibleSamples(topic, m.payload)) detailText = null;
      queue.push({ message: m, detailText });
      metrics.queueDepth.set(queue.length);
      if (!started) return;
      if (queue.length >= config.batchSize) void flush();
      else timer ??= setTimeout(flush, config.flushMs);
    } catch (err) {
      log.error({ err }, 'ingest handler failed');
    }
  };

  function refuse(topic: string, problem: Implausible): void {
    metrics.rejects.inc({ reason: problem.reason });
    logReject({ topic, reason: problem.reason, message: problem.message }, clock());
  }

  /**
   * Drops the samples no agent could honestly send (each refused and counted);
   * the message itself still counts for its seq, so the ack moves on. Returns
   * false when nothing of it is left to believe (then its miner detail goes too).
   */
  function keepPlausibleSamples(topic: string, p: Telemetry): boolean {
    const now = clock();
    let kept: Sample[] | undefined;
    for (let i = 0; i < p.samples.length; i++) {
      const problem = sampleProblem(p.samples[i]!, i, now, config.bounds);
      if (problem) {
        refuse(topic, problem);
        kept ??= p.samples.slice(0, i);
      } else kept?.push(p.samples[i]!);
    }
    if (!kept) return true;
    p.samples = kept;
    return kept.length > 0;
  }

  /** A message's place in its agent's session sequence: telemetry always, control reports when they carry one. */
  function sequenceOf(m: DecodedMessage): { session: number; seq: number } | null {
    if (m.kind === 'telemetry') return { session: m.payload.session, seq: m.payload.seq };
    if (m.kind === 'control/report' && m.payload.seq !== undefined && m.payload.session !== undefined) return { session: m.payload.session, seq: m.payload.seq };
    return null;
  }

  function ackFrom(t: SessionTracker): void {
    const ack = t.tracker.state.acked;
    sendAck(t.ref, t.session, ack);
    if (ack > 0) pendingAcks.push(t.ref.agentId, t.session, ack);
  }

  function sendAck(ref: AgentRef, session: number, seq: number): void {
    if (seq <= 0 || !client?.connected) return;
    const msg = encode('telemetry/ack', ref.site, ref.agent, { v: 1, session, seq });
    client.publish(msg.topic, msg.payload, { qos: msg.qos, retain: msg.retain }, () => {});
  }

  /** Telemetry flattened for the writer thread; everything else (rare) is written here after it. */
  function toRow(ref: AgentRef, p: Telemetry, detailText: string | null, now: number): TelemetryRow {
    const historical = p.historical === true;
    const samples: Array<number | null> = [];
    let newest = -1;
    for (let i = 0; i < p.samples.length; i++) {
      const s = p.samples[i]!;
      const c = s.counts;
      samples.push(s.ts, s.meterKw, s.meterKwh, s.minerKw, s.estimatedKw ?? null, c.hashing, c.idle, c.sleeping, c.offline, c.error, c.total, s.hashrateThs, s.revision);
      if (newest < 0 || s.ts > p.samples[newest]!.ts) newest = i;
    }
    // Miner detail carries no timestamp of its own: it belongs to the message's newest
    // sample, or to now for a live detail-only part (a historical one without samples is skipped).
    const detailTs = detailText !== null ? (newest >= 0 ? p.samples[newest]!.ts : historical ? null : now) : null;
    return {
      siteId: ref.siteId, agentId: ref.agentId, session: p.session, seq: p.seq, historical, samples, latest: historical ? -1 : newest,
      detailTs, detailPart: p.part?.index ?? 0, detailBody: detailTs === null ? null : detailText,
    };
  }

  /**
   * One batch: telemetry committed by the writer thread in one transaction, then
   * the rare kinds here, then acks and what changed. Nothing is acked before its commit.
   */
  async function commit(batch: Queued[]): Promise<boolean> {
    const now = clock();
    const out: CommittedBatch = { latest: [], states: [], births: [], reports: [], seen: [], dirty: [], newSites: [] };
    const rows: TelemetryRow[] = [];
    const tele: Array<{ ref: AgentRef; p: Telemetry }> = [];
    const others: Array<{ ref: AgentRef; m: DecodedMessage }> = [];
    const sequenced: Array<{ ref: AgentRef; session: number; seq: number }> = [];
    const seen = new Map<number, AgentRef>();
    const acks = pendingAcks;
    const gaps = pendingGaps;
    const afterGaps = gapAcks;
    pendingAcks = [];
    pendingGaps = [];
    gapAcks = [];
    const failed = (err: unknown) => {
      // Nothing is acked, so the agents will send it again; the batch is not lost.
      agentRefs.clear();
      pendingAcks = acks.concat(pendingAcks);
      pendingGaps = gaps.concat(pendingGaps);
      gapAcks = afterGaps.concat(gapAcks);
      metrics.rejects.inc({ reason: 'store_error' }, batch.length);
      log.error({ err, messages: batch.length }, 'ingest batch failed to commit');
    };
    let result: TelemetryWriteResult;
    try {
      const refs = await agentRefs.refsOf(batch.map((b) => b.message), now, out.newSites);
      await trackers.open(batch.flatMap(({ message: m }, i) => {
        const sq = refs[i] && sequenceOf(m);
        return sq ? [{ ref: refs[i]!, session: sq.session }] : [];
      }), now);
      for (let i = 0; i < batch.length; i++) {
        const { message: m, detailText } = batch[i]!;
        const ref = refs[i];
        if (!ref || m.kind === 'collector/state') continue;
        seen.set(ref.agentId, ref);
        // Telemetry and sequenced reports share the session's seq counter: one check, one ack path.
        const sq = sequenceOf(m);
        if (sq) {
          const jump = seqProblem(sq.seq, trackers.of(ref, sq.session, now).tracker.highest(), config.bounds);
          if (jump) {
            refuse(agentTopic(ref.site, ref.agent, m.kind === 'telemetry' ? 'telemetry' : 'control/report'), jump);
            continue;
          }
          sequenced.push({ ref, ...sq });
        }
        if (m.kind === 'telemetry') {
          rows.push(toRow(ref, m.payload, detailText, now));
          tele.push({ ref, p: m.payload });
        } else others.push({ ref, m });
      }
      result = await sink.write({ now, rows, acks, gaps });
      if (others.length) await store.transaction((tx) => writeRareKinds(tx, others, out, now, metrics));
    } catch (err) {
      failed(err);
      return false;
    }
    for (let i = 0; i < afterGaps.length; i++) {
      const a = afterGaps[i]!;
      sendAck(a.ref, a.session, a.seq);
      const where = { site: a.ref.site, agent: a.ref.agent, session: a.session, ...a.gap };
      if (result.gapsRecorded[i] === 1) {
        metrics.gaps.inc();
        log.warn(where, 'telemetry gap given up on');
      } else log.info(where, 'telemetry gap already recorded by another collector of the share group');
    }
    if (result.ms !== null) metrics.commit.observe(result.ms / 1000);
    metrics.batchSize.observe(batch.length);

    const seqs = new Map<string, { ref: AgentRef; session: number; seqs: number[] }>();
    const latest: Array<AgentRef & { sample: Sample }> = [];
    const dirty = new Set<string>();
    const dirtyRefs: Array<{ siteId: number; bucket: number }> = [];
    for (let i = 0; i < tele.length; i++) {
      const { ref, p } = tele[i]!;
      if (result.fresh[i] !== 1) {
        metrics.duplicates.inc();
        continue;
      }
      for (const sample of p.samples) {
        const bucket = Math.floor(sample.ts / MINUTE) * MINUTE;
        // A string key, not bucket * 2^20 + siteId: that product passes 2^53 and
        // rounds, so sites sharing a minute collided and lost their rollups and energy.
        const k = `${bucket}:${ref.siteId}`;
        if (!dirty.has(k)) {
          dirty.add(k);
          dirtyRefs.push({ siteId: ref.siteId, bucket });
        }
      }
      metrics.samples.inc(p.samples.length);
      if (p.miners?.length) metrics.minerRows.inc(p.miners.length);
      if (p.samples.length && p.historical !== true) for (const sample of p.samples) latest.push({ ...ref, sample });
    }
    // Every committed seq counts for the ack, a redelivered duplicate too (its first copy is stored).
    for (const { ref, session, seq } of sequenced) {
      const key = `${ref.agentId}:${session}`;
      let s = seqs.get(key);
      if (!s) seqs.set(key, (s = { ref, session, seqs: [] }));
      s.seqs.push(seq);
    }
    out.latest = latest.sort((a, b) => a.sample.ts - b.sample.ts);
    out.seen = [...seen.values()];
    out.dirty = dirtyRefs;

    const touched: SessionTracker[] = [];
    const behind: SessionTracker[] = [];
    for (const s of seqs.values()) {
      const t = trackers.of(s.ref, s.session, now);
      t.tracker.commit(s.seqs, now);
      touched.push(t);
      if (shared && t.tracker.hasGap()) behind.push(t);
    }
    if (behind.length) await trackers.catchUp(behind, now);
    for (const t of touched) ackFrom(t);
    if (batch.length === 0) return true;
    try {
      await options.onCommitted(out);
    } catch (err) {
      log.error({ err }, 'post-commit update failed');
    }
    return true;
  }

  /**
   * Commits everything queued (and whatever arrives meanwhile) one batch at a
   * time; resolves when the queue is empty and every batch is committed.
   */
  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    running ??= (async () => {
      // Acked seqs ride with the next batch; an acks-only batch persists them when traffic stops.
      while (queue.length || pendingAcks.length || pendingGaps.length) {
        const batch = queue.splice(0, queue.length);
        metrics.queueDepth.set(0);
        releaseHeld();
        // After a failed commit, stop: the next message or flush tries again.
        if (!(await commit(batch))) break;
      }
    })()
      .catch((err: unknown) => log.error({ err }, 'ingest flush failed'))
      .finally(() => {
        running = undefined;
      });
    return running;
  }

  function releaseHeld(): void {
    const held = heldAcks.splice(0, heldAcks.length);
    for (const release of held) release();
  }

  let expiring = false;
  /** One pass at a time: in a share group it reads the store, and the timer must not stack passes up. */
  async function expireGaps(): Promise<void> {
    if (expiring) return;
    expiring = true;
    try {
      await expireGapsOnce();
    } catch (err) {
      log.error({ err }, 'gap check failed; retried on the next pass');
    } finally {
      expiring = false;
    }
  }

  async function expireGapsOnce(): Promise<void> {
    const now = clock();
    // A hole another collector filled after our last batch would otherwise wait
    // for our next message of that session, or be given up as a gap it is not.
    if (shared) {
      const behind = trackers.withHoles();
      const before = behind.map((t) => t.tracker.state.acked);
      if (behind.length) await trackers.catchUp(behind, now);
      behind.forEach((t, i) => {
        if (t.tracker.state.acked > before[i]!) ackFrom(t);
      });
    }
    for (const t of trackers.sweep(now)) {
      const gap = t.tracker.expireGap(now);
      if (!gap) continue;
      // Written by the writer thread with the next batch: every ingest write goes through one connection.
      // Counted and logged after that commit, which also says whether another collector recorded it first.
      pendingGaps.push(t.ref.agentId, t.session, gap.fromSeq, gap.toSeq);
      pendingAcks.push(t.ref.agentId, t.session, t.tracker.state.acked);
      gapAcks.push({ ref: t.ref, session: t.session, seq: t.tracker.state.acked, gap });
    }
    if ((pendingGaps.length || pendingAcks.length) && !stopped) timer ??= setTimeout(flush, config.flushMs);
  }

  function detach(): void {
    if (!client) return;
    client.removeListener('message', onMessage);
    if (client.handleMessage === handleMessage && baseHandleMessage) client.handleMessage = baseHandleMessage;
  }

  return {
    /**
     * Listens on a client before it connects. A persistent session (clean: false)
     * gets what the broker queued while the collector was away right after
     * CONNACK; a listener attached after connect() resolves missed those, and
     * MQTT.js PUBACKed them anyway, so they were gone. They queue here until start().
     */
    attach(c: MqttClient): void {
      detach();
      client = c;
      baseHandleMessage = c.handleMessage;
      c.on('message', onMessage);
      c.handleMessage = handleMessage;
    },
    /** Subscribes (a no-op for a resumed session) and starts committing, including what arrived since attach. */
    async start(): Promise<void> {
      if (!client) throw new Error('ingest.start() before attach()');
      started = true;
      if (queue.length) void flush();
      const plain = config.sites
        ? config.sites.flatMap((site) => SUBSCRIBED_KINDS.map((k) => topicFilters.siteAgents(site, k)))
        : SUBSCRIBED_KINDS.map((k) => topicFilters.allAgents(k));
      const group = config.shareGroup;
      const filters = group === undefined ? plain : plain.map((f) => topicFilters.shared(group, f));
      for (let i = 0; i < filters.length; i += 500) await client.subscribeAsync(filters.slice(i, i + 500), { qos: 1 });
      gapTimer = setInterval(() => void expireGaps(), Math.min(1000, config.gapTimeoutS * 250));
      gapTimer.unref();
    },
    flush,
    queueDepth: () => queue.length,
    /** Forgets cached ids (after a site was created through the API). */
    forgetSite(site: string): void {
      agentRefs.forgetSite(site);
    },
    /** Stops taking messages, waits for the batch in flight and commits what is queued, then ends the writer thread. */
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      detach();
      releaseHeld();
      if (gapTimer) clearInterval(gapTimer);
      await flush();
      await sink.close();
    },
  };
}
export type Ingest = ReturnType<typeof createIngest>;

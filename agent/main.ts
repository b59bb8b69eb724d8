import { readFileSync } from 'node:fs';
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../shared/log/logger.js';
import type { DecodeResult, Sample } from '../shared/protocol/index.js';
import { loadPublicKey } from '../shared/signing/key-files.js';
import type { AgentConfig } from './config/agent-config.js';
import { createControlReconciler, type Measurement, type ReportBody } from './curtail/control-reconciler.js';
import type { TrustedKey } from './curtail/control-intake.js';
import { createMeterDriver, type MeterDriver, type MeterReading } from './drivers/meters/index.js';
import { buildBirth } from './link/birth.js';
import { createMqttLink } from './link/mqtt-link.js';
import { createOutbox } from './link/outbox.js';
import { defaultDriverSource, type DriverSource } from './poll/driver-source.js';
import { createInventory } from './poll/inventory.js';
import { pollCycle } from './poll/poll-cycle.js';
import { createPoller } from './poll/poller.js';
import { buildSample, splitDetail, toMinerDetail } from './poll/site-sample.js';
import { openAgentDb } from './store/agent-db.js';
import { createCurtailRepository } from './store/curtail-repository.js';
import { createPowerTargetRepository } from './store/power-target-repository.js';
import { createPowerTargetActions } from './curtail/power-target-actions.js';
import { createMetaRepository } from './store/meta-repository.js';
import { createOutboxRepository } from './store/outbox-repository.js';
import { writeStatusFile, type AgentStatus } from './status/status-file.js';
import { signerImplementation } from '../shared/signing/libsodium.js';

export interface Clock {
  now(): number;
}

export interface CreateAgentOptions {
  config: AgentConfig;
  log: Logger;
  clock?: Clock;
  /** Defaults to the driver registry; the benchmark and tests use the real one too. */
  drivers?: DriverSource;
}

export interface Agent {
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): AgentStatus;
  /** Poll-cycle durations so far (ms), for the benchmark. */
  cycleDurations(): readonly number[];
}

function agentVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

function intervalOf(expr: string): number | undefined {
  try {
    const task = cron.createTask(expr, () => {});
    const runs = task.getNextRuns(2);
    void task.destroy();
    return runs.length === 2 ? (runs[1]!.getTime() - runs[0]!.getTime()) / 1000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The edge agent's composition root: config → store → broker link → drivers →
 * poller and reconciler. Nothing here is module state, so several agents can
 * run in one process (tests).
 */
export function createAgent(options: CreateAgentOptions): Agent {
  const { config } = options;
  const now = () => (options.clock ? options.clock.now() : Date.now());
  const log = options.log.child({ component: 'agent', site: config.site, agent: config.agent });
  const db = openAgentDb(config.dataDir);
  const session = createMetaRepository(db).nextSession();
  const outboxRepo = createOutboxRepository(db);
  const curtailRepo = createCurtailRepository(db);
  const startedAt = now();
  const version = agentVersion();
  const pollIntervalS = intervalOf(config.poll.cron);
  const cycleMs: number[] = [];
  let collectorOnline: boolean | null = null;
  let lastPoll: (Sample & { durationMs: number }) | null = null;
  let measurement: Measurement | undefined;
  let meter: MeterDriver | undefined;
  let inventory: ReturnType<typeof createInventory> | undefined;
  let rediscover: ScheduledTask | undefined;
  let pollCount = 0;
  let birthKey = '';
  let running = false;
  const decodeFailures = { count: 0, lastLogAt: 0 };

  const link = createMqttLink({
    site: config.site,
    agent: config.agent,
    broker: config.broker,
    session,
    log: log.child({ component: 'mqtt-link' }),
    now,
    onMessage,
    onConnected: () => writeStatus(),
    onDisconnected: () => {
      outbox.connectionLost();
      writeStatus();
    },
  });
  const outbox = createOutbox({
    repo: outboxRepo,
    link,
    site: config.site,
    agent: config.agent,
    session,
    limits: { maxRows: config.outbox.maxRows, maxBytes: config.outbox.maxBytes },
    replayPerSecond: config.outbox.replayPerSecond,
    ackTimeoutMs: config.outbox.ackTimeoutMs,
    log: log.child({ component: 'outbox' }),
    now,
  });
  const keys: TrustedKey[] = [];
  const reconciler = createControlReconciler({
    repo: curtailRepo,
    keys,
    config: config.curtailment,
    concurrency: config.poll.concurrency,
    miners: () => inventory?.list() ?? [],
    measurement: () => measurement,
    report,
    log: log.child({ component: 'reconciler' }),
    now,
    powerTargets: createPowerTargetActions({
      repo: createPowerTargetRepository(db),
      curtailRepo,
      neverCurtail: new Set(config.curtailment.neverCurtail),
      confirmTimeoutMs: config.curtailment.confirmTimeoutMs,
      log: log.child({ component: 'power-target' }),
      now,
    }),
  });
  const poller = createPoller({ cron: config.poll.cron, cycle, log: log.child({ component: 'poller' }) });

  /** Through the outbox: a report made while offline survives an agent restart and goes out once acked. */
  function report(body: ReportBody): void {
    log.info({ revision: body.revision, status: body.status, reason: body.reason }, 'control report');
    outbox.enqueueReport(body);
  }

  function onMessage(result: DecodeResult, bytes: Uint8Array): void {
    if (!result.ok) {
      if (/\/control$/.test(result.error.topic)) {
        reconciler.handleControl(result, bytes);
        return;
      }
      decodeFailures.count++;
      if (now() - decodeFailures.lastLogAt > 10_000) {
        decodeFailures.lastLogAt = now();
        log.warn({ reason: result.error.reason, message: result.error.message, count: decodeFailures.count }, 'inbound message refused');
      }
      return;
    }
    const m = result.message;
    if (m.kind === 'telemetry/ack') outbox.ack(m.payload.session, m.payload.seq);
    else if (m.kind === 'control') reconciler.handleControl(result, bytes);
    else if (m.kind === 'collector/state') {
      if (collectorOnline !== m.payload.online) log.info({ online: m.payload.online }, 'collector state');
      collectorOnline = m.payload.online;
    }
  }

  function refreshBirth(): void {
    const miners = inventory?.list() ?? [];
    const birth = buildBirth(config, session, miners, version, now(), pollIntervalS);
    const key = JSON.stringify({ ...birth, ts: 0, agentClock: 0 });
    if (key === birthKey) return;
    birthKey = key;
    link.setBirth(birth);
  }

  async function cycle(): Promise<void> {
    if (!inventory) return;
    const started = now();
    const miners = inventory.list();
    const [result, meterReading] = await Promise.all([
      // A missed read shows the last reading for two poll intervals before the miner counts offline.
      pollCycle(miners, { concurrency: config.poll.concurrency, timeoutMs: config.poll.timeoutMs, keepLastMs: 2 * (pollIntervalS ?? 10) * 1000, now, log: log.child({ component: 'poll' }) }),
      meter ? meter.read() : Promise.resolve(undefined as MeterReading | undefined),
    ]);
    const curtailed = reconciler.curtailedIds();
    const sample = buildSample(result.readings, meterReading, { ts: started, revision: reconciler.revisionInForce(), curtailedMiners: curtailed.size });
    pollCount++;
    outbox.enqueue('sample', { samples: [sample] });
    const full = (pollCount - 1) % config.poll.detailEvery === 0;
    const detailOf = full ? result.readings : result.changed;
    if (detailOf.length > 0) {
      const chunks = splitDetail(detailOf.map((r) => toMinerDetail(r, curtailed.has(r.id))));
      chunks.forEach((miners, index) => outbox.enqueue('detail', { samples: [], miners, ...(chunks.length > 1 ? { part: { index, count: chunks.length } } : {}) }));
    }
    measurement = { ts: started, meterKw: sample.meterKw, minerKw: sample.minerKw };
    const durationMs = now() - started;
    cycleMs.push(durationMs);
    if (cycleMs.length > 100_000) cycleMs.splice(0, 50_000);
    lastPoll = { ...sample, durationMs };
    if (pollCount === 1 || result.changed.length > 0) refreshBirth();
    void reconciler.tick();
    writeStatus();
  }

  function status(): AgentStatus {
    const s = link.stats();
    return {
      site: config.site,
      agent: config.agent,
      pid: process.pid,
      session,
      startedAt,
      updatedAt: now(),
      running,
      broker: { url: config.broker.url, connected: link.connected, connects: s.connects, disconnects: s.disconnects, lastError: s.lastError },
      collectorOnline,
      lastPoll,
      polls: poller.stats(),
      miners: { total: inventory?.list().length ?? 0, undetected: inventory?.list().filter((m) => !m.driver).length ?? 0 },
      outbox: { ...outbox.depth(), ...outbox.stats() },
      control: reconciler.status(),
    };
  }

  function writeStatus(): void {
    try {
      writeStatusFile(config.dataDir, status());
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'status file not written');
    }
  }

  return {
    async start() {
      for (const k of config.controlPublicKeys) {
        const path = typeof k === 'string' ? k : k.path;
        const notAfter = typeof k === 'string' || !k.notAfter ? undefined : Date.parse(k.notAfter);
        keys.push({ key: await loadPublicKey(path), ...(notAfter !== undefined ? { notAfter } : {}) });
      }
      const drivers = options.drivers ?? defaultDriverSource;
      inventory = createInventory({ config, drivers, context: { requestTimeoutMs: config.poll.timeoutMs, now }, log: log.child({ component: 'inventory' }), concurrency: config.poll.concurrency });
      if (config.meter) {
        meter = createMeterDriver(config.meter, { log: log.child({ component: 'meter' }), now });
      }
      running = true;
      reconciler.start();
      link.start();
      outbox.start();
      await Promise.all([inventory.discover(), meter?.start()]);
      log.info({ session, miners: inventory.list().length, meter: Boolean(meter), verifier: signerImplementation }, 'agent started');
      await poller.runNow();
      poller.start();
      rediscover = cron.schedule(config.poll.rediscoverCron, () => {
        void inventory?.discover().then(refreshBirth).catch((err: Error) => log.warn({ err: err.message }, 'rediscovery failed'));
      });
    },
    async stop() {
      if (!running) return;
      running = false;
      if (rediscover) {
        await rediscover.stop();
        await rediscover.destroy();
      }
      await poller.stop();
      await reconciler.stop();
      await outbox.stop();
      await link.stop();
      await meter?.stop();
      writeStatus();
      db.close();
      log.info({ session }, 'agent stopped');
    },
    status,
    cycleDurations: () => cycleMs,
  };
}

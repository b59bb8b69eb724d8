import type { FastifyInstance } from 'fastify';
import type { Logger } from '../shared/log/logger.js';
import { loadPrivateKey, loadPublicKey } from '../shared/signing/key-files.js';
import { signerImplementation } from '../shared/signing/libsodium.js';
import { createAlertService } from './alerts/alert-service.js';
import { createAuditLog } from './audit/audit-log.js';
import { auditedEvent } from './audit/audited-views.js';
import type { ChangeHook } from './audit/change-hook.js';
import { createRegistryAudit } from './audit/registry-audit.js';
import { createSignInLimiter } from './auth/sign-in-limiter.js';
import { createUserService } from './auth/user-service.js';
import { connectCollectorClient, openBroker } from './broker/collector-link.js';
import { shutDownCollector, type RunningParts } from './collector-shutdown.js';
import { createCompanyCaps } from './compliance/company-caps.js';
import { createComplianceService } from './compliance/compliance-service.js';
import type { CollectorConfig } from './config/collector-config.js';
import { applyConfigRegistry } from './config/config-registry.js';
import { mqttControlChannel } from './events/control-channel.js';
import { createEventService } from './events/event-service.js';
import { alertView, eventView, violationView, type ApiContext } from './http/api-context.js';
import { createHttpServer } from './http/http-server.js';
import { readTlsFiles } from './http/tls-files.js';
import { createIngest, type CommittedBatch } from './ingest/ingest.js';
import { startScheduledJobs } from './jobs/scheduled-jobs.js';
import { createDueTerms } from './jobs/due-terms.js';
import { LiveState } from './live/live-state.js';
import { createSiteUpdates } from './live/site-updates.js';
import { createStreamHub } from './live/stream-hub.js';
import { collectorGauges } from './metrics/collector-gauges.js';
import { createCollectorMetrics, type LiveGauges } from './metrics/collector-metrics.js';
import { createWebhookNotifier } from './notify/webhook-notifier.js';
import { createVen, type Ven } from './openadr/ven.js';
import { createCommitPipeline } from './pipeline/commit-pipeline.js';
import { createEnforcement } from './pipeline/enforcement.js';
import { createRollupQueue } from './pipeline/rollup-queue.js';
import { openStore } from './store/open-store.js';
import { createLeaderElection } from './cluster/leader-lease.js';
import { runWhileLeader } from './cluster/while-leader.js';
import { createLocalLiveBus } from './live/live-bus.js';
import { liveChangesOf } from './live/live-changes.js';
import { createPeerLiveUpdates } from './live/peer-live-updates.js';
import { createPostgresLiveBus } from './live/postgres-live-bus.js';
import { createPeerStream } from './live/peer-stream.js';
import type { StorePort } from './store/store-port.js';

export const COLLECTOR_VERSION = '0.1.0';

export interface CreateCollectorOptions {
  config: CollectorConfig;
  log: Logger;
  /** Wall clock in ms; tests may pass their own. */
  clock?: () => number;
  /** Extra HTTP routes on the API server (the dashboard). */
  extendHttp?: (app: FastifyInstance) => void | Promise<void>;
  /** Every registry change made through the API, with before/after and who (the audit hook). */
  onChange?: ChangeHook;
}

export interface Collector {
  start(): Promise<void>;
  /** Stops taking messages, commits what is queued, publishes offline state, closes everything. */
  stop(): Promise<void>;
  readonly httpUrl: string;
  readonly brokerUrl: string;
  /** The store (docs/architecture.md): what every service reads and writes through; open from start() on. */
  readonly store: StorePort;
  readonly metrics: ReturnType<typeof createCollectorMetrics>;
  /** The OpenADR VEN when `openadr` is configured (docs/openadr.md). */
  readonly ven: Ven | undefined;
  /** Commits queued ingest messages now and refreshes rollups (tests). */
  flush(): Promise<void>;
}

/**
 * The collector's composition root (docs/architecture.md#the-collector): it only
 * wires. start() opens the store and joins the leader election, then builds the
 * services in dependency order (store → live state, compliance, alerts → broker
 * link and ingest → events → live bus and commit pipeline → jobs → the leader's
 * jobs → HTTP). No module state: several collectors can run in one process (tests).
 */
export function createCollector(options: CreateCollectorOptions): Collector {
  const { config } = options;
  const log = options.log.child({ component: 'collector' });
  const clock = options.clock ?? Date.now;
  let opened: StorePort | undefined;
  let gauges: LiveGauges | undefined; // /metrics shows live figures once start() built the live view
  const metrics = createCollectorMetrics(() => gauges);
  /** What start() brought up so far: stop() takes down exactly that, also after a failed start. */
  const parts: RunningParts = {};
  let httpUrl = '';
  let brokerUrl = '';
  let started = false;
  let stopping: Promise<void> | undefined;

  async function startParts(): Promise<void> {
    const [privateKey, publicKey] = await Promise.all([loadPrivateKey(config.signing.privateKeyFile), loadPublicKey(config.signing.publicKeyFile)]);
    const store = (parts.store = opened = await openStore(config.store, { dataDir: config.dataDir, log, siteDefaults: { greyTariffPerKwh: config.registry.greyTariffPerKwh } }));
    // What must happen once runs on the leader only: one collector with SQLite, the lease holder with
    // PostgreSQL (docs/architecture.md, "Leader and fencing"); a takeover starts it on the next one.
    const election = (parts.election = createLeaderElection(config.store.kind === 'postgres' ? { kind: 'postgres', url: config.store.url } : { kind: 'single' }, config.cluster, log));
    // The services call each other back (alerts ⇄ webhooks, compliance → enforcement → events),
    // so a callback may name a service declared further down. None is called before that service
    // exists: enforcement and the commit pipeline act on committed batches, and ingest commits once started.
    const hub = (parts.hub = createStreamHub());
    // Collectors sharing a PostgreSQL store tell each other their live changes, so each one's
    // live view (dashboards, and the leader's reconcile) covers every site (docs/architecture.md);
    // it sends nothing before start() below, and the stream messages here go to peers too.
    const bus = (parts.bus = config.store.kind === 'postgres' ? createPostgresLiveBus({ url: config.store.url, log }) : createLocalLiveBus());
    const stream = (parts.stream = createPeerStream(hub, bus));
    const live = new LiveState(config.onlineAfterS * 1000);
    const audit = createAuditLog(store.audit, clock, (entry) => {
      stream.now('audit', entry);
      if (entry.action === 'event.create' || entry.action === 'event.cancel') {
        notifier.notify(entry.action === 'event.create' ? 'event.created' : 'event.cancelled', { event: entry.after, actor: { kind: entry.actorKind, name: entry.actor } });
      }
    });
    const users = createUserService({ store, audit, clock });
    const signIns = createSignInLimiter({ maxFailures: config.auth.maxFailedSignIns, windowMs: config.auth.signInWindowS * 1000 }, clock);
    const compliance = createComplianceService({
      store, config: config.compliance, log, clock,
      onViolation: (change, violation) => {
        const v = violationView(violation);
        stream.now('violation', { change, violation: v });
        notifier.notify(change === 'opened' ? 'violation.opened' : 'violation.closed', v);
      },
      enforce: (site) => enforcement.enforceSite(site),
      onHardCap: (_change, site) => alerts.evaluateSite(site.id),
      acts: () => election.isLeader(),
    });
    const companyCaps = createCompanyCaps({
      store, clock, log, hysteresis: config.compliance.hysteresis,
      averageOf: (siteId) => compliance.averageKw(siteId),
      onViolation: (change, violation) => stream.now('company_violation', { change, violation }),
      limit: (company, sites) => enforcement.limitCompany(company, sites),
      acts: () => election.isLeader(),
    });
    const alerts = (parts.alerts = createAlertService({ store, live, compliance, config: config.alerts, metrics, log, clock, onChange: (change, alert) => {
      stream.now('alert', { change, alert: alertView(alert) });
      notifier.notify(change === 'opened' ? 'alert.opened' : 'alert.closed', alertView(alert), alert.kind);
    } }));
    const notifier = (parts.notifier = createWebhookNotifier({
      config: config.notifications, queue: store.webhooks, metrics, log, clock,
      onFailing: (target, details) => alerts.raise('webhook_failing', target, details),
      onRecovered: (target) => alerts.resolve('webhook_failing', target),
    }));
    const rollups = (parts.rollups = createRollupQueue(store.rollups, log));
    const siteChanged = createSiteUpdates({ hub, store, live, compliance, clock });
    const recordChange = createRegistryAudit({ store, audit, onChange: options.onChange, log, clock });
    gauges = collectorGauges(store, live, compliance, clock);

    await applyConfigRegistry(config, store, audit, clock());
    live.load(await store.agents.list());
    await compliance.load();
    await companyCaps.load();
    await alerts.load();

    // Ingest commits only after start(), when the pipeline below exists.
    const ingest = (parts.ingest = createIngest({ store, metrics, log, config: config.ingest, clock, onCommitted: (batch: CommittedBatch) => onCommitted(batch) }));
    const broker = await openBroker(config, log);
    parts.broker = broker.embedded;
    brokerUrl = broker.url;
    const client = (parts.client = await connectCollectorClient({ url: broker.url, config, log, clock, beforeConnect: (c) => ingest.attach(c) }));
    // Competing once the broker is there (a collector waiting for it must not hold the lead it
    // cannot publish with) and before ingest's first commit, so the services know from it whether
    // they lead; the once-only jobs attach further down and begin at once when the term is held.
    await election.start();
    const eventChanged = (id: string) => hub.publish('event', id, async () => { const e = await events.get(id); return e && eventView(e); });
    const events = (parts.events = createEventService({
      store, live, channel: mqttControlChannel(client), keys: { privateKey, publicKey }, config: config.events, log, clock, metrics,
      notify: (id) => {
        eventChanged(id);
        stream.eventChanged(id);
      },
    }));
    const enforcement = createEnforcement({ store, compliance, events, audit, log });
    await bus.start(createPeerLiveUpdates({
      live, siteChanged, log, clock,
      eventChanged,
      streamNow: (type, data) => hub.now(type, data),
      loadAgents: () => store.agents.list(),
      agentAppeared: (siteId) => void events.onAgent(siteId).catch((err: unknown) => log.error({ err }, 'control for a peer\'s new agent failed')),
      // Every collector follows every site's rolling average: a follower's compliance API covers the
      // whole fleet, and one that takes the lead has full windows at once (only the leader acts on them).
      sampled: (siteId, ts) => void compliance.observe(siteId, ts, live.view(siteId, clock()).kw).catch((err: unknown) => log.error({ err }, 'compliance failed on a peer\'s sample')),
    }));
    const followCommit = createCommitPipeline({ store, live, compliance, companyCaps, events, audit, rollups, siteChanged, log, clock });
    const onCommitted = async (batch: CommittedBatch) => {
      await followCommit(batch);
      void bus.publish(liveChangesOf(batch, clock()));
    };
    await ingest.start();

    let ven: Ven | undefined;
    if (config.openadr) {
      const openadrActor = { kind: 'system' as const, name: `openadr:${config.openadr.venName}` };
      const onEvent = (action: 'event.create' | 'event.cancel', id: string) => {
        void (async () => {
          const e = await events.get(id);
          const after = e && auditedEvent(eventView(e));
          await audit.record(openadrActor, action, { site: after && after.sites.length === 1 ? after.sites[0] : null, target: id, after: after ?? null });
        })().catch((err: unknown) => log.error({ err, event: id }, 'audit entry could not be written'));
      };
      ven = parts.ven = createVen({ config: config.openadr, store, events, live, log, clock, registry: metrics.registry, onEvent });
    }
    const applyDueTerms = createDueTerms({ store, compliance, siteChanged, log, clock });
    const jobs = (parts.jobs = await startScheduledJobs({ store, rollups, applyDueTerms, retention: config.retention, log, clock }));

    metrics.leader(() => election.isLeader());
    parts.leaderJobs = [
      runWhileLeader(election, async () => void (await Promise.all([compliance.load(), companyCaps.load()])), log), // the violations the last leader opened
      runWhileLeader(election, (term, signal) => events.lead(term, signal), log),
      runWhileLeader(election, (_term, signal) => alerts.lead(signal), log),
      runWhileLeader(election, (_term, signal) => notifier.lead(signal), log),
      runWhileLeader(election, (_term, signal) => jobs.lead(signal), log),
    ];

    const ctx: ApiContext = {
      config, store, live, compliance, alerts, hub, metrics, audit, users, signIns, clock, events, companyCaps, recordChange,
      refreshRollups: () => rollups.refreshNow(),
      async siteChanged(site, before, by, actor) {
        ingest.forgetSite(site.site);
        compliance.forget(site.id);
        companyCaps.forget();
        siteChanged(site.id);
        await recordChange({ entity: 'site', id: site.site, before: before ? { ...before } : null, after: { ...site }, by, ...(actor ? { actor } : {}), at: clock() });
      },
      health: () => ({ ok: started && client.connected, mqtt: client.connected, db: parts.store !== undefined }),
      openadr: () => ven?.status(),
    };
    const tls = await readTlsFiles(config.http.tls);
    const extend = async (app: FastifyInstance) => {
      ven?.registerRoutes(app);
      await options.extendHttp?.(app);
    };
    const http = (parts.http = await createHttpServer({ ctx, log, version: COLLECTOR_VERSION, extend, ...(tls ? { tls } : {}) }));
    await http.listen({ host: config.http.host, port: config.http.port });
    const addr = http.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.http.port;
    httpUrl = `${tls ? 'https' : 'http'}://${config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host}:${port}`;
    if (ven) parts.leaderJobs.push(runWhileLeader(election, (_term, signal) => ven!.lead(signal), log));
    started = true;
    log.info({ httpUrl, brokerUrl, sites: (await store.sites.list()).length, signer: signerImplementation }, 'collector started');
  }

  /** A start that fails half-way takes down what it brought up (connections, the lease, timers) before it throws. */
  async function start(): Promise<void> {
    try {
      await startParts();
    } catch (err) {
      await stop().catch((stopErr: unknown) => log.warn({ err: stopErr }, 'clean-up after a failed start failed'));
      throw err;
    }
  }

  function stop(): Promise<void> {
    stopping ??= shutDownCollector(parts, log, clock).then(() => {
      started = false;
      log.info('collector stopped');
    });
    return stopping;
  }

  return {
    get httpUrl() { return httpUrl; },
    get brokerUrl() { return brokerUrl; },
    get store() {
      if (!opened) throw new Error('collector.store before start()');
      return opened;
    },
    metrics,
    get ven() { return parts.ven; },
    async flush() {
      parts.ingest?.flush();
      await parts.rollups?.refreshNow();
    },
    start,
    stop,
  };
}

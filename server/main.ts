import { readFile } from 'node:fs/promises';
import cron from 'node-cron';
import type { FastifyInstance } from 'fastify';
import { brokerClientOptions } from '../shared/config/broker-config.js';
import { AppError } from '../shared/errors.js';
import type { Logger } from '../shared/log/logger.js';
import { coalesceWrites } from '../shared/mqtt/coalesce-writes.js';
import { connectMqtt, type MqttClient } from '../shared/mqtt/connect.js';
import { encodeCollectorState } from '../shared/protocol/index.js';
import { loadPrivateKey, loadPublicKey } from '../shared/signing/key-files.js';
import { createAlertService } from './alerts/alert-service.js';
import { COMPLIANCE_ACTOR, CONFIG_ACTOR, SYSTEM_ACTOR, createAuditLog } from './audit/audit-log.js';
import { auditedEvent, auditedSite, registryAction, siteAction } from './audit/audited-views.js';
import { createSignInLimiter } from './auth/sign-in-limiter.js';
import { createUserService } from './auth/user-service.js';
import { startEmbeddedBroker, type EmbeddedBroker } from './broker/embedded-broker.js';
import { createComplianceService } from './compliance/compliance-service.js';
import type { CollectorConfig } from './config/collector-config.js';
import { createEventService, type EventService } from './events/event-service.js';
import { createHttpServer } from './http/http-server.js';
import { alertView, violationView, eventView, siteSummary, type ApiContext } from './http/api-context.js';
import { createWebhookNotifier } from './notify/webhook-notifier.js';
import { createIngest, type CommittedBatch, type Ingest } from './ingest/ingest.js';
import { LiveState } from './live/live-state.js';
import { createStreamHub } from './live/stream-hub.js';
import { createCollectorMetrics } from './metrics/collector-metrics.js';
import { databaseSizeBytes, openDatabase, type Db } from './store/database.js';
import { createRepositories, type Repositories } from './store/repositories.js';
import type { SiteRow } from './store/site-repository.js';
import { createVen, type Ven } from './openadr/ven.js';
import type { ChangeHook, RegistryChange } from './audit/change-hook.js';
import { createCompanyCaps } from './compliance/company-caps.js';
import type { CompanyRow } from './store/company-repository.js';

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
  readonly db: Db;
  readonly repos: Repositories;
  readonly metrics: ReturnType<typeof createCollectorMetrics>;
  /** The OpenADR VEN when `openadr` is configured (docs/openadr.md). */
  readonly ven: Ven | undefined;
  /** Commits queued ingest messages now and refreshes rollups (tests). */
  flush(): void;
}

/**
 * The collector's composition root: config → logger → store → broker link →
 * ingest, compliance, events → HTTP. No module state: several collectors can
 * run in one process (tests).
 */
export function createCollector(options: CreateCollectorOptions): Collector {
  const { config } = options;
  const log = options.log.child({ component: 'collector' });
  const clock = options.clock ?? Date.now;
  const db = openDatabase(config.dataDir, log);
  const repos = createRepositories(db, { greyTariffPerKwh: config.registry.greyTariffPerKwh });
  const audit = createAuditLog(repos.audit, clock, (entry) => {
    hub.now('audit', entry);
    if (entry.action === 'event.create' || entry.action === 'event.cancel') {
      notifier.notify(entry.action === 'event.create' ? 'event.created' : 'event.cancelled', { event: entry.after, actor: { kind: entry.actorKind, name: entry.actor } });
    }
  });
  const users = createUserService({ users: repos.users, audit, clock, transaction: repos.transaction });
  const signIns = createSignInLimiter({ maxFailures: config.auth.maxFailedSignIns, windowMs: config.auth.signInWindowS * 1000 }, clock);
  const live = new LiveState(config.onlineAfterS * 1000);
  const hub = createStreamHub();
  const dirty = new Map<string, { siteId: number; bucket: number }>();
  let gauges: Parameters<typeof createCollectorMetrics>[0] extends () => infer G ? G : never;
  const metrics = createCollectorMetrics(() => gauges);
  let client: MqttClient | undefined;
  let broker: EmbeddedBroker | undefined;
  let ingest: Ingest | undefined;
  let events: EventService | undefined;
  let ven: Ven | undefined;
  let http: FastifyInstance | undefined;
  let httpUrl = '';
  let brokerUrl = '';
  const jobs: Array<{ stop(): unknown }> = [];
  let started = false;
  let stopping: Promise<void> | undefined;

  const compliance = createComplianceService({
    repos, config: config.compliance, log, clock,
    onViolation: (change, violation) => {
      const v = violationView(violation);
      hub.now('violation', { change, violation: v });
      notifier.notify(change === 'opened' ? 'violation.opened' : 'violation.closed', v);
    },
    enforce: (site) => enforce(site),
    onHardCap: (_change, site) => alerts.evaluateSite(site.id),
  });
  const companyCaps = createCompanyCaps({
    repos, clock, log, hysteresis: config.compliance.hysteresis,
    averageOf: (siteId) => compliance.averageKw(siteId),
    onViolation: (change, violation) => hub.now('company_violation', { change, violation }),
    limit: (company, sites) => limitCompany(company, sites),
  });
  const alerts = createAlertService({ db, repos, live, compliance, config: config.alerts, metrics, log, clock, onChange: (change, alert) => {
    hub.now('alert', { change, alert: alertView(alert) });
    notifier.notify(change === 'opened' ? 'alert.opened' : 'alert.closed', alertView(alert), alert.kind);
  } });
  const notifier = createWebhookNotifier({
    config: config.notifications, queue: repos.webhooks, metrics, log, clock,
    onFailing: (target, details) => alerts.raise('webhook_failing', target, details),
    onRecovered: (target) => alerts.resolve('webhook_failing', target),
  });

  function enforce(site: SiteRow): void {
    if (!events) return;
    const already = repos.events.liveTargetsOfSite(site.id).some((t) => repos.events.get(t.eventId)?.createdBy === 'compliance');
    if (already) return;
    try {
      const why = compliance.hardCap(site.id) ? `over its hard cap of ${site.hardCapKw} kW` : `over its allocation of ${site.allocationKw} kW`;
      const { event } = events.create({ scope: { sites: [site.site] }, kind: 'limit_to_kw', value: site.allocationKw, durationS: 3600, priority: 'high', reason: `auto-enforcement: ${site.site} ${why}` }, 'compliance');
      audit.record(COMPLIANCE_ACTOR, 'event.create', { site: site.site, target: event.id, after: auditedEvent(eventView(event)) });
    } catch (err) {
      log.warn({ err, site: site.site }, 'auto-enforcement failed');
    }
  }

  /** Company auto-limit: one live limit event per company at a time. */
  const companyLimits = new Map<string, string>();
  function limitCompany(company: CompanyRow, sites: SiteRow[]): void {
    if (!events || sites.length === 0) return;
    const running = companyLimits.get(company.id);
    if (running && ['scheduled', 'active'].includes(repos.events.get(running)?.status ?? '')) return;
    try {
      const { event } = events.create({ scope: { sites: sites.map((s) => s.site) }, kind: 'limit_to_kw', value: company.hardCapKw!, durationS: 3600, priority: 'high', reason: `auto-limit: company ${company.id} over its cap of ${company.hardCapKw} kW` }, 'compliance');
      companyLimits.set(company.id, event.id);
    } catch (err) {
      log.warn({ err, company: company.id }, 'company auto-limit failed');
    }
  }

  function takeDirty(): Array<{ siteId: number; bucket: number }> {
    const items = [...dirty.values()];
    dirty.clear();
    return items;
  }
  /** Synchronous: an API read (energy, series) sees everything committed. */
  function refreshRollups(): void {
    if (dirty.size) repos.rollups.refreshNow(takeDirty());
  }
  let rollupJob: Promise<unknown> | undefined;
  /** The minute job: in chunks, yielding to ingest between them. */
  function rollupTick(): void {
    if (rollupJob || dirty.size === 0) return;
    rollupJob = repos.rollups.refresh(takeDirty())
      .catch((err: unknown) => log.error({ err }, 'rollup job failed'))
      .finally(() => { rollupJob = undefined; });
  }

  /** Terms dated in the future (allocation, hard cap, tariff from a later time) belong in the audit entry too: the row shows today's. */
  function withScheduled(site: ReturnType<typeof auditedSite>, siteId: number) {
    const now = clock();
    const scheduled = repos.sites.terms(siteId).filter((t) => t.effectiveFrom > now).map(({ changedAt: _c, ...t }) => t);
    return scheduled.length ? { ...site, scheduledTerms: scheduled } : site;
  }

  function recordChange(change: RegistryChange): void {
    try {
      audit.record(change.actor ?? { kind: 'system', name: change.by }, registryAction(change), {
        site: change.entity === 'site' ? change.id : null, target: change.id,
        before: change.before && (change.entity === 'site' ? auditedSite(change.before as unknown as SiteRow) : change.before),
        after: change.after && (change.entity === 'site' ? withScheduled(auditedSite(change.after as unknown as SiteRow), (change.after as unknown as SiteRow).id) : change.after),
      });
    } catch (err) {
      log.error({ err, entity: change.entity, id: change.id }, 'audit entry could not be written');
    }
    try {
      options.onChange?.(change);
    } catch (err) {
      log.warn({ err, entity: change.entity, id: change.id }, 'change hook failed');
    }
  }

  /** Dated terms (allocation, hard cap, tariff) that came due since the last look. */
  let termsCheckedTo = 0;
  function applyDueTerms(): void {
    const now = clock();
    try {
      for (const id of repos.sites.applyDueTerms(termsCheckedTo, now)) {
        compliance.forget(id);
        publishSite(id);
      }
      termsCheckedTo = now;
    } catch (err) {
      log.warn({ err }, 'could not apply dated site terms');
    }
  }

  function publishSite(siteId: number): void {
    hub.publish('site', String(siteId), () => {
      const s = repos.sites.getById(siteId);
      return s && siteSummary(ctx, s, clock());
    });
  }

  function onCommitted(batch: CommittedBatch): void {
    const now = clock();
    for (const s of batch.newSites) {
      log.warn({ site: s }, 'unknown site reported; created as unregistered');
      const row = repos.sites.get(s);
      audit.record(SYSTEM_ACTOR, 'site.flagged', { site: s, target: s, after: row ? auditedSite(row) : null });
    }
    for (const r of batch.seen) live.seen(r.siteId, r.agentId, r.agent, now);
    for (const s of batch.states) {
      live.state(s.siteId, s.agentId, s.agent, s.online, now);
      publishSite(s.siteId);
    }
    for (const b of batch.births) {
      events?.onAgent(b.siteId);
      publishSite(b.siteId); // its declared region may have changed
    }
    const sites = new Set<number>();
    for (const l of batch.latest) {
      if (!live.sample(l.siteId, l.agentId, l.agent, l.sample, now)) continue;
      // Every sample in time order: the compliance window must see each one, not only a batch's last.
      compliance.observe(l.siteId, l.sample.ts, live.view(l.siteId, now).kw);
      sites.add(l.siteId);
    }
    repos.transaction(() => {
      for (const siteId of sites) {
        events?.onSiteUpdate(siteId, live.view(siteId, now));
        publishSite(siteId);
      }
    });
    const companies = new Set<string>();
    for (const siteId of sites) {
      const c = compliance.site(siteId)?.company;
      if (c) companies.add(c);
    }
    for (const c of companies) companyCaps.check(c);
    if (batch.reports.length) events?.onReports(batch.reports);
    for (const d of batch.dirty) dirty.set(`${d.siteId}:${d.bucket}`, d);
  }

  const ctx: ApiContext = {
    config, repos, live, compliance, alerts, hub, metrics, audit, users, signIns, clock, refreshRollups,
    get events() {
      return events!;
    },
    companyCaps,
    siteChanged(site, before, by, actor) {
      ingest?.forgetSite(site.site);
      compliance.forget(site.id);
      companyCaps.forget();
      publishSite(site.id);
      recordChange({ entity: 'site', id: site.site, before: before ? { ...before } : null, after: { ...site }, by, ...(actor ? { actor } : {}), at: clock() });
    },
    recordChange,
    health: () => ({ ok: started && !!client?.connected, mqtt: !!client?.connected, db: db.open }),
    openadr: () => ven?.status(),
  };

  gauges = {
    dbSizeBytes: () => databaseSizeBytes(db),
    sitesTotal: () => repos.sites.list().length,
    sitesOnline: () => live.siteIds().filter((id) => live.view(id, clock()).online).length,
    agentsOnline: () => live.siteIds().reduce((a, id) => a + live.view(id, clock()).agentsOnline, 0),
    fleetKw: () => live.siteIds().reduce((a, id) => a + live.view(id, clock()).kw, 0),
    violationsOpen: () => compliance.openCount(),
    siteDraw: () => {
      const now = clock();
      return repos.sites.list().map((s) => ({ site: s.site, kw: live.view(s.id, now).kw, allocationKw: s.registered ? s.allocationKw : 0 }));
    },
  };

  async function connect(beforeConnect: (c: MqttClient) => void): Promise<MqttClient> {
    if (config.broker) brokerUrl = config.broker.url;
    else {
      broker = await startEmbeddedBroker({ host: config.embeddedBroker.host, port: config.embeddedBroker.port, log });
      brokerUrl = broker.url;
    }
    const base = config.broker ? brokerClientOptions(config.broker) : {};
    const clientId = config.broker?.clientId ?? config.ingest.clientId;
    const offline = encodeCollectorState({ v: 1, online: false, ts: clock(), instance: clientId });
    const c = await connectMqtt({
      ...base, url: brokerUrl, clientId, clean: false, reconnectPeriod: 1000,
      properties: { sessionExpiryInterval: config.ingest.sessionExpiryS },
      will: { topic: offline.topic, payload: offline.payload, qos: 1, retain: true },
      beforeConnect,
    });
    const announce = () => {
      const online = encodeCollectorState({ v: 1, online: true, ts: clock(), instance: clientId });
      c.publish(online.topic, online.payload, { qos: 1, retain: true });
    };
    coalesceWrites(c); // one PUBACK syscall per burst of reports, not per report
    c.on('connect', announce);
    c.on('error', (err) => log.warn({ err: err.message }, 'mqtt error'));
    c.on('offline', () => log.warn('mqtt offline; reconnecting'));
    announce();
    return c;
  }

  return {
    get httpUrl() { return httpUrl; },
    get brokerUrl() { return brokerUrl; },
    db, repos, metrics,
    get ven() { return ven; },
    flush() {
      ingest?.flush();
      refreshRollups();
    },
    async start() {
      const [privateKey, publicKey] = await Promise.all([loadPrivateKey(config.signing.privateKeyFile), loadPublicKey(config.signing.publicKeyFile)]);
      const now = clock();
      db.transaction(() => {
        for (const s of config.sites) {
          const before = repos.sites.get(s.id);
          const { row, created } = repos.sites.upsert(s, now);
          // The YAML changed a site (allocation, tariff…): audited like an API change, by the config.
          const [b, a] = [before && auditedSite(before), auditedSite(row)];
          if (created || JSON.stringify(b) !== JSON.stringify(a)) audit.record(CONFIG_ACTOR, created ? 'site.create' : siteAction(before!, row), { site: row.site, target: row.site, before: b ?? null, after: a });
        }
        for (const c of config.companies) {
          const settings = (x: CompanyRow) => ({ name: x.name, allocationKw: x.allocationKw, hardCapKw: x.hardCapKw, autoLimit: x.autoLimit });
          const before = repos.companies.get(c.id);
          const { row } = repos.companies.upsert(c, now);
          if (!before || JSON.stringify(settings(before)) !== JSON.stringify(settings(row))) audit.record(CONFIG_ACTOR, before ? 'company.update' : 'company.create', { target: row.id, before: before ? settings(before) : null, after: settings(row) });
        }
      })();
      live.load(repos.agents.list());
      compliance.load();
      companyCaps.load();
      alerts.load();
      ingest = createIngest({ db, repos, metrics, log, config: config.ingest, clock, onCommitted });
      const attached = ingest;
      client = await connect((c) => attached.attach(c));
      events = createEventService({ repos, live, client, keys: { privateKey, publicKey }, config: config.events, log, clock, metrics, notify: (id) => hub.publish('event', id, () => { const e = events?.get(id); return e && eventView(e); }) });
      await ingest.start();
      events.start();
      if (config.openadr) {
        const openadrActor = { kind: 'system' as const, name: `openadr:${config.openadr.venName}` };
        const onEvent = (action: 'event.create' | 'event.cancel', id: string) => {
          const e = events?.get(id);
          const after = e && auditedEvent(eventView(e));
          audit.record(openadrActor, action, { site: after && after.sites.length === 1 ? after.sites[0] : null, target: id, after: after ?? null });
        };
        ven = createVen({ config: config.openadr, repos, events, live, log, clock, registry: metrics.registry, onEvent });
      }
      alerts.start();
      notifier.start();
      jobs.push(cron.schedule('0 * * * * *', rollupTick, { name: 'rollups' }));
      applyDueTerms();
      const termsTimer = setInterval(applyDueTerms, 1000);
      jobs.push({ stop: () => clearInterval(termsTimer) });
      jobs.push(cron.schedule('0 17 3 * * *', () => {
        try {
          const t = clock();
          const r = repos.rollups.applyRetention(repos.sites.list().map((s) => s.id), { raw: t - config.retention.rawDays * 86_400_000, m1: t - config.retention.rollup1mDays * 86_400_000, h1: t - config.retention.rollup1hDays * 86_400_000 });
          log.info(r, 'retention applied');
        } catch (err) { log.error({ err }, 'retention job failed'); }
      }, { name: 'retention' }));
      const pem = (field: 'certFile' | 'keyFile', path: string) => readFile(path).catch((err: Error) => {
        throw new AppError('CONFIG_INVALID', `http.tls.${field}: cannot read ${path}: ${err.message}`, { cause: err });
      });
      const tls = config.http.tls && { cert: await pem('certFile', config.http.tls.certFile), key: await pem('keyFile', config.http.tls.keyFile) };
      const extend = async (app: FastifyInstance) => {
        ven?.registerRoutes(app);
        await options.extendHttp?.(app);
      };
      http = await createHttpServer({ ctx, log, version: COLLECTOR_VERSION, extend, ...(tls ? { tls } : {}) });
      await http.listen({ host: config.http.host, port: config.http.port });
      const addr = http.server.address();
      const port = typeof addr === 'object' && addr ? addr.port : config.http.port;
      httpUrl = `${tls ? 'https' : 'http'}://${config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host}:${port}`;
      ven?.start();
      started = true;
      log.info({ httpUrl, brokerUrl, sites: repos.sites.list().length }, 'collector started');
    },
    stop() {
      stopping ??= (async () => {
        hub.close();
        if (http) await http.close();
        await ven?.stop();
        await ingest?.stop();
        alerts.stop();
        await events?.stop();
        await notifier.stop();
        for (const j of jobs) j.stop();
        await rollupJob;
        try { refreshRollups(); } catch (err) { log.warn({ err }, 'final rollup failed'); }
        if (client) {
          if (client.connected) {
            const offline = encodeCollectorState({ v: 1, online: false, ts: clock() });
            await client.publishAsync(offline.topic, offline.payload, { qos: 1, retain: true }).catch(() => undefined);
          }
          await client.endAsync().catch(() => undefined);
        }
        if (broker) await broker.stop();
        db.pragma('wal_checkpoint(TRUNCATE)');
        db.close();
        started = false;
        log.info('collector stopped');
      })();
      return stopping;
    },
  };
}

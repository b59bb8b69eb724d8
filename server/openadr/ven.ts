import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { describeError, isAppError } from '../../shared/errors.js';
import { formatIssues } from '../../shared/protocol/codec.js';
import type { Logger } from '../../shared/log/logger.js';
import { inScope } from '../events/event-planner.js';
import type { EventScope } from '../events/event-spec.js';
import type { EventService } from '../events/event-service.js';
import type { LiveState } from '../live/live-state.js';
import type { EventSource } from '../store/event-repository.js';
import type { StorePort } from '../store/store-port.js';
import { mapEvent, type ReportType } from './event-mapping.js';
import { NotificationSchema, OadrEventSchema, type OadrEvent, type OadrProgram } from './oadr-objects.js';
import type { OpenAdrConfig } from './openadr-config.js';
import { createMqttNotifications } from './mqtt-notifications.js';
import { buildReport } from './report-builder.js';
import { createVtnClient, VtnError, type VtnClient } from './vtn-client.js';
import { Counter, Gauge, type Registry } from 'prom-client';
import { oneAtATime } from '../../shared/async/one-at-a-time.js';

export interface VenOptions {
  config: OpenAdrConfig;
  /** Each hashwatt event the VEN creates or cancels (the audit log records it, by openadr:<venName>). */
  onEvent?: (action: 'event.create' | 'event.cancel', eventId: string) => void;
  store: StorePort;
  events: EventService;
  live: LiveState;
  log: Logger;
  clock: () => number;
  /** The collector's metrics registry (hashwatt_openadr_*). */
  registry?: Registry;
  client?: VtnClient;
}

export interface VenStatus {
  vtnUrl: string;
  venName: string;
  programs: Array<{ name: string; id: string | null }>;
  lastPollAt: number | null;
  lastPollOk: boolean | null;
  lastError: string | null;
  pendingReports: number;
  reportsSent: number;
  /** Events and notifications refused as not valid OpenADR 3, since the start. */
  invalidObjects: number;
  /** How the VEN hears of changes besides polling: a webhook subscription made, an MQTT notifier connected. */
  notifications: { webhook: boolean; mqtt: boolean };
}

const REPORT_TICK_MS = 1000;

/**
 * The collector as an OpenADR 3 VEN (docs/openadr.md): polls the VTN for the
 * events of the programs it follows (and hears of them sooner through webhook
 * notifications), turns each interval into a hashwatt event owned by
 * `openadr:<venName>`, follows modifications and deletions, and reports USAGE
 * and OPERATING_STATE per interval through a persisted outbox.
 */
export function createVen(options: VenOptions) {
  const { config, store, events, live, clock } = options;
  const log = options.log.child({ component: 'openadr' });
  const client = options.client ?? createVtnClient(config, clock);
  const actor = `openadr:${config.venName}`;
  const programs = new Map<string, OadrProgram>(); // programName → program, as the VTN last listed them
  const quiet = new Set<string>(); // event versions already mapped to nothing, so a poll does not log them again
  const status: Omit<VenStatus, 'pendingReports' | 'programs' | 'notifications'> = { vtnUrl: config.vtnUrl, venName: config.venName, lastPollAt: null, lastPollOk: null, lastError: null, reportsSent: 0, invalidObjects: 0 };
  const registers = options.registry ? [options.registry] : [];
  const counters = {
    invalid: new Counter({ name: 'hashwatt_openadr_invalid_total', help: 'OpenADR objects from the VTN refused as invalid, by kind', labelNames: ['object'], registers }),
    reports: new Counter({ name: 'hashwatt_openadr_reports_total', help: 'OpenADR report deliveries, by result (sent, retried, refused)', labelNames: ['result'], registers }),
    polls: new Counter({ name: 'hashwatt_openadr_poll_failures_total', help: 'Polls of the VTN that failed (down, slow, errors, refused credentials)', registers }),
  };
  new Gauge({ name: 'hashwatt_openadr_reports_pending', help: 'OpenADR reports waiting for the VTN', registers, async collect() { this.set(await store.openadr.pendingReports()); } });
  let pollTimer: NodeJS.Timeout | undefined;
  let reportTimer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | undefined;
  let sending: Promise<void> | undefined;
  const subscribedPrograms = new Set<string>();
  let stopped = false;
  // The callback's bearer token: derived from the secret, so it survives a restart of the collector.
  const mqttNotifications = createMqttNotifications({ config, client, log, onNotification: (body, from) => { void handleNotification(body, from); } });
  const callbackToken = createHash('sha256').update(`${config.auth.clientSecret}\n${config.callbackUrl ?? ''}`).digest('hex').slice(0, 40);

  async function siteIdsOf(scope: EventScope): Promise<number[]> {
    return (await store.sites.list()).filter((s) => inScope(s, scope)).map((s) => s.id);
  }

  /** Live draw of every site, read once per mapping (mapEvent asks per resource, synchronously). */
  async function drawKwOf(): Promise<(scope: EventScope) => number> {
    const sites = await store.sites.list();
    const now = clock();
    return (scope) => sites.filter((s) => inScope(s, scope)).reduce((a, s) => a + Math.max(0, live.view(s.id, now).kw), 0);
  }

  // A poll and a notification may carry the same VTN event at once: applying one at a time keeps
  // "already linked?" and "link it" together, so an interval is never created twice.
  const applying = oneAtATime();

  /** Cancels the hashwatt events still live for a VTN event; ended ones stay as they ended. */
  async function cancelLinked(vtnEventId: string): Promise<number> {
    let n = 0;
    for (const l of await store.openadr.links(vtnEventId)) {
      const e = await store.events.get(l.eventId);
      if (!e || (e.status !== 'scheduled' && e.status !== 'active')) continue;
      try {
        await events.cancel(l.eventId);
        options.onEvent?.('event.cancel', l.eventId);
        n++;
      } catch (err) {
        if (!isAppError(err, 'CONFLICT')) throw err;
      }
    }
    return n;
  }

  /** Makes hashwatt follow one version of a VTN event: new, modified (cancel and re-create what is still to come) or unchanged. */
  async function applyEvent(ev: OadrEvent, program: OadrProgram): Promise<void> {
    const links = await store.openadr.links(ev.id);
    if (links.length && links[0]!.modification === ev.modificationDateTime) return;
    if (!links.length && quiet.has(`${ev.id}@${ev.modificationDateTime}`)) return;
    const now = clock();
    const mapping = mapEvent(ev, { config, programName: program.programName, now, drawKw: await drawKwOf() });
    const cancelled = links.length ? await cancelLinked(ev.id) : 0;
    let created = 0;
    for (const m of mapping.intervals) {
      if (m.endTs <= now) continue; // already over: nothing left to do
      const source: EventSource = { kind: 'openadr', ven: config.venName, programId: program.id, programName: program.programName, vtnEventId: ev.id, intervalId: m.intervalId };
      try {
        const { event } = await events.create(m.request, actor, source);
        options.onEvent?.('event.create', event.id);
        await store.openadr.insertLink({ vtnEventId: ev.id, intervalId: m.intervalId, eventId: event.id, programId: program.id, modification: ev.modificationDateTime, startTs: m.startTs, endTs: m.endTs, resource: m.resource, reportTypes: mapping.reportTypes, aggregate: mapping.aggregate });
        created++;
      } catch (err) {
        log.warn({ err: describeError(err), vtnEventId: ev.id, intervalId: m.intervalId }, 'openadr interval not carried out');
      }
    }
    if (links.length) await store.openadr.setModification(ev.id, ev.modificationDateTime);
    if (!links.length && created === 0) {
      if (quiet.size > 10_000) quiet.clear(); // bounded: at worst an ignored event is logged once more
      quiet.add(`${ev.id}@${ev.modificationDateTime}`);
    }
    if (mapping.ignored.length) log.warn({ vtnEventId: ev.id, ignored: mapping.ignored }, 'openadr payloads ignored');
    log.info({ vtnEventId: ev.id, program: program.programName, modified: links.length > 0, cancelled, created, resources: mapping.resources.map((r) => r.name) }, 'openadr event applied');
  }

  async function deleteEvent(vtnEventId: string): Promise<void> {
    const n = await cancelLinked(vtnEventId);
    if (n) log.info({ vtnEventId, cancelled: n }, 'openadr event deleted by the VTN');
  }

  /** One webhook subscription per followed program (once the VTN lists it), reused across restarts. */
  async function ensureSubscriptions(): Promise<void> {
    if (!config.callbackUrl) return;
    const missing = [...programs.values()].filter((p) => !subscribedPrograms.has(p.id));
    if (!missing.length) return;
    const existing = await client.subscriptions();
    for (const p of missing) {
      const has = existing.some((s) => s.programID === p.id && s.objectOperations?.some((o) => o.callbackUrl === config.callbackUrl));
      if (!has) await client.subscribe({ clientName: config.venName, programID: p.id, objectOperations: [{ objects: ['EVENT'], operations: ['CREATE', 'UPDATE', 'DELETE'], callbackUrl: config.callbackUrl, bearerToken: callbackToken }] });
      subscribedPrograms.add(p.id);
    }
  }

  async function pollOnce(): Promise<void> {
    const now = clock();
    status.lastPollAt = now;
    try {
      const listed = await client.programs();
      programs.clear();
      for (const p of listed.items) if (config.programs.includes(p.programName)) programs.set(p.programName, p);
      const known = await store.openadr.knownEvents();
      for (const program of programs.values()) {
        const got = await client.events(program.id);
        if (got.bad) {
          status.invalidObjects += got.bad;
          counters.invalid.inc({ object: 'event' }, got.bad);
          log.warn({ program: program.programName, bad: got.bad, issues: got.issues }, 'openadr events refused: not valid OpenADR 3 events');
        }
        // An event listed but unreadable is not a deleted one: what it asked stays in force.
        const seen = new Set<string>(got.badIds);
        for (const ev of got.items) {
          if (ev.programID !== program.id) continue;
          seen.add(ev.id);
          await applying.run(() => applyEvent(ev, program));
        }
        // Only a complete answer proves a deletion: a VTN that is down or erred never cancels anything.
        for (const k of known) if (k.programId === program.id && !seen.has(k.vtnEventId)) await applying.run(() => deleteEvent(k.vtnEventId));
      }
      await ensureSubscriptions().catch((err: unknown) => log.warn({ err: describeError(err) }, 'openadr subscription failed; polling continues'));
      if (config.mqttNotifications) {
        await mqttNotifications.follow([...programs.values()].map((p) => p.id)).catch((err: unknown) => log.warn({ err: describeError(err) }, 'openadr mqtt notifications unavailable; polling continues'));
      }
      status.lastPollOk = true;
      status.lastError = null;
    } catch (err) {
      status.lastPollOk = false;
      status.lastError = describeError(err);
      counters.polls.inc();
      log.warn({ err: status.lastError }, 'openadr poll failed; retried on the next poll');
    }
  }

  function poll(): Promise<void> {
    polling ??= pollOnce().finally(() => { polling = undefined; });
    return polling;
  }

  /** Reports of intervals that ended are built once from the store and queued. */
  async function buildDue(now: number): Promise<void> {
    const done = new Set<string>(); // links reported earlier in this pass (an aggregate takes its peers along)
    for (const l of await store.openadr.unreported()) {
      if (done.has(l.eventId)) continue;
      const e = await store.events.get(l.eventId);
      if (!e) continue;
      if (!l.curtailed && (await store.events.targets(l.eventId)).some((t) => t.state === 'holding' || t.state === 'confirmed')) await store.openadr.markCurtailed(l.eventId);
      if (e.status === 'scheduled' || e.status === 'active') continue;
      const until = Math.min(e.endedAt ?? e.endTs, l.endTs);
      if (now < until + config.reportDelayS * 1000) continue;
      const replacements = e.status === 'cancelled' && e.endedAt !== null ? await store.openadr.replacementsOf(l, e.endedAt) : [];
      if (replacements.length) {
        // Modified: the replacement reports the whole interval, carrying what this one saw.
        if (l.curtailed) for (const r of replacements) await store.openadr.markCurtailed(r.eventId);
        await store.openadr.enqueueReport(l.eventId, l.vtnEventId, l.intervalId, null, now);
        continue;
      }
      const curtailed = l.curtailed;
      let resource = l.resource;
      let scopeSites = await siteIdsOf(e.scope);
      let anyCurtailed = curtailed;
      if (l.aggregate) {
        // One report for the interval over every resource, once all of them are over (openadr3.yaml resourceName: AGGREGATED_REPORT).
        const peers = (await store.openadr.links(l.vtnEventId)).filter((o) => o.intervalId === l.intervalId && o.eventId !== l.eventId && !o.reported);
        const peerEvents = [];
        for (const o of peers) peerEvents.push(await store.events.get(o.eventId));
        if (peerEvents.some((pe) => pe && (pe.status === 'scheduled' || pe.status === 'active'))) continue;
        for (const [i, o] of peers.entries()) {
          scopeSites = [...new Set([...scopeSites, ...(peerEvents[i] ? await siteIdsOf(peerEvents[i]!.scope) : [])])];
          anyCurtailed ||= o.curtailed;
          await store.openadr.enqueueReport(o.eventId, o.vtnEventId, o.intervalId, null, now);
          done.add(o.eventId);
        }
        resource = 'AGGREGATED_REPORT';
      }
      const averageKw = until > l.startTs ? await store.openadr.averageKw(scopeSites, l.startTs, until) : null;
      const body = until > l.startTs
        ? buildReport(config.venName, { vtnEventId: l.vtnEventId, intervalId: l.intervalId, resource, startTs: l.startTs, endTs: until, averageKw, curtailed: anyCurtailed, types: l.reportTypes as ReportType[] })
        : null; // cancelled before it began: nothing happened to report (a null row is dropped by the sender)
      await store.openadr.enqueueReport(l.eventId, l.vtnEventId, l.intervalId, body, now);
    }
  }

  async function sendDue(): Promise<void> {
    const now = clock();
    for (const row of await store.openadr.dueReports(now)) {
      if (stopped) return;
      if (row.body === null) {
        await store.openadr.markSent(row.id, now);
        continue;
      }
      try {
        await client.postReport(row.body);
        await store.openadr.markSent(row.id, clock());
        status.reportsSent++;
        counters.reports.inc({ result: 'sent' });
      } catch (err) {
        if (err instanceof VtnError && err.status >= 400 && err.status < 500 && ![401, 408, 429].includes(err.status)) {
          // The VTN will never take this one (e.g. its event is gone): kept with the reason, not retried, and the queue moves on.
          await store.openadr.markRefused(row.id, describeError(err), clock());
          counters.reports.inc({ result: 'refused' });
          log.error({ err: describeError(err), vtnEventId: row.vtnEventId, intervalId: row.intervalId }, 'openadr report refused by the VTN');
          continue;
        }
        counters.reports.inc({ result: 'retried' });
        const wait = Math.min(config.retryMinS * 2 ** row.attempts, config.retryMaxS) * 1000;
        await store.openadr.markFailed(row.id, describeError(err), clock() + wait);
        log.warn({ err: describeError(err), vtnEventId: row.vtnEventId, intervalId: row.intervalId, attempts: row.attempts + 1, retryInS: wait / 1000 }, 'openadr report not delivered; kept and retried');
        return; // the VTN is down: the rest wait for the next turn, in order
      }
    }
  }

  /** Builds the reports that are due, then sends the queue; one pass at a time. Resolves when the pass is over. */
  function reportTick(): Promise<void> {
    if (sending) return sending;
    const pass = async () => {
      try {
        await buildDue(clock());
      } catch (err) {
        log.error({ err }, 'openadr report build failed');
      }
      await sendDue();
    };
    sending = pass().catch((err: unknown) => log.error({ err }, 'openadr report send failed')).finally(() => { sending = undefined; });
    return sending;
  }

  /** A webhook or MQTT notification (openadr3.yaml components/schemas/notification): acted on like a poll's answer. */
  async function handleNotification(body: unknown, from: string): Promise<{ status: 200 | 400; detail?: string }> {
    const refuse = (detail: string) => {
      status.invalidObjects++;
      counters.invalid.inc({ object: 'notification' });
      log.warn({ from, detail }, 'openadr notification refused');
      return { status: 400 as const, detail };
    };
    const n = NotificationSchema.safeParse(body);
    if (!n.success) return refuse(`not an OpenADR notification: ${formatIssues(n.error.issues).map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    if (n.data.objectType !== 'EVENT') return { status: 200 }; // subscribed to events only
    const ev = OadrEventSchema.safeParse(n.data.object);
    if (!ev.success) return refuse(`the notification's event is not valid: ${formatIssues(ev.error.issues).map((i) => `object.${i.path}: ${i.message}`).join('; ')}`);
    const program = [...programs.values()].find((p) => p.id === ev.data.programID);
    if (!program) return { status: 200 }; // not a program we follow
    try {
      const event = ev.data;
      if (n.data.operation === 'DELETE') await applying.run(() => deleteEvent(event.id));
      else await applying.run(() => applyEvent(event, program));
    } catch (err) {
      log.error({ err, from, vtnEventId: ev.data.id }, 'openadr notification not applied; the next poll retries');
    }
    return { status: 200 };
  }

  return {
    /** Polls the VTN and sends reports while this collector leads: one collector follows the VTN. */
    lead(signal: AbortSignal): void {
      void poll();
      pollTimer = setInterval(() => void poll(), config.pollS * 1000);
      reportTimer = setInterval(() => void reportTick(), REPORT_TICK_MS);
      signal.addEventListener('abort', () => {
        if (pollTimer) clearInterval(pollTimer);
        if (reportTimer) clearInterval(reportTimer);
        pollTimer = reportTimer = undefined;
      }, { once: true });
    },
    poll,
    reportTick,
    /** Webhook notifications (openadr3.yaml components/schemas/notification) on POST /openadr/callback. */
    registerRoutes(app: FastifyInstance): void {
      app.post('/openadr/callback', async (req, reply) => {
        if (req.headers.authorization !== `Bearer ${callbackToken}`) return reply.code(401).send({ title: 'Unauthorized', status: 401, detail: 'bearer token of the subscription expected' });
        const r = await handleNotification(req.body, 'webhook');
        return reply.code(r.status).send(r.status === 200 ? {} : { title: 'Bad Request', status: r.status, detail: r.detail });
      });
    },
    async status(): Promise<VenStatus> {
      return {
        ...status, programs: config.programs.map((name) => ({ name, id: programs.get(name)?.id ?? null })), pendingReports: await store.openadr.pendingReports(),
        notifications: { webhook: subscribedPrograms.size > 0, mqtt: mqttNotifications.connected },
      };
    },
    async stop(): Promise<void> {
      stopped = true;
      if (pollTimer) clearInterval(pollTimer);
      if (reportTimer) clearInterval(reportTimer);
      await Promise.allSettled([polling, sending]);
      await mqttNotifications.stop();
    },
  };
}
export type Ven = ReturnType<typeof createVen>;

import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { connectMqtt } from '../../shared/mqtt/connect.js';

/** Checks of exchanges against the OpenADR OpenAPI document (the tests pass one built with ajv). */
export interface ExchangeChecker {
  request(method: string, path: string, body: unknown): string[];
  query?(method: string, pathWithQuery: string): string[];
  response(method: string, path: string, status: number, body: unknown): string[];
  schema(name: string, value: unknown): string[];
}

export type VtnMode = 'up' | 'error' | 'slow';
type Json = Record<string, any>;

export interface TestVtnOptions {
  clients: Record<string, string>;
  host?: string;
  port?: number;
  tokenLifetimeS?: number;
  slowMs?: number;
  checker?: ExchangeChecker;
  /** Offer OpenADR 3.1 MQTT notifications on this broker, under this topic root (unique per test on a shared broker). */
  mqtt?: { url: string; topicRoot: string };
}

/**
 * A VTN made from the OpenADR 3.1 specification, for the tests and the demo:
 * programs, events, reports, subscriptions with webhook notifications, the
 * OAuth2 client-credentials token endpoint, over real HTTP on loopback. Its
 * business-logic side (programs and events) is driven by calls, as a utility's
 * BL client would over the same API. It can be down, slow, or answer errors.
 */
export async function startTestVtn(options: TestVtnOptions) {
  const host = options.host ?? '127.0.0.1';
  const programs: Json[] = [];
  const events = new Map<string, Json>();
  const reports: Json[] = [];
  const subscriptions: Json[] = [];
  const tokens = new Map<string, { clientId: string; expiresAt: number }>();
  const violations: string[] = [];
  const counts = { tokenRequests: 0, requests: 0, refused: 0, notifications: 0 };
  const sockets = new Set<Socket>();
  let mode: VtnMode = 'up';
  let rejectReports: number | undefined;
  let server: Server | undefined;
  let port = options.port ?? 0;
  const now = () => new Date().toISOString();

  /** A checker that throws is a defect of the checker, recorded like a violation so the test shows it. */
  const check = (found: string[] | (() => string[])) => {
    try {
      for (const v of typeof found === 'function' ? found() : found) violations.push(v);
    } catch (err) {
      violations.push(`checker failed: ${String(err)}`);
    }
  };

  function meta(objectType: string): Json {
    const t = now();
    return { id: randomUUID().replace(/-/g, '').slice(0, 20), createdDateTime: t, modificationDateTime: t, objectType };
  }

  function send(res: ServerResponse, method: string, path: string, status: number, body: unknown): void {
    if (options.checker) check(() => options.checker!.response(method, path, status, body));
    sendUnchecked(res, status, body);
  }

  /**
   * A fault the test asked for (mode 'error') is not held to openadr3.yaml: it
   * lists 500 for every operation but GET /notifiers, and a VTN in trouble may
   * answer 500 there too. Checking it flagged the test's own fault whenever the
   * VEN asked for /notifiers during the error spell.
   */
  function sendUnchecked(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body === undefined ? '' : JSON.stringify(body));
  }

  const problem = (status: number, title: string, detail: string) => ({ type: 'about:blank', title, status, detail });

  async function notify(event: Json, operation: 'CREATE' | 'UPDATE' | 'DELETE'): Promise<void> {
    const notification = { objectType: 'EVENT', operation, object: event };
    if (options.checker) check(() => options.checker!.schema('notification', notification));
    if (publisher) {
      counts.notifications++;
      await publisher.publishAsync(eventTopic(event.programID as string, operation.toLowerCase()), JSON.stringify(notification), { qos: 1 });
    }
    for (const s of subscriptions) {
      if (s.programID && s.programID !== event.programID) continue;
      for (const op of s.objectOperations as Json[]) {
        if (!op.objects.includes('EVENT') || !op.operations.includes(operation)) continue;
        counts.notifications++;
        await fetch(op.callbackUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(op.bearerToken ? { authorization: `Bearer ${op.bearerToken}` } : {}) },
          body: JSON.stringify(notification),
          signal: AbortSignal.timeout(5000),
        }).catch(() => undefined); // a VEN that does not answer still polls
      }
    }
  }

  function readBody(req: IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => { text += c; });
      req.on('end', () => resolve(text));
      req.on('error', reject);
    });
  }

  function page<T>(items: T[], q: URLSearchParams): T[] {
    const skip = Number(q.get('skip') ?? 0);
    const limit = Math.min(Number(q.get('limit') ?? 50), 50);
    return items.slice(skip, skip + limit);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    counts.requests++;
    const url = new URL(req.url ?? '/', `http://${host}`);
    const method = req.method ?? 'GET';
    const path = url.pathname;
    const full = `${path}${url.search}`;
    const text = await readBody(req);
    if (url.search && options.checker?.query) check(() => options.checker!.query!(method, full));
    if (mode === 'slow') await new Promise((r) => setTimeout(r, options.slowMs ?? 15_000));
    if (mode === 'error') {
      counts.refused++;
      return sendUnchecked(res, 500, problem(500, 'Internal Server Error', 'the test VTN is set to answer errors'));
    }
    if (path === '/auth/server' && method === 'GET') return send(res, method, full, 200, { tokenURL: `http://${host}:${port}/auth/token` });
    if (path === '/auth/token' && method === 'POST') {
      counts.tokenRequests++;
      const form = Object.fromEntries(new URLSearchParams(text));
      if (options.checker) check(() => options.checker!.request(method, path, form));
      if (form.grant_type !== 'client_credentials' || !form.client_id || options.clients[form.client_id] !== form.client_secret) {
        return send(res, method, full, 401, problem(401, 'Unauthorized', 'unknown client or wrong secret'));
      }
      const token = randomBytes(24).toString('hex');
      const life = options.tokenLifetimeS ?? 3600;
      tokens.set(token, { clientId: form.client_id, expiresAt: Date.now() + life * 1000 });
      return send(res, method, full, 200, { access_token: token, token_type: 'Bearer', expires_in: life });
    }
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const who = bearer ? tokens.get(bearer) : undefined;
    if (!who || who.expiresAt <= Date.now()) return send(res, method, full, 401, problem(401, 'Unauthorized', 'a valid bearer token is needed'));
    let body: unknown;
    if (text) {
      try { body = JSON.parse(text); } catch { return send(res, method, full, 400, problem(400, 'Bad Request', 'the body is not JSON')); }
    }
    if (body !== undefined && options.checker) {
      const found: string[] = [];
      check(() => { found.push(...options.checker!.request(method, path, body)); return found; });
      if (found.length) return send(res, method, full, 400, problem(400, 'Bad Request', found.join('; ').slice(0, 1000)));
    }
    const q = url.searchParams;
    const one = /^\/(programs|events|subscriptions|reports)\/([^/]+)$/.exec(path);
    if (method === 'GET' && path === '/programs') return send(res, method, full, 200, page(programs, q));
    if (method === 'GET' && path === '/events') return send(res, method, full, 200, page([...events.values()].filter((e) => !q.get('programID') || e.programID === q.get('programID')), q));
    if (method === 'GET' && path === '/notifiers') {
      return send(res, method, full, 200, options.mqtt ? { WEBHOOK: true, MQTT: { URIS: [options.mqtt.url], serialization: 'JSON', authentication: { method: 'ANONYMOUS' } } } : { WEBHOOK: true });
    }
    const topics = /^\/notifiers\/mqtt\/topics\/programs\/([^/]+)\/events$/.exec(path);
    if (method === 'GET' && topics) {
      if (!options.mqtt) return send(res, method, full, 404, problem(404, 'Not Found', 'this VTN offers no MQTT notifier'));
      const id = topics[1]!;
      return send(res, method, full, 200, { topics: { CREATE: eventTopic(id, 'create'), UPDATE: eventTopic(id, 'update'), DELETE: eventTopic(id, 'delete'), ALL: eventTopic(id, '+') } });
    }
    if (method === 'GET' && path === '/reports') return send(res, method, full, 200, page(reports.filter((r) => r.clientID === who.clientId), q));
    if (method === 'POST' && path === '/reports') {
      if (rejectReports) return send(res, method, full, rejectReports, problem(rejectReports, 'Conflict', 'the test VTN is set to refuse reports'));
      const report = { ...meta('REPORT'), ...(body as Json), clientID: who.clientId };
      reports.push(report);
      return send(res, method, full, 201, report);
    }
    if (method === 'GET' && path === '/subscriptions') return send(res, method, full, 200, page(subscriptions.filter((s) => s.clientID === who.clientId), q));
    if (method === 'POST' && path === '/subscriptions') {
      const s = { ...meta('SUBSCRIPTION'), ...(body as Json), clientID: who.clientId };
      subscriptions.push(s);
      return send(res, method, full, 201, s);
    }
    if (one && method === 'GET') {
      const list: Json[] = one[1] === 'programs' ? programs : one[1] === 'events' ? [...events.values()] : one[1] === 'reports' ? reports : subscriptions;
      const found = list.find((x) => x.id === one[2]);
      return found ? send(res, method, full, 200, found) : send(res, method, full, 404, problem(404, 'Not Found', `no ${one[1]} ${one[2]}`));
    }
    return send(res, method, full, 404, problem(404, 'Not Found', `${method} ${path} is not served by the test VTN`));
  }

  async function listen(): Promise<void> {
    const s = createServer((req, res) => {
      handle(req, res).catch((err: unknown) => { if (!res.headersSent) send(res, req.method ?? 'GET', req.url ?? '/', 500, problem(500, 'Internal Server Error', String(err))); });
    });
    s.on('connection', (c) => { sockets.add(c); c.on('close', () => sockets.delete(c)); });
    await new Promise<void>((resolve, reject) => { s.once('error', reject); s.listen(port, host, () => resolve()); });
    port = (s.address() as AddressInfo).port;
    server = s;
  }

  await listen();
  const publisher = options.mqtt ? await connectMqtt({ url: options.mqtt.url, clientId: `test-vtn-${randomBytes(4).toString('hex')}`, reconnectPeriod: 1000 }) : undefined;
  const eventTopic = (programId: string, op: string) => `${options.mqtt!.topicRoot}/programs/${programId}/events/${op}`;

  return {
    get url() { return `http://${host}:${port}`; },
    programs, events, reports, subscriptions, violations, counts,
    setMode(m: VtnMode) { mode = m; },
    /** Answers every POST /reports with this status (e.g. 409), or takes them again with undefined. */
    rejectReportsWith(status: number | undefined) { rejectReports = status; },
    /** Stops answering at all (connections refused), as a VTN that is down. */
    async down(): Promise<void> {
      const s = server;
      server = undefined;
      if (!s) return;
      for (const c of sockets) c.destroy();
      await new Promise<void>((r) => s.close(() => r()));
    },
    /** Listens again on the same port. */
    async up(): Promise<void> {
      if (!server) await listen();
    },
    /** Expires every token it gave (a VEN must fetch a new one). */
    revokeTokens() { tokens.clear(); },
    addProgram(programName: string, extra: Json = {}): Json {
      const p = { ...meta('PROGRAM'), programName, ...extra };
      if (options.checker) check(() => options.checker!.schema('program', p));
      programs.push(p);
      return p;
    },
    async createEvent(request: Json): Promise<Json> {
      if (options.checker) check(() => options.checker!.schema('eventRequest', request));
      const e = { ...meta('EVENT'), ...request };
      if (options.checker) check(() => options.checker!.schema('event', e));
      events.set(e.id as string, e);
      await notify(e, 'CREATE');
      return e;
    },
    async updateEvent(id: string, change: Json): Promise<Json> {
      const old = events.get(id);
      if (!old) throw new Error(`no event ${id}`);
      // modificationDateTime must differ even within one millisecond of the last change
      const later = new Date(Math.max(Date.now(), Date.parse(old.modificationDateTime as string) + 1)).toISOString();
      const e = { ...old, ...change, modificationDateTime: later };
      if (options.checker) check(() => options.checker!.schema('event', e));
      events.set(id, e);
      await notify(e, 'UPDATE');
      return e;
    },
    async deleteEvent(id: string): Promise<void> {
      const e = events.get(id);
      if (!e) return;
      events.delete(id);
      await notify(e, 'DELETE');
    },
    async stop(): Promise<void> {
      await publisher?.endAsync().catch(() => undefined);
      const s = server;
      server = undefined;
      for (const c of sockets) c.destroy();
      if (s) await new Promise<void>((r) => s.close(() => r()));
    },
  };
}
export type TestVtn = Awaited<ReturnType<typeof startTestVtn>>;

import { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import { formatIssues } from '../../shared/protocol/codec.js';
import { OadrEventSchema, OadrProgramSchema, TokenResponseSchema, type OadrEvent, type OadrProgram } from './oadr-objects.js';
import type { OpenAdrConfig } from './openadr-config.js';

/** The VTN answered, but not with success: status and the problem text (openadr3.yaml components/schemas/problem). */
export class VtnError extends AppError {
  constructor(readonly status: number, message: string) {
    super('PROTOCOL', message);
  }
}

const PAGE = 50; // openadr3.yaml: limit maximum 50

// openadr3.yaml components/schemas/notifiersResponse, mqttNotifierBindingObject, notifierTopicsResponse
const NotifiersSchema = z.object({
  WEBHOOK: z.boolean(),
  MQTT: z.object({
    URIS: z.array(z.string().min(1)).min(1),
    serialization: z.literal('JSON'),
    authentication: z.discriminatedUnion('method', [
      z.object({ method: z.literal('ANONYMOUS') }),
      z.object({ method: z.literal('OAUTH2_BEARER_TOKEN'), username: z.string() }),
      z.object({ method: z.literal('CERTIFICATE'), caCert: z.string(), clientCert: z.string(), clientKey: z.string() }),
    ]),
  }).optional(),
});
const TopicsSchema = z.object({ topics: z.object({ CREATE: z.string().optional(), UPDATE: z.string(), DELETE: z.string(), ALL: z.string().optional() }) });

/**
 * The VEN's side of the OpenADR 3 REST API: OAuth2 client-credentials token
 * (fetched, refreshed before expiry and after a 401), programs, events, reports,
 * subscriptions. Every call has a deadline; failures throw, the caller retries.
 */
export function createVtnClient(config: OpenAdrConfig, clock: () => number = Date.now) {
  const base = config.vtnUrl.replace(/\/+$/, '');
  let token: { value: string; expiresAt: number } | undefined;
  let tokenUrl = config.auth.tokenUrl;

  async function call(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, { ...init, signal: AbortSignal.timeout(config.requestTimeoutS * 1000) });
    } catch (err) {
      throw new AppError('UNREACHABLE', `VTN ${url} did not answer: ${(err as Error).message}`, { cause: err });
    }
  }

  async function fetchToken(): Promise<string> {
    if (!tokenUrl) {
      // GET /auth/server names the token endpoint (openadr3.yaml operationId getAuthServerInfo).
      const res = await call(`${base}/auth/server`, { headers: { accept: 'application/json' } });
      if (!res.ok) throw new VtnError(res.status, `VTN /auth/server answered ${res.status}`);
      const info = (await res.json()) as { tokenURL?: string };
      tokenUrl = info.tokenURL ?? `${base}/auth/token`;
    }
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: config.auth.clientId, client_secret: config.auth.clientSecret });
    if (config.auth.scope) form.set('scope', config.auth.scope);
    const res = await call(tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: form.toString() });
    if (!res.ok) throw new VtnError(res.status, `VTN token endpoint refused the client credentials (${res.status}): ${await res.text().catch(() => '')}`.slice(0, 500));
    const parsed = TokenResponseSchema.safeParse(await res.json().catch(() => undefined));
    if (!parsed.success) throw new VtnError(res.status, 'VTN token endpoint answered without an access_token');
    // Refresh a minute early (or at half-life for short tokens) so no request carries a stale one.
    const life = (parsed.data.expires_in ?? 3600) * 1000;
    token = { value: parsed.data.access_token, expiresAt: clock() + Math.max(life - 60_000, life / 2) };
    return token.value;
  }

  async function request(method: string, path: string, body?: unknown): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      const bearer = token && token.expiresAt > clock() ? token.value : await fetchToken();
      const res = await call(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${bearer}`, accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      if (res.status === 401 && attempt === 0) {
        token = undefined; // revoked or expired early: one fresh token, then give up
        continue;
      }
      const text = await res.text();
      if (!res.ok) {
        let detail = text;
        try { const p = JSON.parse(text) as { title?: string; detail?: string }; detail = [p.title, p.detail].filter(Boolean).join(': ') || text; } catch { /* not a problem document */ }
        throw new VtnError(res.status, `VTN ${method} ${path} answered ${res.status}: ${detail}`.slice(0, 500));
      }
      return text ? JSON.parse(text) : undefined;
    }
  }

  /** Every page of a list; items the schema refuses are left out and described in `issues`. */
  async function pages<T>(path: string, schema: z.ZodType<T>): Promise<{ items: T[]; bad: number; badIds: string[]; issues: string[] }> {
    const items: T[] = [];
    const issues: string[] = [];
    const badIds: string[] = [];
    let bad = 0;
    for (let skip = 0; ; skip += PAGE) {
      const sep = path.includes('?') ? '&' : '?';
      const page = await request('GET', `${path}${sep}skip=${skip}&limit=${PAGE}`);
      if (!Array.isArray(page)) throw new VtnError(200, `VTN GET ${path} answered something other than a list`);
      for (const x of page) {
        const r = schema.safeParse(x);
        if (r.success) items.push(r.data);
        else {
          bad++;
          const id = (x as { id?: unknown } | null)?.id;
          if (typeof id === 'string') badIds.push(id);
          if (issues.length < 10) issues.push(`${path} ${typeof id === 'string' ? id : `item ${skip + bad}`}: ${formatIssues(r.error.issues).map((i) => `${i.path}: ${i.message}`).join('; ')}`);
        }
      }
      if (page.length < PAGE) return { items, bad, badIds, issues };
    }
  }

  return {
    async programs(): Promise<{ items: OadrProgram[]; bad: number; badIds: string[]; issues: string[] }> {
      return pages('/programs', OadrProgramSchema);
    },
    async events(programId: string): Promise<{ items: OadrEvent[]; bad: number; badIds: string[]; issues: string[] }> {
      return pages(`/events?programID=${encodeURIComponent(programId)}`, OadrEventSchema);
    },
    async postReport(report: unknown): Promise<unknown> {
      return request('POST', '/reports', report);
    },
    async subscriptions(): Promise<Array<{ id: string; programID?: string; objectOperations?: Array<{ callbackUrl?: string }> }>> {
      const r = await request('GET', `/subscriptions?clientName=${encodeURIComponent(config.venName)}`);
      return Array.isArray(r) ? (r as Array<{ id: string }>) : [];
    },
    async subscribe(body: unknown): Promise<unknown> {
      return request('POST', '/subscriptions', body);
    },
    /** GET /notifiers: WEBHOOK always; MQTT with its broker and authentication when the VTN offers it (3.1). */
    async notifiers(): Promise<z.infer<typeof NotifiersSchema>> {
      const r = NotifiersSchema.safeParse(await request('GET', '/notifiers'));
      if (!r.success) throw new VtnError(200, `VTN GET /notifiers answered an invalid binding: ${formatIssues(r.error.issues).map((i) => `${i.path}: ${i.message}`).join('; ')}`);
      return r.data;
    },
    /** MQTT topic names for the operations on one program's events. */
    async eventTopics(programId: string): Promise<z.infer<typeof TopicsSchema>['topics']> {
      const r = TopicsSchema.safeParse(await request('GET', `/notifiers/mqtt/topics/programs/${encodeURIComponent(programId)}/events`));
      if (!r.success) throw new VtnError(200, 'VTN answered invalid MQTT topic names');
      return r.data.topics;
    },
    /** A valid access token (the MQTT broker's password under OAUTH2_BEARER_TOKEN). */
    async accessToken(): Promise<string> {
      return token && token.expiresAt > clock() ? token.value : fetchToken();
    },
  };
}
export type VtnClient = ReturnType<typeof createVtnClient>;

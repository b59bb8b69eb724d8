import { request as httpRequest, type Agent, type ClientRequest, type IncomingHttpHeaders } from 'node:http';
import { AppError } from '../../../../shared/errors.js';
import { digestAuthorization, parseDigestChallenge } from './http-digest.js';

/**
 * A small HTTP client for miner web APIs (Braiins OS REST, stock Antminer CGI).
 * Built on node:http rather than fetch because (1) one deadline must cover DNS,
 * connect, headers and the whole body — fetch's AbortSignal leaves the body
 * stream to the caller and undici pools keep-alive sockets per origin, which
 * for thousands of miners means thousands of idle sockets held open; and
 * (2) `agent: false` gives one fresh connection per request that is destroyed
 * when done, matching the one-request-per-connection habit of the cgminer API.
 * A driver that makes several requests per reading (Braiins REST) passes its
 * own keep-alive agent (transport/keep-alive-agent.ts) instead, so they share
 * one connection, which the driver closes when the reading is done.
 */

export interface HttpTarget {
  host: string;
  port?: number;
  timeoutMs: number;
  /** A per-miner keep-alive agent; without one every request has its own connection. */
  agent?: Agent;
}

export interface HttpJsonRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  /** Serialized as JSON with content-type application/json. */
  body?: unknown;
  headers?: Record<string, string>;
  /** HTTP digest credentials (stock Antminer CGI): on a 401 digest challenge, retry once with the answer. */
  digest?: { username: string; password: string };
}

export interface HttpJsonResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Raw body text. */
  text: string;
  /** Parsed JSON body, or undefined when the body is empty or not JSON. */
  json: unknown;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** One request; never throws on HTTP status (callers decide), throws AppError TIMEOUT / UNREACHABLE / PROTOCOL on transport failures. */
export async function httpJson(target: HttpTarget, req: HttpJsonRequest): Promise<HttpJsonResponse> {
  const deadline = Date.now() + target.timeoutMs;
  const first = await httpOnceOrStale(target, req, undefined, deadline);
  if (first.status !== 401 || !req.digest) return first;
  const challenge = parseDigestChallenge(first.headers['www-authenticate']);
  if (!challenge) return first;
  const authorization = digestAuthorization(challenge, { ...req.digest, method: req.method ?? 'GET', uri: req.path });
  return httpOnceOrStale(target, req, authorization, deadline);
}

/**
 * A reused keep-alive socket may have been closed by the server just before we
 * wrote on it; that reset says nothing about the miner, so the request is sent
 * once more on a fresh connection, inside the same deadline (Node's documented
 * `request.reusedSocket` retry).
 */
async function httpOnceOrStale(target: HttpTarget, req: HttpJsonRequest, authorization: string | undefined, deadline: number): Promise<HttpJsonResponse> {
  try {
    return await httpOnce(target, req, authorization, Math.max(1, deadline - Date.now()));
  } catch (err) {
    if (!(err instanceof StaleSocketError)) throw err;
    return httpOnce(target, req, authorization, Math.max(1, deadline - Date.now()));
  }
}

class StaleSocketError extends AppError {}

function httpOnce(target: HttpTarget, req: HttpJsonRequest, authorization: string | undefined, timeoutMs: number): Promise<HttpJsonResponse> {
  const port = target.port ?? 80;
  const where = `http://${target.host}:${port}${req.path}`;
  const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
  const headers: Record<string, string> = { accept: 'application/json', ...(target.agent ? {} : { connection: 'close' }), ...req.headers };
  if (payload) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(payload.length);
  }
  if (authorization) headers.authorization = authorization;
  return new Promise<HttpJsonResponse>((resolve, reject) => {
    let settled = false;
    let responded = false;
    const finish = (err: Error | undefined, value?: HttpJsonResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // A complete response on a keep-alive agent leaves its socket to the agent for the next request.
      if (err || !target.agent) request.destroy();
      if (err) reject(err);
      else resolve(value!);
    };
    const request: ClientRequest = httpRequest({ host: target.host, port, method: req.method ?? 'GET', path: req.path, headers, agent: target.agent ?? false });
    const timer = setTimeout(() => finish(new AppError('TIMEOUT', `${where}: no complete response within ${timeoutMs} ms`)), timeoutMs);
    request.once('error', (err: NodeJS.ErrnoException) => {
      if (request.reusedSocket && !responded && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
        finish(new StaleSocketError('UNREACHABLE', `${where}: kept-alive connection closed by the server`, { cause: err }));
        return;
      }
      const code = err.code === 'ECONNREFUSED' || err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH' || err.code === 'ECONNRESET' ? 'UNREACHABLE' : 'PROTOCOL';
      finish(new AppError(code, `${where}: ${err.message}`, { cause: err, details: { errno: err.code } }));
    });
    request.once('response', (res) => {
      responded = true;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) finish(new AppError('PROTOCOL', `${where}: response body exceeds ${MAX_BODY_BYTES} bytes`));
        else chunks.push(chunk);
      });
      res.once('error', (err) => finish(new AppError('PROTOCOL', `${where}: ${err.message}`, { cause: err })));
      res.once('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        if (text.trim() !== '') {
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
        }
        finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    request.end(payload);
  });
}

/** The JSON body of a 2xx response, or AppError: AUTH_FAILED on 401/403, UNSUPPORTED on 404/405, PROTOCOL otherwise. */
export function expectJson(response: HttpJsonResponse, where: string): unknown {
  if (response.status === 401 || response.status === 403) {
    throw new AppError('AUTH_FAILED', `${where}: HTTP ${response.status} (credentials refused)`, { details: { status: response.status } });
  }
  if (response.status === 404 || response.status === 405) {
    throw new AppError('UNSUPPORTED', `${where}: HTTP ${response.status} (endpoint not available on this firmware)`, { details: { status: response.status } });
  }
  if (response.status < 200 || response.status >= 300) {
    throw new AppError('PROTOCOL', `${where}: HTTP ${response.status}: ${response.text.slice(0, 200)}`, { details: { status: response.status } });
  }
  if (response.json === undefined && response.text.trim() !== '') {
    throw new AppError('PARSE', `${where}: response is not JSON: ${JSON.stringify(response.text.slice(0, 120))}`);
  }
  return response.json;
}

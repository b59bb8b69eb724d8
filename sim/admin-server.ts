import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { AppError, describeError, isAppError } from '../shared/errors.js';
import type { Fleet } from './fleet/fleet.js';

/**
 * Ground truth for tests and the demo, over HTTP on 127.0.0.1 only: what each
 * emulated miner is really doing (as opposed to what a driver made of it),
 * and a way to inject faults while running.
 *
 *   GET  /healthz                    {ok:true}
 *   GET  /miners                     per-miner truth
 *   GET  /miners/:id                 one miner
 *   GET  /site                       totals, overhead, count by phase, kWh
 *   GET  /stats                      connections accepted (benchmarks: requests per poll)
 *   POST /faults                     {"miners":["miner-0001"]|"all","faults":{"hung":true}}
 *   POST /miners/:id/faults          {"hung":true,"slow":false}
 *   POST /miners/:id/sleep | /wake   act as if the firmware got the command
 */
export const FaultPatchSchema = z
  .object({ hung: z.boolean(), garbage: z.boolean(), refuse: z.boolean(), slow: z.boolean(), ignoreSleep: z.boolean() })
  .partial()
  .strict();
export const FaultRequestSchema = z.object({ miners: z.union([z.array(z.string()).min(1), z.literal('all')]), faults: FaultPatchSchema }).strict();

export interface AdminServer {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
}

export async function startAdminServer(options: { fleet: Fleet; port: number; host?: string }): Promise<AdminServer> {
  const { fleet } = options;
  const host = options.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    route(fleet, req).then(
      ([status, body]) => send(res, status, body),
      (err: unknown) => {
        const status = isAppError(err, 'NOT_FOUND') ? 404 : isAppError(err, 'USAGE') || isAppError(err, 'PARSE') ? 400 : 500;
        send(res, status, { error: describeError(err) });
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new AppError('UNREACHABLE', `admin endpoint cannot listen on ${host}:${options.port}: ${describeError(err)}`, { cause: err })));
    server.listen({ host, port: options.port }, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    host,
    port,
    url: `http://${host}:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function route(fleet: Fleet, req: IncomingMessage): Promise<[number, unknown]> {
  const path = new URL(req.url ?? '/', 'http://admin').pathname.replace(/\/+$/, '') || '/';
  const method = req.method ?? 'GET';
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (method === 'GET') {
    if (path === '/healthz') return [200, { ok: true, miners: fleet.miners.length }];
    if (path === '/miners') return [200, fleet.groundTruth()];
    if (path === '/site') return [200, fleet.site()];
    if (path === '/stats') return [200, { connectionsAccepted: fleet.connectionsAccepted() }];
    if (parts.length === 2 && parts[0] === 'miners') {
      const truth = fleet.groundTruth().find((m) => m.id === parts[1]);
      if (!truth) throw new AppError('NOT_FOUND', `no emulated miner '${parts[1]}'`);
      return [200, truth];
    }
  }
  if (method === 'POST') {
    if (path === '/faults') {
      const body = parseBody(FaultRequestSchema, await readJson(req), 'POST /faults');
      const ids = body.miners === 'all' ? fleet.miners.map((m) => m.id) : body.miners;
      for (const id of ids) fleet.miner(id); // all-or-nothing: unknown ids fail before any change
      const changed = await Promise.all(ids.map(async (id) => ({ id, faults: await fleet.setFaults(id, body.faults) })));
      return [200, changed];
    }
    if (parts.length === 3 && parts[0] === 'miners') {
      const id = parts[1] as string;
      if (parts[2] === 'faults') {
        const patch = parseBody(FaultPatchSchema, await readJson(req), `POST /miners/${id}/faults`);
        return [200, { id, faults: await fleet.setFaults(id, patch) }];
      }
      if (parts[2] === 'sleep' || parts[2] === 'wake') {
        const miner = fleet.miner(id);
        if (parts[2] === 'sleep') miner.requestSleep();
        else miner.requestWake();
        return [200, { id, phase: miner.snapshot().phase }];
      }
    }
  }
  throw new AppError('NOT_FOUND', `no route ${method} ${path}`);
}

function parseBody<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new AppError('USAGE', `${where}: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1024 * 1024) throw new AppError('USAGE', 'request body over 1 MiB');
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
  } catch (err) {
    throw new AppError('PARSE', `request body is not JSON: ${describeError(err)}`, { cause: err });
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

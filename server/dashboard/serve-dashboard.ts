/**
 * Serves the operator dashboard: static HTML/CSS/ES modules from
 * server/dashboard/static (no build step) and uPlot straight from its npm
 * package, so the dashboard needs no CDN and works on an air-gapped control
 * room network. The dashboard itself talks only to the public /api/v1 and its
 * SSE stream, with the operator's bearer token.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { CollectorConfig } from '../config/collector-config.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
};

// Inline styles are allowed because uPlot positions its cursor and legend with
// style attributes; scripts stay same-origin only.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** The vendored files the dashboard may load, by public name. */
const VENDOR_FILES: Record<string, string> = {
  'uPlot.esm.js': 'uPlot.esm.js',
  'uPlot.min.css': 'uPlot.min.css',
};

/**
 * Finds server/dashboard/static whether this module runs from dist/ (the
 * normal case: dist/server/dashboard/serve-dashboard.js) or from the sources.
 */
export function dashboardStaticDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'server', 'dashboard', 'static');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('dashboard static files not found (expected server/dashboard/static/index.html in the package)');
}

function uplotDistDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('uplot/package.json')), 'dist');
}

export interface DashboardOptions {
  /** Override where the static files are (tests). */
  staticDir?: string;
  /**
   * No longer used: `GET /api/v1/me` is a route of the API itself
   * (server/http/routes/me-route.ts). Accepted so existing callers compile.
   */
  tokens?: CollectorConfig['tokens'];
}

/**
 * Registers `GET /` and `GET /assets/*` on the collector's fastify app. Call
 * it beside the /api/v1 routes; it adds no hooks and touches no other route.
 */
export async function registerDashboard(app: FastifyInstance, options: DashboardOptions = {}): Promise<void> {
  const staticDir = resolve(options.staticDir ?? dashboardStaticDir());
  const vendorDir = uplotDistDir();

  const send = async (reply: FastifyReply, path: string, cache: string) => {
    let body: Buffer;
    try {
      body = await readFile(path);
    } catch {
      return reply.code(404).type('application/json').send({ error: 'NOT_FOUND', message: 'no such dashboard asset' });
    }
    return reply
      .header('content-type', CONTENT_TYPES[extname(path)] ?? 'application/octet-stream')
      .header('cache-control', cache)
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .send(body);
  };

  app.get('/', async (_req, reply) => send(reply, join(staticDir, 'index.html'), 'no-cache'));
  app.get('/favicon.ico', async (_req, reply) => send(reply, join(staticDir, 'favicon.svg'), 'max-age=86400'));

  app.get<{ Params: { '*': string } }>('/assets/*', async (req, reply) => {
    const rel = req.params['*'] ?? '';
    if (rel.startsWith('vendor/')) {
      const file = VENDOR_FILES[rel.slice('vendor/'.length)];
      if (!file) return reply.code(404).send({ error: 'NOT_FOUND', message: `no vendored asset '${rel}'` });
      return send(reply, join(vendorDir, file), 'max-age=86400');
    }
    const path = resolve(staticDir, rel);
    // Refuse anything that resolves outside the static folder (../ tricks).
    if (!path.startsWith(staticDir + sep) || !CONTENT_TYPES[extname(path)]) {
      return reply.code(404).send({ error: 'NOT_FOUND', message: `no dashboard asset '${rel}'` });
    }
    // no-cache: browsers revalidate, so a collector upgrade never serves stale modules.
    return send(reply, path, 'no-cache');
  });
}

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import Fastify from 'fastify';
import { registerDashboard } from './serve-dashboard.js';

const sha = (t: string) => createHash('sha256').update(t).digest('hex');

async function app(withTokens = true) {
  const a = Fastify();
  await registerDashboard(a, withTokens ? { tokens: [{ name: 'ops', role: 'operator', sha256: sha('op-token') }, { name: 'wall', role: 'viewer', sha256: sha('view-token') }] } : {});
  return a;
}

test('serves the page, its modules and uPlot from the npm package, with a CSP', async () => {
  const a = await app();
  const page = await a.inject('/');
  assert.equal(page.statusCode, 200);
  assert.match(page.headers['content-type'] as string, /text\/html/);
  assert.match(page.body, /assets\/js\/main\.js/);
  assert.match(page.headers['content-security-policy'] as string, /script-src 'self'/);
  const js = await a.inject('/assets/js/main.js');
  assert.equal(js.statusCode, 200);
  assert.match(js.headers['content-type'] as string, /javascript/);
  const uplot = await a.inject('/assets/vendor/uPlot.esm.js');
  assert.equal(uplot.statusCode, 200);
  assert.match(uplot.body, /export \{ uPlot as default \}|export default/);
  assert.equal((await a.inject('/assets/vendor/uPlot.cjs.js')).statusCode, 404, 'only the listed vendor files');
});

test('refuses paths outside the static folder and unknown file types', async () => {
  const a = await app();
  for (const url of ['/assets/../../package.json', '/assets/..%2f..%2fpackage.json', '/assets/%2e%2e/serve-dashboard.ts', '/assets/js/nope.js', '/assets/index.txt']) {
    const res = await a.inject(url);
    assert.equal(res.statusCode, 404, url);
    assert.doesNotMatch(res.body, /"name": "hashwatt"/);
  }
});

test('registers no API route: GET /api/v1/me belongs to the API (server/http)', async () => {
  const a = await app();
  assert.equal((await a.inject({ url: '/api/v1/me', headers: { authorization: 'Bearer view-token' } })).statusCode, 404);
});

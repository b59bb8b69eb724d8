import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { httpJson, expectJson } from './http-json-client.js';
import { closedPort, randomLoopback } from './test-servers.js';
import { parseDigestChallenge } from './http-digest.js';
import { isAppError } from '../../../../shared/errors.js';

async function startHttp(handler: (req: IncomingMessage, body: string, res: ServerResponse) => void) {
  const host = randomLoopback();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => handler(req, body, res));
  });
  await new Promise<void>((resolve) => server.listen(0, host, () => resolve()));
  return {
    host,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

test('http: JSON request and response', async (t) => {
  const server = await startHttp((req, body, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ method: req.method, url: req.url, got: JSON.parse(body), auth: req.headers.authorization }));
  });
  t.after(() => server.close());
  const res = await httpJson({ host: server.host, port: server.port, timeoutMs: 2000 }, { method: 'PUT', path: '/api/v1/performance/power-target', body: { watt: 3000 }, headers: { authorization: 'tok' } });
  assert.equal(res.status, 200);
  assert.deepEqual(expectJson(res, 'x'), { method: 'PUT', url: '/api/v1/performance/power-target', got: { watt: 3000 }, auth: 'tok' });
});

test('http: hung server rejects with TIMEOUT covering the body', async (t) => {
  const server = await startHttp((_req, _body, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"partial":'); // headers and part of the body, then nothing
  });
  t.after(() => server.close());
  await assert.rejects(httpJson({ host: server.host, port: server.port, timeoutMs: 300 }, { path: '/x' }), (err: unknown) => isAppError(err, 'TIMEOUT'));
});

test('http: refused rejects with UNREACHABLE', async () => {
  const host = randomLoopback();
  const port = await closedPort(host);
  await assert.rejects(httpJson({ host, port, timeoutMs: 2000 }, { path: '/' }), (err: unknown) => isAppError(err, 'UNREACHABLE'));
});

test('http: expectJson maps 401 to AUTH_FAILED, 404 to UNSUPPORTED, non-JSON to PARSE', () => {
  const base = { headers: {}, json: undefined };
  assert.throws(() => expectJson({ ...base, status: 401, text: '' }, 'w'), (e: unknown) => isAppError(e, 'AUTH_FAILED'));
  assert.throws(() => expectJson({ ...base, status: 404, text: '' }, 'w'), (e: unknown) => isAppError(e, 'UNSUPPORTED'));
  assert.throws(() => expectJson({ ...base, status: 200, text: '<html>' }, 'w'), (e: unknown) => isAppError(e, 'PARSE'));
});

test('http: digest authentication answers the challenge (RFC 7616 qop=auth)', async (t) => {
  const md5 = (s: string) => createHash('md5').update(s).digest('hex');
  const server = await startHttp((req, _body, res) => {
    const auth = req.headers.authorization;
    if (!auth) {
      res.writeHead(401, { 'www-authenticate': 'Digest realm="antMiner Configuration", nonce="abc123", qop="auth"' });
      res.end();
      return;
    }
    const f = Object.fromEntries([...auth.slice(7).matchAll(/(\w+)="?([^",]*)"?/g)].map((m) => [m[1], m[2]]));
    const ha1 = md5(`root:antMiner Configuration:root`);
    const ha2 = md5(`${req.method}:${f.uri}`);
    const expected = md5(`${ha1}:${f.nonce}:${f.nc}:${f.cnonce}:${f.qop}:${ha2}`);
    res.writeHead(f.response === expected ? 200 : 401, { 'content-type': 'application/json' });
    res.end('{"bitmain-work-mode":"0"}');
  });
  t.after(() => server.close());
  const ok = await httpJson({ host: server.host, port: server.port, timeoutMs: 2000 }, { path: '/cgi-bin/get_miner_conf.cgi', digest: { username: 'root', password: 'root' } });
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.json, { 'bitmain-work-mode': '0' });
  const bad = await httpJson({ host: server.host, port: server.port, timeoutMs: 2000 }, { path: '/cgi-bin/get_miner_conf.cgi', digest: { username: 'root', password: 'nope' } });
  assert.equal(bad.status, 401);
});

test('http: digest challenge parsing', () => {
  assert.deepEqual(parseDigestChallenge('Digest realm="r", nonce="n", qop="auth,auth-int", opaque="o"'), { realm: 'r', nonce: 'n', qop: 'auth,auth-int', opaque: 'o', algorithm: undefined });
  assert.equal(parseDigestChallenge('Basic realm="x"'), undefined);
});

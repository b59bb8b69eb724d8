import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { startTestBroker } from '../../test/helpers/broker.js';
import { waitFor } from '../../test/helpers/wait-for.js';
import { startTestCollector, type TestCollector } from '../testing/test-collector.js';
import { sample, startTestPublisher } from '../testing/test-publisher.js';

interface Received { type: string; id: string; body: any; raw: string; signature: string | undefined; delivery: string | undefined; answered: number }

/**
 * A real HTTP receiver on loopback (node:http): records every request it
 * gets and answers 200, or 503 while `failing`; `down()` closes the socket
 * (connection refused) and `up()` listens again on the same port.
 */
async function startReceiver() {
  const got: Received[] = [];
  let failing = false;
  let server: Server;
  let port = 0;
  const listen = () => new Promise<void>((resolve, reject) => {
    server = createServer((req, res) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (raw += c));
      req.on('end', () => {
        const answered = failing ? 503 : 200;
        const body = JSON.parse(raw);
        got.push({ type: body.type, id: body.id, body, raw, signature: req.headers['x-hashwatt-signature'] as string | undefined, delivery: req.headers['x-hashwatt-delivery'] as string | undefined, answered });
        res.writeHead(answered).end();
      });
    });
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      port = (server.address() as AddressInfo).port;
      resolve();
    });
  });
  await listen();
  return {
    got,
    get url() { return `http://127.0.0.1:${port}/hook`; },
    /** What was answered 200, i.e. delivered. */
    delivered: () => got.filter((r) => r.answered === 200),
    fail(on: boolean) { failing = on; },
    down: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
    up: listen,
  };
}
type Receiver = Awaited<ReturnType<typeof startReceiver>>;

const SECRET = 'webhook-secret-of-the-test';
const hmac = (raw: string) => `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`;
const key = (r: Received) => `${r.type}:${r.body.data?.id ?? r.body.data?.event?.id}`;

function assertOnceEach(rx: Receiver): void {
  const keys = rx.delivered().map(key);
  assert.deepEqual(keys, [...new Set(keys)], `each notification delivered once: ${keys.join(', ')}`);
}

test('webhooks: every alert reaches the receiver once and signed, also when it failed and the collector restarted in between', { timeout: 90_000 }, async () => {
  const rx = await startReceiver();
  const prefix = `wh${Math.random().toString(36).slice(2, 8)}`;
  const site = `${prefix}-a`;
  const overrides = {
    sites: [{ id: site, name: 'A', allocationKw: 1000, hardCapKw: 1200 }], alerts: { evaluateEveryS: 60 }, compliance: { windowS: 1, graceS: 600 },
    notifications: { webhooks: [{ name: 'ops', url: rx.url, secret: SECRET, types: ['alert.opened', 'alert.closed'] }], initialBackoffS: 0.2, maxBackoffS: 1, pollMs: 100 },
  };
  const first = await startTestCollector(overrides, { prefix, serveSites: [site] });
  let tc: TestCollector = first;
  const pub = await startTestPublisher(tc.broker.url, site);
  try {
    await pub.online();
    await pub.telemetry(1, [sample(Date.now(), 900)]);
    await waitFor('site live', async () => (await tc.api(`/api/v1/sites/${site}`)).body.kw === 900);
    await pub.telemetry(2, [sample(Date.now() + 1, 1500), sample(Date.now() + 2, 1500)]);
    const opened = await waitFor('alert.opened delivered', () => rx.delivered().find((r) => r.type === 'alert.opened'));
    assert.equal(opened.signature, hmac(opened.raw), 'signed with the shared secret over the exact body');
    assert.equal(opened.body.data.kind, 'hard_cap_exceeded');
    assert.equal(opened.body.data.site, site);
    assert.equal(opened.body.data.closedAt, null);
    assert.match(opened.body.id, /^[0-9a-f-]{36}$/);

    // The receiver starts failing; the alert closes; the collector stops with the notification queued.
    rx.fail(true);
    await pub.telemetry(3, [sample(Date.now() + 1500, 900), sample(Date.now() + 2600, 900)]);
    await waitFor('alert.closed attempted and refused', () => rx.got.find((r) => r.type === 'alert.closed' && r.answered === 503));
    const refused = rx.got.filter((r) => r.answered === 503).length;
    const dataDir = tc.dataDir;
    await tc.collector.stop();
    assert.ok(!rx.delivered().some((r) => r.type === 'alert.closed'));

    // Back up with the same database: the queued notification goes out once the receiver recovers.
    rx.fail(false);
    tc = await startTestCollector(overrides, { prefix, serveSites: [site], dataDir, broker: tc.broker });
    const closed = await waitFor('alert.closed delivered after the restart', () => rx.delivered().find((r) => r.type === 'alert.closed'));
    assert.equal(closed.signature, hmac(closed.raw));
    assert.equal(closed.body.data.id, opened.body.data.id, 'the same alert, now closed');
    assert.ok(closed.body.data.closedAt > 0);
    assert.ok(rx.got.filter((r) => r.answered === 503).length >= refused);
    // A new alert after the restart arrives too; nothing before it is sent twice.
    await pub.telemetry(4, [sample(Date.now() + 5000, 1500), sample(Date.now() + 5001, 1500)]);
    await waitFor('second alert.opened', () => rx.delivered().filter((r) => r.type === 'alert.opened').length === 2);
    assertOnceEach(rx);
    const metrics = await tc.api('/metrics', { token: null });
    assert.match(metrics.text, /hashwatt_webhook_deliveries_total\{target="ops",result="delivered"\} [1-9]/);
    assert.match(metrics.text, /hashwatt_webhook_queue_depth\{target="ops"\} 0/);
  } finally {
    await pub.clearRetained().catch(() => undefined);
    await pub.close().catch(() => undefined);
    await tc.stop();
    if (tc !== first) await first.stop(); // its broker (the restarted collector borrowed it)
    await rx.down().catch(() => undefined);
  }
});

test('webhooks: a receiver that is down gets everything, in order, once it is back; meanwhile its failure is an alert another target hears about', { timeout: 90_000 }, async () => {
  const [down, watcher] = [await startReceiver(), await startReceiver()];
  const prefix = `wd${Math.random().toString(36).slice(2, 8)}`;
  const site = `${prefix}-a`;
  // The secret from the environment (secretEnv); unset, the collector refuses to start and says which.
  const variable = `HW_TEST_SECRET_${prefix.toUpperCase()}`;
  const broker = await startTestBroker();
  try {
    await assert.rejects(startTestCollector({ notifications: { webhooks: [{ name: 'flaky', url: down.url, secretEnv: variable }] } }, { prefix, serveSites: [site], broker }),
      new RegExp(`notifications\\.webhooks\\.0\\.secretEnv: environment variable ${variable} is not set`));
  } finally {
    await broker.stop();
  }
  process.env[variable] = SECRET;
  const tc = await startTestCollector({
    sites: [{ id: site, name: 'A', allocationKw: 1000 }],
    notifications: {
      webhooks: [
        { name: 'flaky', url: down.url, secretEnv: variable },
        { name: 'watcher', url: watcher.url, types: ['alert.opened', 'alert.closed'], alertKinds: ['webhook_failing'] },
      ],
      initialBackoffS: 0.2, maxBackoffS: 1, failingAfterAttempts: 3, pollMs: 100,
    },
  }, { prefix, serveSites: [site] });
  try {
    await down.down();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await tc.api('/api/v1/events', { method: 'POST', token: 'grid', body: { scope: { sites: [site] }, kind: 'limit_to_kw', value: 500 - i, durationS: 600, reason: `event ${i}` } });
      assert.equal(r.status, 201, r.text);
      ids.push(r.body.id);
    }
    assert.equal((await tc.api(`/api/v1/events/${ids[0]}`, { method: 'DELETE', token: 'operator' })).status, 200);

    // Three failed tries in a row: a webhook_failing alert, in the API and at the other target.
    const alert = await waitFor('webhook_failing open', async () => (await tc.api('/api/v1/alerts?open=true&kind=webhook_failing')).body.alerts[0], { timeoutMs: 20_000 });
    assert.deepEqual([alert.site, alert.subject, alert.details.url], [null, 'flaky', down.url]);
    assert.ok(alert.details.attempts >= 3);
    assert.match(alert.details.lastError, /ECONNREFUSED/);
    const heard = await waitFor('watcher told', () => watcher.delivered().find((r) => r.type === 'alert.opened'));
    assert.equal(heard.body.data.subject, 'flaky');
    assert.equal(heard.signature, undefined, 'no secret, no signature');
    assert.match((await tc.api('/metrics', { token: null })).text, /hashwatt_webhook_target_failing\{target="flaky"\} 1/);

    // Down long enough for six failed tries: backoff doubles from initialBackoffS, so at the
    // defaults (5 s, capped at 300 s) six tries span 5+10+20+40+80 s, more than a minute down.
    await waitFor('six failed tries', async () => Number(/hashwatt_webhook_deliveries_total\{target="flaky",result="failed"\} (\d+)/.exec((await tc.api('/metrics', { token: null })).text)?.[1]) >= 6, { timeoutMs: 30_000 });
    // It comes back: everything queued arrives in the order it happened, then the alert closes.
    await down.up();
    await waitFor('failing alert closed', async () => (await tc.api('/api/v1/alerts?open=true&kind=webhook_failing')).body.alerts.length === 0, { timeoutMs: 20_000 });
    await waitFor('watcher told it closed', () => watcher.delivered().find((r) => r.type === 'alert.closed'));
    const expected = ['event.created', 'event.created', 'event.created', 'event.cancelled', 'alert.opened', 'alert.closed'];
    await waitFor('all delivered', () => down.delivered().length >= expected.length, { timeoutMs: 20_000 });
    const got = down.delivered();
    assert.deepEqual(got.map((r) => r.type), expected);
    assert.deepEqual(got.slice(0, 3).map((r) => r.body.data.event.id), ids);
    assert.deepEqual(got.slice(0, 3).map((r) => r.body.data.actor), [{ kind: 'service', name: 'grid' }, { kind: 'service', name: 'grid' }, { kind: 'service', name: 'grid' }]);
    assert.deepEqual([got[3]!.body.data.event.id, got[3]!.body.data.event.status, got[3]!.body.data.actor.name], [ids[0], 'cancelled', 'operator']);
    for (const r of got) assert.equal(r.signature, hmac(r.raw));
    assertOnceEach(down);
    assert.equal(watcher.delivered().length, 2, 'the watcher gets only webhook_failing alerts');
  } finally {
    await tc.stop();
    await down.down().catch(() => undefined);
    await watcher.down().catch(() => undefined);
  }
});

test('webhooks: violations opened and closed, with what the compliance engine measured', { timeout: 60_000 }, async () => {
  const rx = await startReceiver();
  const prefix = `wv${Math.random().toString(36).slice(2, 8)}`;
  const site = `${prefix}-a`;
  const tc = await startTestCollector({
    sites: [{ id: site, name: 'A', allocationKw: 1000 }], compliance: { windowS: 2, graceS: 2, closeAfterS: 2, tolerance: 0.05, hysteresis: 0.02 },
    notifications: { webhooks: [{ name: 'compliance-desk', url: rx.url, types: ['violation.opened', 'violation.closed'] }], pollMs: 100 },
  }, { prefix, serveSites: [site] });
  const pub = await startTestPublisher(tc.broker.url, site);
  try {
    await pub.online();
    let seq = 0;
    let ts = Date.now() - 60_000;
    const send = async (kw: number, n: number) => { for (let i = 0; i < n; i++) await pub.telemetry(++seq, [sample((ts += 1000), kw)]); };
    await send(1400, 6);
    const opened = await waitFor('violation.opened', () => rx.delivered().find((r) => r.type === 'violation.opened'));
    assert.deepEqual([opened.body.data.site, opened.body.data.allocationKw, opened.body.data.closedAt], [site, 1000, null]);
    assert.ok(opened.body.data.peakKw >= 1400);
    assert.equal('siteId' in opened.body.data, false, 'internal ids stay inside');
    await send(800, 8);
    const closed = await waitFor('violation.closed', () => rx.delivered().find((r) => r.type === 'violation.closed'));
    assert.equal(closed.body.data.id, opened.body.data.id);
    assert.ok(closed.body.data.closedAt > closed.body.data.openedAt);
    assert.deepEqual(rx.delivered().map((r) => r.type), ['violation.opened', 'violation.closed'], 'no alert or event types: the target did not ask for them');
  } finally {
    await pub.clearRetained().catch(() => undefined);
    await pub.close().catch(() => undefined);
    await tc.stop();
    await rx.down().catch(() => undefined);
  }
});

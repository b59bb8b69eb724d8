import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectMqtt, type MqttClient } from '../shared/mqtt/connect.js';
import { agentTopic, COLLECTOR_STATE_TOPIC, topicFilters } from '../shared/protocol/index.js';
import { uniqueId } from '../test/helpers/broker.js';
import { collectorProcess, type CollectorProcess } from '../test/helpers/collector-process.js';
import { realMosquitto } from '../test/helpers/real-mosquitto.js';
import { waitFor } from '../test/helpers/wait-for.js';
import { sample, startTestPublisher, withOutbox, type TestPublisher } from './testing/test-publisher.js';

/**
 * Two collectors in one MQTT share group (`ingest.shareGroup`) on the real
 * Mosquitto: the broker gives each message to one of them, so one agent's seqs
 * are spread over both and neither sees a whole session. The ack must come from
 * the store they share. Test setup: both processes open one SQLite WAL file
 * (better-sqlite3, busy_timeout); docs/protocol.md#several-collectors says why
 * that is a test setup, not a deployment.
 */
/**
 * The timings of a share group (SHARE_GROUP_DEFAULTS in the collector config),
 * scaled down: no session is kept for a dead collector, and a gap waits longer
 * than the agent's resend.
 */
const SESSION_EXPIRY_S = 0;
const RESEND_AFTER_MS = 1500;
const GAP_TIMEOUT_S = 4;
let skip: string | undefined;
let url = '';
let root = '';
let site = '';
let dataDir = '';
const collectors: CollectorProcess[] = [];
/** Each collector's MQTT client id: the `instance` of its collector state. */
const instances: string[] = [];
const publishers: TestPublisher[] = [];

before(async () => {
  const broker = await realMosquitto();
  if ('skip' in broker) {
    skip = broker.skip;
    return;
  }
  url = broker.url;
  root = await mkdtemp(join(tmpdir(), 'hashwatt-shared-ingest-'));
  const prefix = uniqueId('share');
  site = `${prefix}-s`;
  dataDir = join(root, 'store');
  for (const name of ['a', 'b']) {
    const dir = join(root, name);
    await mkdir(dir);
    instances.push(`${prefix}-${name}-collector`); // collectorProcess: broker.clientId
    collectors.push(await collectorProcess(dir, {
      brokerUrl: url, prefix: `${prefix}-${name}`, sites: [site],
      // A short gap timeout: a collector that acked from its own share alone would give up the other's seqs as gaps within the test.
      config: { dataDir, ingest: { clientId: `${prefix}-${name}`, flushMs: 50, sessionExpiryS: SESSION_EXPIRY_S, sites: [site], shareGroup: prefix, gapTimeoutS: GAP_TIMEOUT_S } },
    }));
  }
  // One after the other: the first creates the database and runs the migrations.
  for (const c of collectors) await c.start();
});

after(async () => {
  for (const c of collectors) await c.kill('SIGTERM');
  for (const p of publishers) {
    await p.clearRetained().catch(() => undefined);
    await p.close().catch(() => undefined);
  }
  if (root) await rm(root, { recursive: true, force: true });
});

async function publisher(agent: string): Promise<TestPublisher> {
  const p = await startTestPublisher(url, site, agent);
  publishers.push(p);
  await p.online();
  return p;
}

/** Telemetry messages each collector accepted, from its own /metrics (what an operator scrapes). */
async function telemetryReceived(c: CollectorProcess): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${c.port}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  return Number(/^hashwatt_ingest_messages_total\{kind="telemetry"\} (\d+)/m.exec(text)?.[1] ?? 0);
}

/** What the share group's one store holds of an agent (SQLite file or PostgreSQL database, as the run's store is). */
async function stored(agent: string): Promise<{ log: number; samples: number; gaps: Array<{ from_seq: number; to_seq: number }> }> {
  const db = await collectors[0]!.readStore();
  try {
    const [{ id }] = (await db.all<{ id: number }>('SELECT a.id FROM agents a JOIN sites s ON s.id = a.site_id WHERE s.site = ? AND a.agent = ?', site, agent)) as [{ id: number }];
    const count = async (sql: string) => (await db.all<{ n: number }>(sql, id))[0]!.n;
    return {
      log: await count('SELECT COUNT(*) AS n FROM telemetry_log WHERE agent_id = ?'),
      samples: await count('SELECT COUNT(*) AS n FROM samples WHERE agent_id = ?'),
      gaps: await db.all<{ from_seq: number; to_seq: number }>('SELECT from_seq, to_seq FROM telemetry_gaps WHERE agent_id = ? ORDER BY from_seq', id),
    };
  } finally {
    await db.close();
  }
}

const highestAck = (p: TestPublisher) => Math.max(0, ...p.acks.map((a) => a.seq));

test('one agent over two collectors of a share group: both ingest, each message stored once, every seq acked, no gap', { timeout: 90_000 }, async (t) => {
  if (skip) return t.skip(skip);
  const n = 200;
  const before = await Promise.all(collectors.map(telemetryReceived));
  const p = await publisher('a1');
  const base = Date.now() - n * 1000;
  for (let seq = 1; seq <= n; seq++) await p.telemetry(seq, [sample(base + seq * 1000, 1000 + seq)]);

  // The agent deletes its outbox up to the ack: an ack of n empties it.
  await waitFor(`ack of seq ${n}`, () => highestAck(p) === n, { timeoutMs: 30_000 });
  const received = (await Promise.all(collectors.map(telemetryReceived))).map((count, i) => count - before[i]!);
  assert.ok(received.every((count) => count > 0), `both collectors ingest a share (received ${received.join(' + ')})`);
  assert.equal(received[0]! + received[1]!, n, 'the broker split the messages, it did not copy them to both');
  const s = await stored('a1');
  assert.equal(s.log, n, 'every seq stored once');
  assert.equal(s.samples, n, 'every sample stored once');

  // A gap is declared only after it stayed open gapTimeoutS: its absence can be shown only once that time has passed.
  await new Promise((resolve) => setTimeout(resolve, (GAP_TIMEOUT_S + 1.5) * 1000));
  assert.deepEqual((await stored('a1')).gaps, [], 'no gap recorded');
  assert.equal(highestAck(p), n);
});

test('a seq lost for good while the session is spread over two collectors is recorded as one gap, once, and skipped', { timeout: 90_000 }, async (t) => {
  if (skip) return t.skip(skip);
  const p = await publisher('a2');
  const base = Date.now() - 60_000;
  const lost = 21;
  for (let seq = 1; seq <= 40; seq++) if (seq !== lost) await p.telemetry(seq, [sample(base + seq * 1000, 500 + seq)]);

  await waitFor('ack of seq 40, past the given-up gap', () => highestAck(p) === 40, { timeoutMs: 30_000 });
  const s = await stored('a2');
  assert.deepEqual(s.gaps.map((g) => [g.from_seq, g.to_seq]), [[lost, lost]], 'the lost seq recorded once, by one collector');
  assert.equal(s.log, 39);
});

test('the fallback to MQTT 3.1.1 keeps a share group working: a 3.1.1 and an MQTT 5 subscriber of one group split the messages', { timeout: 30_000 }, async (t) => {
  if (skip) return t.skip(skip);
  const group = uniqueId('g311');
  // A site the collectors above do not serve: these messages are for the two raw subscribers only.
  const other = `${site}-v311`;
  const filter = topicFilters.shared(group, topicFilters.siteAgents(other, 'telemetry'));
  const got = [0, 0];
  const clients: MqttClient[] = [];
  try {
    for (const [i, protocolVersion] of [[0, 4], [1, 5]] as const) {
      const c = await connectMqtt({ url, clientId: `${group}-${protocolVersion}`, protocolVersion });
      clients.push(c);
      c.on('message', () => got[i]!++);
      await c.subscribeAsync(filter, { qos: 1 });
    }
    const sender = await connectMqtt({ url, clientId: `${group}-sender` });
    clients.push(sender);
    for (let i = 0; i < 20; i++) await sender.publishAsync(agentTopic(other, 'a1', 'telemetry'), Buffer.from('{}'), { qos: 1 });
    await waitFor('all 20 messages delivered to the group', () => got[0]! + got[1]! === 20);
    assert.ok(got.every((n) => n > 0), `both subscribers got a share (${got.join(' + ')})`);
  } finally {
    for (const c of clients) await c.endAsync().catch(() => undefined);
  }
});

// Last: it kills one of the two collectors.
test('kill -9 one collector of the group mid-stream: the other takes over its share and says the collector is online again; every message stored once and acked, no gap', { timeout: 90_000 }, async (t) => {
  if (skip) return t.skip(skip);
  const p = await publisher('a3');
  const outbox = withOutbox(p, RESEND_AFTER_MS);
  const before = await Promise.all(collectors.map(telemetryReceived));
  // What agents hear on the collector state (one retained topic, which collectors of other test files share too).
  const states: Array<{ online: boolean; instance?: string }> = [];
  const listener = await connectMqtt({ url, clientId: uniqueId('state-listener') });
  listener.on('message', (_topic, payload) => { if (payload.length > 0) states.push(JSON.parse(payload.toString('utf8'))); });
  await listener.subscribeAsync(COLLECTOR_STATE_TOPIC, { qos: 1 });
  const flow = setInterval(() => outbox.send(700), 20);
  try {
    await waitFor('both collectors ingesting the agent', async () => (await Promise.all(collectors.map(telemetryReceived))).every((n, i) => n >= before[i]! + 10));
    await collectors[1]!.kill('SIGKILL');
    const atKill = outbox.sent();
    await waitFor('100 more messages sent after the kill', () => outbox.sent() >= atKill + 100);
    const [a, b] = instances;
    await waitFor(`collector ${a} online again after ${b}'s Will`, () => {
      const will = states.findIndex((s) => !s.online && s.instance === b);
      return will >= 0 && states.slice(will + 1).some((s) => s.online && s.instance === a);
    });
    clearInterval(flow);
    await waitFor('the outbox empty: every message acked', () => outbox.unacked() === 0, { timeoutMs: 30_000 });
    const s = await stored('a3');
    assert.equal(s.log, outbox.sent(), 'every seq stored once');
    assert.equal(s.samples, outbox.sent(), 'every sample stored once');
    assert.deepEqual(s.gaps, [], 'no gap recorded');
  } finally {
    // On a failure too: the flow and the outbox's resend timer would keep the test process alive.
    clearInterval(flow);
    outbox.stop();
    await listener.endAsync();
  }
});

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { createLogger, createSilentLogger, type Logger } from '../../shared/log/logger.js';
import { withProxyInFront, type TcpProxy } from '../../test/helpers/tcp-proxy.js';
import { waitFor } from '../../test/helpers/wait-for.js';
import { PG_ADMIN_URL, createTestDatabase, postgresSkipReason, type TestDatabase } from '../store/contract/pg-test-database.js';
import type { LiveBus, LiveBusConsumer, LiveChange, ResyncReason } from './live-bus.js';
import { createPostgresLiveBus } from './postgres-live-bus.js';

const skip = await postgresSkipReason();
const database: TestDatabase | undefined = skip === undefined ? await createTestDatabase('live_bus') : undefined;
const admin = database && postgres(database.url, { max: 1, onnotice: () => undefined });
const buses: LiveBus[] = [];
after(async () => {
  for (const bus of buses) await bus.close();
  await admin?.end({ timeout: 1 });
  await database?.drop();
});
const log = createSilentLogger();

interface Received {
  changes: LiveChange[];
  messages: number;
  resyncs: ResyncReason[];
  consumer: LiveBusConsumer;
}

function recorder(): Received {
  const r: Received = {
    changes: [], messages: 0, resyncs: [],
    consumer: {
      onChanges: (changes) => { r.messages++; r.changes.push(...changes); },
      onResync: (reason) => r.resyncs.push(reason),
    },
  };
  return r;
}

/** A started bus with its own application name, so a test can find its connection in pg_stat_activity. */
async function bus(name: string, options: { url?: string; maxPending?: number; log?: Logger } = {}): Promise<{ bus: LiveBus; got: Received; applicationName: string }> {
  const applicationName = `live-bus-${name}-${randomBytes(3).toString('hex')}`;
  const b = createPostgresLiveBus({ url: options.url ?? database!.url, log: options.log ?? log, instanceId: `${name}-${applicationName}`, applicationName, ...(options.maxPending !== undefined ? { maxPending: options.maxPending } : {}) });
  buses.push(b);
  const got = recorder();
  await b.start(got.consumer);
  return { bus: b, got, applicationName };
}

/** A TCP proxy in front of the test database, for outages; `url` goes through it. Stopped after `fn`. */
function withProxy(fn: (proxy: TcpProxy, url: string) => Promise<void>): Promise<void> {
  return withProxyInFront(database!.url, 5432, fn);
}

/** A logger that keeps the messages of its warnings, as an operator would read them. */
function warningsLog(): { log: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const recording = createLogger({ level: 'warn', destination: { write: (line: string) => void warnings.push((JSON.parse(line) as { msg: string }).msg) } });
  return { log: recording, warnings };
}

const counts = { hashing: 9, idle: 0, sleeping: 1, offline: 0, error: 0, total: 10 };
function sample(agentId: number, ts: number, kw = 50): LiveChange {
  return { kind: 'sample', siteId: 1, agentId, agent: `gw-${agentId}`, at: ts, sample: { ts, meterKw: kw, meterKwh: null, minerKw: kw - 1, hashrateThs: 900, counts, revision: 3 } };
}

test('a change published by collector A arrives at B, in the order A published it, and never back at A', { skip }, async () => {
  const a = await bus('a');
  const b = await bus('b');
  const commits: LiveChange[][] = [
    [sample(1, 1000), { kind: 'state', siteId: 1, agentId: 2, agent: 'gw-2', at: 1000, online: false }],
    [{ kind: 'site', siteId: 4 }],
    [sample(1, 2000), { kind: 'event', eventId: 'e-1' }, { kind: 'stream', type: 'audit', data: { action: 'site.update' } }],
  ];
  for (const c of commits) await a.bus.publish(c);
  await waitFor('B to receive A\'s three commits', () => b.got.changes.length >= 5);
  assert.deepEqual(b.got.changes, commits.flat());
  assert.equal(b.got.messages, 3, 'one message per commit');

  // B's reply commits after A's messages, so once A has it, any echo of A's own would have come first.
  await b.bus.publish([{ kind: 'site', siteId: 9 }]);
  await waitFor('A to receive B\'s change', () => a.got.changes.length >= 1);
  assert.deepEqual(a.got.changes, [{ kind: 'site', siteId: 9 }], 'A got B\'s change and none of its own');
  assert.deepEqual([a.got.resyncs, b.got.resyncs], [[], []]);
});

test('a commit too large for one notification is split, and every change arrives at the peer in order', { skip }, async () => {
  const a = await bus('a');
  const b = await bus('b');
  const large = Array.from({ length: 3000 }, (_, i) => sample(i + 1, 10_000 + i, 40 + (i % 7)));
  await a.bus.publish(large);
  await waitFor('B to receive all 3000 samples', () => b.got.changes.length >= large.length, { timeoutMs: 20_000 });
  assert.deepEqual(b.got.changes, large);
  // 70 bytes or so a sample, ~200 kB in all: PostgreSQL would have refused it as one payload.
  assert.ok(b.got.messages >= 20, `split into ${b.got.messages} messages`);
  assert.deepEqual(b.got.resyncs, [], 'nothing lost, so no resync');
});

test('after B\'s listening connection is terminated, B listens again, reports a resync, and receives later changes', { skip }, async () => {
  const a = await bus('a');
  const b = await bus('b');
  await a.bus.publish([sample(1, 1000)]);
  await waitFor('B to receive the first change', () => b.got.changes.length === 1);

  const terminated = await admin!`SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE application_name = ${b.applicationName}`;
  assert.deepEqual(terminated.map((r) => r.done), [true], 'B has exactly one connection, and it was ended');
  await waitFor('B to report a resync', () => b.got.resyncs.length > 0);
  assert.deepEqual(b.got.resyncs, ['reconnected']);
  await waitFor('B\'s connection to be back', async () => (await admin!`SELECT 1 FROM pg_stat_activity WHERE application_name = ${b.applicationName}`).length === 1);

  await a.bus.publish([sample(1, 2000, 61)]);
  await waitFor('B to receive the change sent after the reconnect', () => b.got.changes.length === 2);
  assert.deepEqual(b.got.changes, [sample(1, 1000), sample(1, 2000, 61)]);
  assert.deepEqual(a.got.resyncs, [], 'A\'s connection was not touched');
});

test('while the network to the database is cut, B keeps reconnecting; once it is back, B resyncs and receives later changes', { skip }, () => withProxy(async (proxy, url) => {
  const a = await bus('a');
  const b = await bus('b', { url });
  await a.bus.publish([sample(1, 1000)]);
  await waitFor('B to receive the first change', () => b.got.changes.length === 1);

  proxy.cut();
  // An outage longer than one reconnect attempt.
  await waitFor('B to try to reconnect, and be refused, three times', () => proxy.refused() >= 3);
  await a.bus.publish([sample(1, 2000, 70)]); // lost to B: it is not listening
  proxy.restore();
  await waitFor('B to listen again and report a resync', () => b.got.resyncs.length > 0, { timeoutMs: 15_000 });
  assert.deepEqual(b.got.resyncs, ['reconnected']);

  await a.bus.publish([sample(1, 3000, 80)]);
  await waitFor('B to receive the change sent after the outage', () => b.got.changes.length === 2);
  assert.deepEqual(b.got.changes, [sample(1, 1000), sample(1, 3000, 80)], 'what was sent during the outage is what the resync makes up for');
}));

test('a bus closed while the database is unreachable closes, also with a send waiting', { skip }, () => withProxy(async (proxy, url) => {
  const b = await bus('b', { url });
  proxy.cut();
  await waitFor('B to be refused a reconnect', () => proxy.refused() >= 1);
  void b.bus.publish([sample(1, 1000)]);
  let closed = false;
  void b.bus.close().then(() => (closed = true));
  await waitFor('B to close', () => closed);
}));

test('when a sender falls behind and drops a commit\'s changes, the peer notices the gap and resyncs', { skip }, async () => {
  const a = await bus('a', { maxPending: 1 });
  const b = await bus('b');
  const first = a.bus.publish([sample(1, 1000)]);
  await a.bus.publish([sample(1, 2000)]); // one message already waiting: dropped
  await first;
  await a.bus.publish([sample(1, 3000)]);
  await waitFor('B to receive the third commit', () => b.got.changes.length === 2);
  assert.deepEqual(b.got.changes, [sample(1, 1000), sample(1, 3000)]);
  assert.deepEqual(b.got.resyncs, ['gap'], 'the skipped number told B it missed something');
});

test('while the database refuses connections, B retries LISTEN and warns; once it accepts again, B resyncs and receives later changes', { skip }, async () => {
  const { log: recording, warnings } = warningsLog();
  const a = await bus('a');
  const b = await bus('b', { log: recording });
  const name = database!.name;
  // A database cannot disallow connections to itself: this runs from the maintenance database.
  const maintenance = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => undefined });
  try {
    // As while the database restarts: new sessions are refused (not left hanging), so each LISTEN attempt fails.
    await maintenance.unsafe(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`);
    await admin!`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ${b.applicationName}`;
    await waitFor('B to warn that LISTEN fails', () => warnings.includes('live bus cannot LISTEN yet; retrying'));
    await a.bus.publish([sample(1, 1000)]); // lost to B
  } finally {
    await maintenance.unsafe(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`);
    await maintenance.end({ timeout: 1 });
  }
  await waitFor('B to listen again and report a resync', () => b.got.resyncs.length > 0);
  assert.deepEqual(b.got.resyncs, ['reconnected']);
  await a.bus.publish([sample(1, 2000, 61)]);
  await waitFor('B to receive the change sent after', () => b.got.changes.length === 1);
  assert.deepEqual(b.got.changes, [sample(1, 2000, 61)]);
});

test('while the database is down (connections refused), B keeps trying; once it is back, B resyncs and receives later changes', { skip }, () => withProxy(async (proxy, url) => {
  const { log: recording, warnings } = warningsLog();
  const a = await bus('a');
  const b = await bus('b', { url, log: recording });
  // The case the client's own sql.listen() does not survive: its re-LISTEN is refused and it stops delivering.
  await proxy.close();
  await waitFor('B to warn that LISTEN fails', () => warnings.includes('live bus cannot LISTEN yet; retrying'));
  await proxy.reopen();
  await waitFor('B to listen again and report a resync', () => b.got.resyncs.length > 0, { timeoutMs: 15_000 });
  assert.deepEqual(b.got.resyncs, ['reconnected']);
  await a.bus.publish([sample(1, 2000, 61)]);
  await waitFor('B to receive the change sent after', () => b.got.changes.length === 1);
  assert.deepEqual(b.got.changes, [sample(1, 2000, 61)]);
}));

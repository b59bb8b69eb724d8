import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startFleet, type Fleet } from './fleet.js';
import { waitFor } from '../../test/helpers/wait-for.js';
import type { Personality } from '../emulated-miner.js';
import { basicPersonality } from './basic-personality.js';

type Outcome = { kind: 'reply'; bytes: Buffer; ms: number } | { kind: 'error'; code: string; ms: number } | { kind: 'timeout'; ms: number };

/** What a driver's transport would see: connect, send, read to close, under a deadline. */
function ask(host: string, port: number, payload: string | Buffer, deadlineMs = 1000): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ kind: 'timeout', ms: Date.now() - started });
    }, deadlineMs);
    socket.on('connect', () => socket.write(payload));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ kind: 'reply', bytes: Buffer.concat(chunks), ms: Date.now() - started });
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ kind: 'error', code: err.code ?? err.message, ms: Date.now() - started });
    });
  });
}

function json(outcome: Outcome): Record<string, unknown> {
  assert.equal(outcome.kind, 'reply', JSON.stringify(outcome));
  const bytes = (outcome as { bytes: Buffer }).bytes;
  assert.equal(bytes[bytes.length - 1], 0, 'reply ends with NUL');
  return JSON.parse(bytes.subarray(0, -1).toString('utf8')) as Record<string, unknown>;
}

// Every port kind, so the v3 and HTTP framing are exercised through the core.
const allPorts: Personality = {
  ...basicPersonality('whatsminer'),
  v3: (miner, req) => ({ code: 0, msg: { cmd: req.cmd, id: miner.id, phase: miner.snapshot().phase } }),
  http: (miner, req) => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: miner.id, url: req.url, body: req.body.toString() }) }),
};

let fleet: Fleet;
const host = `127.${2 + Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.1`;

before(async () => {
  fleet = await startFleet({ miners: 6, host, portBase: 0, mix: { whatsminer: 1 }, timeFactor: 0.05, slowDelayMs: 600, personalities: { whatsminer: allPorts } });
});
after(() => fleet.stop());

function endpoint(i: number) {
  return fleet.endpoints()[i]!;
}

test('a healthy miner answers the cgminer API with a NUL-terminated reply, with or without a NUL in the request', async () => {
  const ep = endpoint(0);
  const a = json(await ask(ep.host, ep.port!, '{"command":"summary"}'));
  assert.equal((a.STATUS as Array<{ STATUS: string }>)[0]!.STATUS, 'S');
  const b = json(await ask(ep.host, ep.port!, '{"command":"version"}\0'));
  assert.ok(b.VERSION);
  // Split across TCP writes: the core waits for the complete object.
  const split = await new Promise<Outcome>((resolve) => {
    const s = connect({ host: ep.host, port: ep.port! }, () => {
      s.write('{"comm');
      setTimeout(() => s.write('and":"summary"}'), 50);
    });
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => resolve({ kind: 'reply', bytes: Buffer.concat(chunks), ms: 0 }));
  });
  assert.ok(json(split).SUMMARY);
});

test('unparseable requests get a cgminer error status, not a dropped connection', async () => {
  const ep = endpoint(0);
  const reply = json(await ask(ep.host, ep.port!, 'this is not json\0'));
  const status = (reply.STATUS as Array<{ STATUS: string; Msg: string }>)[0]!;
  assert.equal(status.STATUS, 'E');
  assert.match(status.Msg, /Invalid JSON/);
});

test('Whatsminer v3 framing: 4-byte little-endian length + JSON both ways', async () => {
  const ep = endpoint(0);
  const body = Buffer.from(JSON.stringify({ cmd: 'get.device.info' }));
  const head = Buffer.alloc(4);
  head.writeUInt32LE(body.length);
  const outcome = await new Promise<Buffer>((resolve, reject) => {
    const s = connect({ host: ep.host, port: ep.v3Port! }, () => s.write(Buffer.concat([head, body])));
    let buf = Buffer.alloc(0);
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      if (buf.length >= 4 && buf.length >= 4 + buf.readUInt32LE(0)) {
        s.destroy();
        resolve(buf);
      }
    });
    s.on('error', reject);
  });
  const reply = JSON.parse(outcome.subarray(4, 4 + outcome.readUInt32LE(0)).toString()) as { code: number; msg: { cmd: string; id: string } };
  assert.deepEqual(reply, { code: 0, msg: { cmd: 'get.device.info', id: ep.id, phase: 'hashing' } });
});

test('HTTP port reaches the personality with method, url and body', async () => {
  const ep = endpoint(1);
  const res = await fetch(`http://${ep.host}:${ep.httpPort}/api/v1/x?y=1`, { method: 'POST', body: 'hello' });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { id: ep.id, url: '/api/v1/x?y=1', body: 'hello' });
});

test('hung: the connection is accepted and never answered', async () => {
  const ep = endpoint(2);
  await fleet.setFaults(ep.id, { hung: true });
  const outcome = await ask(ep.host, ep.port!, '{"command":"summary"}', 500);
  assert.equal(outcome.kind, 'timeout');
  await fleet.setFaults(ep.id, { hung: false });
  assert.ok(json(await ask(ep.host, ep.port!, '{"command":"summary"}')).SUMMARY);
});

test('garbage: random bytes that are not a cgminer reply', async () => {
  const ep = endpoint(3);
  await fleet.setFaults(ep.id, { garbage: true });
  const outcome = await ask(ep.host, ep.port!, '{"command":"summary"}');
  assert.equal(outcome.kind, 'reply');
  const bytes = (outcome as { bytes: Buffer }).bytes;
  assert.ok(bytes.length >= 64);
  assert.throws(() => JSON.parse(bytes.toString('utf8').replace(/\0$/, '')));
  await fleet.setFaults(ep.id, { garbage: false });
});

test('refuse: the port is closed (ECONNREFUSED) on every protocol, and opens again when cleared', async () => {
  const ep = endpoint(4);
  await fleet.setFaults(ep.id, { refuse: true });
  const refused = await ask(ep.host, ep.port!, '{"command":"summary"}');
  assert.equal(refused.kind === 'error' && refused.code, 'ECONNREFUSED');
  const httpFailed = await fetch(`http://${ep.host}:${ep.httpPort}/`).then(() => false, () => true);
  assert.ok(httpFailed, 'HTTP refused too');
  await fleet.setFaults(ep.id, { refuse: false });
  assert.ok(json(await ask(ep.host, ep.port!, '{"command":"summary"}')).SUMMARY);
});

test('slow: answers correctly but only after the slow delay', async () => {
  const ep = endpoint(5);
  await fleet.setFaults(ep.id, { slow: true });
  const late = await ask(ep.host, ep.port!, '{"command":"summary"}', 3000);
  assert.ok(json(late).SUMMARY);
  assert.ok(late.ms >= 550, `answered after ${late.ms} ms`);
  assert.equal((await ask(ep.host, ep.port!, '{"command":"summary"}', 300)).kind, 'timeout', 'a 300 ms deadline misses it');
  await fleet.setFaults(ep.id, { slow: false });
});

test('pause over the API puts the miner to sleep after the scaled delay, and resume wakes it', async () => {
  const ep = endpoint(0);
  json(await ask(ep.host, ep.port!, '{"command":"pause"}'));
  const miner = fleet.miner(ep.id);
  await waitFor('miner asleep', () => miner.snapshot().phase === 'sleeping', { timeoutMs: 5000 });
  assert.ok(fleet.groundTruth()[0]!.powerW < 100);
  json(await ask(ep.host, ep.port!, '{"command":"resume"}'));
  await waitFor('miner hashing again', () => miner.snapshot().phase === 'hashing', { timeoutMs: 5000 });
});

test('setFaults names unknown miners and faults', async () => {
  await assert.rejects(fleet.setFaults('nope', { hung: true }), /no emulated miner 'nope'/);
  await assert.rejects(fleet.setFaults(endpoint(0).id, { melt: true } as never), /unknown fault 'melt'/);
});

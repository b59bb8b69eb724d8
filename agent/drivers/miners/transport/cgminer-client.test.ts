import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cgminerCommand, cgminerJoined, cgminerRaw, type JoinMemory } from './cgminer-client.js';
import { closedPort, randomLoopback, startTestServer } from './test-servers.js';
import { isAppError } from '../../../../shared/errors.js';
import { waitFor } from '../../../../test/helpers/wait-for.js';

const OK_SUMMARY = '{"STATUS":[{"STATUS":"S","Msg":"Summary","Code":11}],"SUMMARY":[{"GHS 5s":100.5,"Elapsed":10}],"id":1}';

test('cgminer: NUL-terminated reply while the miner keeps the socket open', async (t) => {
  const server = await startTestServer((_req, socket) => socket.write(`${OK_SUMMARY}\0`));
  t.after(() => server.close());
  const reply = await cgminerCommand({ host: server.host, port: server.port, timeoutMs: 2000 }, 'summary');
  assert.equal((reply.SUMMARY as Array<Record<string, number>>)[0]!['GHS 5s'], 100.5);
  assert.deepEqual(JSON.parse(server.requests[0]!), { command: 'summary' });
  await waitFor('client to close its socket', () => server.openSockets() === 0, { timeoutMs: 2000 });
});

test('cgminer: reply terminated only by close', async (t) => {
  const server = await startTestServer((_req, socket) => socket.end(OK_SUMMARY));
  t.after(() => server.close());
  const reply = await cgminerCommand({ host: server.host, port: server.port, timeoutMs: 2000 }, 'summary');
  assert.ok(Array.isArray(reply.SUMMARY));
});

test('cgminer: newline-terminated reply with the socket left open', async (t) => {
  const server = await startTestServer((_req, socket) => socket.write(`${OK_SUMMARY}\n`));
  t.after(() => server.close());
  const reply = await cgminerCommand({ host: server.host, port: server.port, timeoutMs: 2000 }, 'summary');
  assert.ok(Array.isArray(reply.SUMMARY));
});

test('cgminer: parameter is sent and a slow reply in fragments is reassembled', async (t) => {
  const server = await startTestServer((_req, socket) => {
    const text = `{"STATUS":[{"STATUS":"S","Msg":"Curtail"}],\n"CURTAIL":[{"Result":"ok"}]}\0`;
    let i = 0;
    const timer = setInterval(() => {
      socket.write(text.slice(i, i + 7));
      i += 7;
      if (i >= text.length) clearInterval(timer);
    }, 5);
  });
  t.after(() => server.close());
  const reply = await cgminerCommand({ host: server.host, port: server.port, timeoutMs: 5000 }, 'curtail', 'abc,sleep');
  assert.deepEqual(JSON.parse(server.requests[0]!), { command: 'curtail', parameter: 'abc,sleep' });
  assert.deepEqual(reply.CURTAIL, [{ Result: 'ok' }]);
});

test('cgminer: a hung miner rejects with TIMEOUT at the deadline and the socket is closed', async (t) => {
  const server = await startTestServer(() => undefined);
  t.after(() => server.close());
  const started = Date.now();
  await assert.rejects(cgminerRaw({ host: server.host, port: server.port, timeoutMs: 300 }, { command: 'summary' }), (err: unknown) => isAppError(err, 'TIMEOUT'));
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 290 && elapsed < 2000, `deadline honoured (${elapsed} ms)`);
  await waitFor('hung socket to be closed by the client', () => server.openSockets() === 0, { timeoutMs: 2000 });
});

test('cgminer: refused connection rejects with UNREACHABLE', async () => {
  const host = randomLoopback();
  const port = await closedPort(host);
  await assert.rejects(cgminerRaw({ host, port, timeoutMs: 2000 }, { command: 'summary' }), (err: unknown) => isAppError(err, 'UNREACHABLE') && /refused/.test(err.message));
});

test('cgminer: garbage reply rejects with PARSE', async (t) => {
  const server = await startTestServer((_req, socket) => socket.end('\x07\x00\xff garbage'));
  t.after(() => server.close());
  // the NUL inside the garbage terminates the reply: what came before is not JSON
  await assert.rejects(cgminerCommand({ host: server.host, port: server.port, timeoutMs: 2000 }, 'summary'), (err: unknown) => isAppError(err, 'PARSE'));
});

test('cgminer: closing without a reply rejects with PROTOCOL', async (t) => {
  const server = await startTestServer((_req, socket) => socket.end());
  t.after(() => server.close());
  await assert.rejects(cgminerCommand({ host: server.host, port: server.port, timeoutMs: 2000 }, 'summary'), (err: unknown) => isAppError(err, 'PROTOCOL') || isAppError(err, 'UNREACHABLE'));
});

test('cgminer: broken JSON from the firmware is repaired', async (t) => {
  const server = await startTestServer((_req, socket) => socket.end('{"STATUS":[{"STATUS":"S",}],"STATS":[{"a":1}{"temp":inf,"b":-nan}],"id":1}\0'));
  t.after(() => server.close());
  const reply = await cgminerCommand({ host: server.host, port: server.port, timeoutMs: 2000 }, 'stats');
  assert.deepEqual(reply.STATS, [{ a: 1 }, { temp: null, b: null }]);
});

for (const letter of ['E', 'W', 'F']) {
  test(`cgminer: STATUS ${letter} raises MINER_ERROR with the miner's Msg`, async (t) => {
    const server = await startTestServer((_req, socket) => socket.end(`{"STATUS":[{"STATUS":"${letter}","Code":45,"Msg":"Access denied to 'curtail' command"}],"id":1}\0`));
    t.after(() => server.close());
    await assert.rejects(
      cgminerCommand({ host: server.host, port: server.port, timeoutMs: 2000 }, 'curtail', 'x,sleep'),
      (err: unknown) => isAppError(err, 'MINER_ERROR') && err.message.includes("Access denied to 'curtail' command") && err.details?.status === letter,
    );
  });
}

test('cgminer: joined command returns each section', async (t) => {
  const server = await startTestServer((_req, socket) =>
    socket.end(`{"summary":[${OK_SUMMARY}],"stats":[{"STATUS":[{"STATUS":"S"}],"STATS":[{"Type":"X"}],"id":1}],"id":1}\0`),
  );
  t.after(() => server.close());
  const replies = await cgminerJoined({ host: server.host, port: server.port, timeoutMs: 2000 }, ['summary', 'stats']);
  assert.deepEqual(JSON.parse(server.requests[0]!), { command: 'summary+stats' });
  assert.equal(server.requests.length, 1);
  assert.ok(Array.isArray(replies.summary!.SUMMARY));
  assert.deepEqual(replies.stats!.STATS, [{ Type: 'X' }]);
});

test('cgminer: joined command refused (stock S19) falls back to separate requests and remembers', async (t) => {
  const server = await startTestServer((req, socket) => {
    const { command } = JSON.parse(req) as { command: string };
    if (command.includes('+')) socket.end('{"STATUS":[{"STATUS":"E","Code":14,"Msg":"Invalid command"}],"id":1}\0');
    else if (command === 'summary') socket.end(`${OK_SUMMARY}\0`);
    else socket.end('{"STATUS":[{"STATUS":"S"}],"STATS":[{"Type":"Antminer S19"}],"id":1}\0');
  });
  t.after(() => server.close());
  const memory: JoinMemory = {};
  const target = { host: server.host, port: server.port, timeoutMs: 2000 };
  const replies = await cgminerJoined(target, ['summary', 'stats'], memory);
  assert.deepEqual(replies.stats!.STATS, [{ Type: 'Antminer S19' }]);
  assert.equal(memory.joinRefused, true);
  assert.deepEqual(server.requests.map((r) => (JSON.parse(r) as { command: string }).command), ['summary+stats', 'summary', 'stats']);
  await cgminerJoined(target, ['summary', 'stats'], memory);
  assert.equal(server.requests.length, 5, 'second read skips the joined attempt');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { decodeV3Frame, encodeV3Frame, v3Request } from './v3-transport.js';

function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port })));
}

test('frames are 4-byte little-endian length + JSON', () => {
  const frame = encodeV3Frame({ cmd: 'get.device.info' });
  assert.equal(frame.readUInt32LE(0), frame.length - 4);
  assert.equal(frame.subarray(4).toString(), '{"cmd":"get.device.info"}');
  assert.equal(decodeV3Frame(frame.subarray(0, 6)), undefined);
  assert.deepEqual(JSON.parse(decodeV3Frame(frame)!.body.toString()), { cmd: 'get.device.info' });
  const huge = Buffer.alloc(8);
  huge.writeUInt32LE(0x7fffffff, 0);
  assert.throws(() => decodeV3Frame(huge), /exceeds/);
});

test('request/reply over a real socket, reply split across writes', async () => {
  let seen: unknown;
  const { server, port } = await listen((socket) => {
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      const frame = decodeV3Frame(buf);
      if (!frame) return;
      seen = JSON.parse(frame.body.toString());
      const reply = encodeV3Frame({ code: 0, when: 1, msg: { summary: { 'hash-realtime': 1 } }, desc: 'get.miner.status' });
      socket.write(reply.subarray(0, 3));
      setImmediate(() => socket.end(reply.subarray(3)));
    });
  });
  try {
    const reply = await v3Request({ host: '127.0.0.1', port, timeoutMs: 2000 }, { cmd: 'get.miner.status', param: 'summary' });
    assert.deepEqual(seen, { cmd: 'get.miner.status', param: 'summary' });
    assert.deepEqual(reply, { code: 0, when: 1, msg: { summary: { 'hash-realtime': 1 } }, desc: 'get.miner.status' });
  } finally {
    server.close();
  }
});

test('a silent server hits the deadline (TIMEOUT); a closed port is UNREACHABLE; early close is PROTOCOL', async () => {
  const silent = await listen(() => {});
  const closing = await listen((socket) => socket.end(Buffer.from([5, 0])));
  try {
    await assert.rejects(v3Request({ host: '127.0.0.1', port: silent.port, timeoutMs: 150 }, { cmd: 'x' }), { code: 'TIMEOUT' });
    await assert.rejects(v3Request({ host: '127.0.0.1', port: closing.port, timeoutMs: 2000 }, { cmd: 'x' }), { code: 'PROTOCOL' });
  } finally {
    silent.server.close();
    closing.server.close();
  }
  const gone = await listen(() => {});
  gone.server.close();
  await assert.rejects(v3Request({ host: '127.0.0.1', port: gone.port, timeoutMs: 2000 }, { cmd: 'x' }), { code: 'UNREACHABLE' });
});

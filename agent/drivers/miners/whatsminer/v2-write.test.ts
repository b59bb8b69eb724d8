import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import type { EmulatedMiner, MinerSnapshot } from '../../../../sim/emulated-miner.js';
import { whatsminerV2Personality } from '../../../../sim/personalities/whatsminer.js';
import { v2Write } from './v2-client.js';

/**
 * The v2 encrypted write path end to end over a real socket: the driver's
 * get_token → md5-crypt → AES request, answered by the Whatsminer personality
 * behind a bare 4028-style server (one request per connection, NUL + close).
 * The emulator core is bypassed on purpose: its front door currently requires
 * a "command" key, which btminer's {"enc":1,…} writes do not have.
 */
function fakeMiner(password: string, calls: string[]): EmulatedMiner {
  const snapshot: MinerSnapshot = { phase: 'hashing', powerW: 3400, hashrateThs: 100, boardTempsC: [70, 71, 72], fanRpm: [5000, 5100], uptimeS: 100, powerTargetW: null, now: Date.now() };
  return {
    id: 'wm-1', index: 0, host: '127.0.0.1', firmware: 'whatsminer', mac: 'C4:08:28:00:00:01', serial: 'S1',
    spec: { make: 'MicroBT', model: 'WhatsMiner M30S+', nominalThs: 100, nominalW: 3400, sleepW: 50, hashboards: 3 },
    credentials: { username: 'admin', password },
    faults: { hung: false, garbage: false, refuse: false, slow: false, ignoreSleep: false },
    snapshot: () => snapshot,
    requestSleep: () => calls.push('sleep'),
    requestWake: () => calls.push('wake'),
    setPowerTarget: (w) => calls.push(`target ${w}`),
    memory: new Map(),
  };
}

async function serve(miner: EmulatedMiner) {
  const server = createServer((socket) => {
    socket.once('data', (chunk) => {
      const reply = whatsminerV2Personality.cgminer!(miner, JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      socket.end(reply + '\0');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

test('power_off / power_on / adjust_power_limit with the right password reach the miner', async () => {
  const calls: string[] = [];
  const { server, port } = await serve(fakeMiner('s3cret', calls));
  try {
    const target = { host: '127.0.0.1', port, timeoutMs: 2000 };
    const off = await v2Write(target, 's3cret', { cmd: 'power_off', respbefore: 'true' });
    assert.equal(off.Code, 131);
    await v2Write(target, 's3cret', { cmd: 'power_on' });
    await v2Write(target, 's3cret', { cmd: 'adjust_power_limit', power_limit: '2500' });
    assert.deepEqual(calls, ['sleep', 'wake', 'target 2500']);
  } finally {
    server.close();
  }
});

test('a wrong password is AUTH_FAILED and nothing happens', async () => {
  const calls: string[] = [];
  const { server, port } = await serve(fakeMiner('s3cret', calls));
  try {
    await assert.rejects(v2Write({ host: '127.0.0.1', port, timeoutMs: 2000 }, 'admin', { cmd: 'power_off', respbefore: 'true' }), { code: 'AUTH_FAILED' });
    assert.deepEqual(calls, []);
  } finally {
    server.close();
  }
});

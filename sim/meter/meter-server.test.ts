// The emulated meter at the protocol level: raw MBAP frames over a real socket
// (framing split and pipelined, exception codes, unit ids, faults), and a
// client we did not write (pymodbus) decoding what the emulator serves.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startModbusMeterServer, type MeterServer } from './meter-server.js';

const octet = () => 1 + Math.floor(Math.random() * 250);
const HOST = `127.${octet()}.${octet()}.${octet()}`;
const site = { powerW: 250_000, importKwh: 4_321.5 };

const servers: MeterServer[] = [];
const sockets: Socket[] = [];
after(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(servers.map((s) => s.stop()));
});

async function meter(preset: 'eastron-sdm630' | 'schneider-pm5000', unitId?: number): Promise<MeterServer> {
  const s = await startModbusMeterServer({
    host: HOST, port: 0, preset, ...(unitId === undefined ? {} : { unitId }),
    readPowerW: () => site.powerW, readImportKwh: () => site.importKwh,
  });
  servers.push(s);
  return s;
}

function request(tid: number, unit: number, fn: number, address: number, count: number, protocolId = 0): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(tid, 0);
  b.writeUInt16BE(protocolId, 2);
  b.writeUInt16BE(6, 4);
  b.writeUInt8(unit, 6);
  b.writeUInt8(fn, 7);
  b.writeUInt16BE(address, 8);
  b.writeUInt16BE(count, 10);
  return b;
}

/** A raw client that collects whole response frames (by the MBAP length). */
async function rawClient(port: number) {
  const socket = connect({ host: HOST, port });
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let buffered = Buffer.alloc(0);
  const frames: Buffer[] = [];
  let closed = false;
  socket.on('data', (d) => {
    buffered = Buffer.concat([buffered, d]);
    while (buffered.length >= 6 && buffered.length >= 6 + buffered.readUInt16BE(4)) {
      const len = 6 + buffered.readUInt16BE(4);
      frames.push(buffered.subarray(0, len));
      buffered = buffered.subarray(len);
    }
  });
  socket.on('close', () => (closed = true));
  return {
    socket,
    async next(n = 1, timeoutMs = 5_000): Promise<Buffer[]> {
      const deadline = Date.now() + timeoutMs;
      while (frames.length < n) {
        if (Date.now() > deadline) throw new Error(`no ${n} response frame(s) within ${timeoutMs} ms (got ${frames.length})`);
        if (closed) throw new Error('connection closed by the server');
        await new Promise((r) => setTimeout(r, 5));
      }
      return frames.splice(0, n);
    },
    closed: () => closed,
  };
}

test('serves SDM630 power (W) and import (kWh) as big-endian float32 input registers', async () => {
  const s = await meter('eastron-sdm630');
  const c = await rawClient(s.port);
  c.socket.write(request(0x1234, 1, 4, 0x34, 2));
  const [frame] = await c.next();
  assert.equal(frame!.readUInt16BE(0), 0x1234, 'transaction id echoed');
  assert.equal(frame!.readUInt8(6), 1, 'unit id echoed');
  assert.deepEqual([...frame!.subarray(7, 9)], [4, 4], 'function 4, 4 bytes');
  assert.equal(frame!.readFloatBE(9), 250_000);

  // Split into single bytes and pipelined with a second request: framing must hold.
  const both = Buffer.concat([request(1, 1, 4, 0x48, 2), request(2, 0xff, 4, 0x34, 2)]);
  for (const byte of both) c.socket.write(Buffer.from([byte]));
  const [energy, power] = await c.next(2);
  assert.equal(energy!.readUInt16BE(0), 1);
  assert.equal(energy!.readFloatBE(9), 4_321.5);
  assert.equal(power!.readUInt16BE(0), 2, 'unit id 255 ("this device") is answered');
  assert.equal(power!.readFloatBE(9), 250_000);
});

test('answers Modbus exceptions a real meter would send', async () => {
  const s = await meter('schneider-pm5000', 5);
  const c = await rawClient(s.port);
  const exception = async (req: Buffer) => {
    c.socket.write(req);
    const [f] = await c.next();
    return [f!.readUInt8(7), f!.readUInt8(8)];
  };
  assert.deepEqual(await exception(request(1, 5, 4, 3059, 2)), [0x84, 2], 'PM5000 power is a holding register, not an input register');
  assert.deepEqual(await exception(request(2, 5, 3, 3058, 2)), [0x83, 2], 'a read straddling an unmapped register');
  assert.deepEqual(await exception(request(3, 5, 3, 3059, 0)), [0x83, 3], 'zero registers');
  assert.deepEqual(await exception(request(4, 5, 3, 3059, 126)), [0x83, 3], 'more than 125 registers');
  assert.deepEqual(await exception(request(5, 5, 6, 3059, 1)), [0x86, 1], 'write single register');
  assert.deepEqual(await exception(request(6, 1, 3, 3059, 2)), [0x83, 0x0b], 'another unit id behind the gateway');
  // A read of just the low word of a float32 is served (real meters allow it).
  c.socket.write(request(7, 5, 3, 3060, 1));
  const [half] = await c.next();
  assert.equal(half!.readUInt8(8), 2);
});

test('drops a connection that does not speak Modbus', async () => {
  const s = await meter('eastron-sdm630');
  const c = await rawClient(s.port);
  c.socket.write(request(1, 1, 4, 0x34, 2, 0x0101));
  await assert.rejects(c.next(), /connection closed by the server/);
});

test('fault injection: hang answers nothing, none restores', async () => {
  const s = await meter('eastron-sdm630');
  const c = await rawClient(s.port);
  s.setFault('hang');
  c.socket.write(request(1, 1, 4, 0x34, 2));
  await assert.rejects(c.next(1, 300), /no 1 response frame/);
  s.setFault('none');
  c.socket.write(request(2, 1, 4, 0x34, 2));
  const [f] = await c.next();
  assert.equal(f!.readUInt16BE(0), 2);
});

test('stop() closes open connections and frees the port', async () => {
  const s = await startModbusMeterServer({ host: HOST, port: 0, preset: 'eastron-sdm630', readPowerW: () => 1, readImportKwh: () => 1 });
  const c = await rawClient(s.port);
  await s.stop();
  const deadline = Date.now() + 5_000;
  while (!c.closed() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  assert.ok(c.closed(), 'client connection closed');
  await assert.rejects(rawClient(s.port), /ECONNREFUSED/);
});

// --- a client we did not write -------------------------------------------------

const PYTHON = '/usr/bin/python3';
const READER = join(repoRoot(), 'sim/meter/testdata/pymodbus-read.py');
const probe = existsSync(PYTHON) ? spawnSync(PYTHON, ['-c', 'import pymodbus.client'], { encoding: 'utf8', timeout: 20_000 }) : null;
const missing = !probe ? `${PYTHON} not found` : probe.status !== 0 ? `pymodbus is not importable: ${(probe.stderr ?? '').trim().split('\n').pop()}` : null;
if (missing && process.env.CI !== 'true') console.log(`# skipping pymodbus client checks: ${missing}`);

test('pymodbus reads the emulated SDM630 and PM5000 at their documented registers', { skip: missing !== null && process.env.CI !== 'true' }, async () => {
  assert.equal(missing, null, missing ?? '');
  const sdm = await meter('eastron-sdm630');
  const pm = await meter('schneider-pm5000', 3);
  // Async: the emulator answers from this process's event loop.
  const read = async (port: number, unit: number, reads: { fn: number; address: number }[]) => {
    const { stdout } = await promisify(execFile)(PYTHON, [READER, HOST, String(port), String(unit), JSON.stringify(reads)], { timeout: 20_000 });
    return JSON.parse(stdout) as unknown[];
  };
  assert.deepEqual(await read(sdm.port, 1, [{ fn: 4, address: 52 }, { fn: 4, address: 72 }]), [250_000, 4_321.5]);
  assert.deepEqual(await read(pm.port, 3, [{ fn: 3, address: 3059 }, { fn: 3, address: 2699 }]), [250, 4_321.5]);
});

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the repository root');
    dir = up;
  }
  return dir;
}

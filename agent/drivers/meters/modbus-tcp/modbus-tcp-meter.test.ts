// The driver against the emulated meter over real loopback sockets: values and
// scaling for both presets and a generic map, partial failures, and the bad
// meters (refused, hung, dropping connections) that must cost one reading only.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { createLogger, createSilentLogger } from '../../../../shared/log/logger.js';
import { startModbusMeterServer, type MeterServer } from '../../../../sim/meter/meter-server.js';
import { MeterConfigSchema, type MeterConfigInput } from '../meter-config.js';
import type { MeterDriver } from '../meter-driver.js';
import { createMeterDriver } from '../meter-registry.js';

const log = createSilentLogger();
const octet = () => 1 + Math.floor(Math.random() * 250);
/** A random 127.x.y.z so parallel test files never collide. */
const HOST = `127.${octet()}.${octet()}.${octet()}`;

const site = { powerW: 123_456.7, importKwh: 98_765.4 };
const servers: MeterServer[] = [];
const drivers: MeterDriver[] = [];
after(async () => {
  await Promise.all(drivers.map((d) => d.stop()));
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

function driver(config: Omit<MeterConfigInput, 'driver'>): MeterDriver {
  const d = createMeterDriver(MeterConfigSchema.parse({ driver: 'modbus-tcp', ...config }), { log });
  drivers.push(d);
  return d;
}

/** float32 keeps ~7 significant digits. */
function near(actual: number | null, expected: number, what: string): void {
  assert.ok(actual !== null, `${what} is null`);
  assert.ok(Math.abs(actual - expected) <= Math.abs(expected) * 1e-6, `${what}: ${actual} is not ≈ ${expected}`);
}

test('reads an Eastron SDM630 (input registers, W scaled to kW)', async () => {
  const s = await meter('eastron-sdm630');
  const d = driver({ host: HOST, port: s.port, preset: 'eastron-sdm630' });
  const r = await d.read();
  assert.equal(r.error, undefined);
  near(r.powerKw, 123.4567, 'powerKw');
  near(r.importKwh, 98_765.4, 'importKwh');
  assert.ok(Math.abs(r.readAt - Date.now()) < 60_000);

  // Values are live: the next read on the same connection sees the change.
  site.powerW = 80_000;
  near((await d.read()).powerKw, 80, 'powerKw after change');
  site.powerW = 123_456.7;
});

test('reads a Schneider PM5000 (holding registers, kW) at a non-default unit id', async () => {
  const s = await meter('schneider-pm5000', 17);
  const d = driver({ host: HOST, port: s.port, unitId: 17, preset: 'schneider-pm5000' });
  const r = await d.read();
  assert.equal(r.error, undefined);
  near(r.powerKw, 123.4567, 'powerKw');
  near(r.importKwh, 98_765.4, 'importKwh');
});

test('a generic map reads what is mapped and names the register that fails', async () => {
  const s = await meter('eastron-sdm630');
  const d = driver({
    host: HOST, port: s.port,
    map: {
      powerKw: { register: 0x34, function: 4, type: 'float32', scale: 0.001 },
      // Holding register 0x48 does not exist on this meter: exception 2.
      importKwh: { register: 0x48, function: 3, type: 'float32' },
    },
  });
  const r = await d.read();
  near(r.powerKw, 123.4567, 'powerKw');
  assert.equal(r.importKwh, null);
  assert.match(r.error ?? '', /^importKwh \(function 3 register 72\): Modbus exception 2: Illegal data address/);
});

test('a wrong unit id gives nulls and the gateway exception, not a hang', async () => {
  const s = await meter('eastron-sdm630', 1);
  const d = driver({ host: HOST, port: s.port, unitId: 9, preset: 'eastron-sdm630', timeoutMs: 10_000 });
  const r = await d.read();
  assert.equal(r.powerKw, null);
  assert.equal(r.importKwh, null);
  assert.match(r.error ?? '', /Modbus exception 11/);
});

test('a meter that is not listening gives nulls and the reason, without waiting for the deadline', async () => {
  const port = await closedPort();
  const d = driver({ host: HOST, port, preset: 'eastron-sdm630', timeoutMs: 10_000 });
  const started = Date.now();
  const r = await d.read();
  assert.equal(r.powerKw, null);
  assert.equal(r.importKwh, null);
  assert.match(r.error ?? '', new RegExp(`^cannot connect to ${HOST.replaceAll('.', '\\.')}:${port}: .*ECONNREFUSED`));
  assert.ok(Date.now() - started < 10_000, 'a refused connection must not wait for the deadline');
});

test('a hung meter gives nulls and the reason at the deadline, then recovers by reconnecting', async () => {
  const s = await meter('eastron-sdm630');
  const d = driver({ host: HOST, port: s.port, preset: 'eastron-sdm630', timeoutMs: 300 });
  near((await d.read()).powerKw, 123.4567, 'powerKw before the fault');

  s.setFault('hang');
  const started = Date.now();
  const r = await d.read();
  const elapsed = Date.now() - started;
  assert.deepEqual([r.powerKw, r.importKwh], [null, null]);
  assert.equal(r.error, 'powerKw: no answer within 300 ms');
  assert.ok(elapsed >= 290 && elapsed < 5_000, `read took ${elapsed} ms`);

  s.setFault('none');
  const back = await d.read();
  assert.equal(back.error, undefined);
  near(back.powerKw, 123.4567, 'powerKw after the fault');
});

test('a peer that accepts and never answers also hits the deadline', async (t) => {
  // A bare socket that accepts and reads nothing: not even the emulator's framing runs.
  const peers = new Set<import('node:net').Socket>();
  const silent = createServer((socket) => peers.add(socket));
  t.after(() => {
    for (const p of peers) p.destroy();
    silent.close();
  });
  await new Promise<void>((resolve) => silent.listen(0, HOST, resolve));
  const port = (silent.address() as { port: number }).port;
  const d = driver({ host: HOST, port, preset: 'schneider-pm5000', timeoutMs: 200 });
  const r = await d.read();
  assert.deepEqual([r.powerKw, r.importKwh], [null, null]);
  assert.equal(r.error, 'powerKw: no answer within 200 ms');
});

test('a meter that drops the connection gives nulls, and the next read reconnects', async () => {
  const s = await meter('schneider-pm5000');
  const d = driver({ host: HOST, port: s.port, preset: 'schneider-pm5000', timeoutMs: 1_000 });
  assert.equal((await d.read()).error, undefined);
  s.setFault('close');
  const r = await d.read();
  assert.deepEqual([r.powerKw, r.importKwh], [null, null]);
  assert.ok(r.error, 'expected a reason');
  s.setFault('none');
  const back = await d.read();
  assert.equal(back.error, undefined, back.error);
  near(back.importKwh, 98_765.4, 'importKwh after reconnect');
});

test('concurrent reads share one request; a stopped driver answers without touching the network', async () => {
  const s = await meter('eastron-sdm630');
  const d = driver({ host: HOST, port: s.port, preset: 'eastron-sdm630' });
  const [a, b] = await Promise.all([d.read(), d.read()]);
  assert.equal(a, b);
  await d.stop();
  await s.stop();
  const r = await d.read();
  assert.deepEqual(r.powerKw, null);
  assert.equal(r.error, 'meter driver is stopped');
});

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, HOST, resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

test('logs one warn when the meter starts failing and one info when it recovers, not one per poll', async () => {
  const lines: { level: number; msg: string; error?: string; endpoint?: string }[] = [];
  const destination = { write: (line: string) => void lines.push(JSON.parse(line)) };
  const s = await meter('eastron-sdm630');
  const d = createMeterDriver(
    MeterConfigSchema.parse({ driver: 'modbus-tcp', host: HOST, port: s.port, preset: 'eastron-sdm630', timeoutMs: 200 }),
    { log: createLogger({ level: 'info', destination }).child({ component: 'meter' }) },
  );
  drivers.push(d);
  assert.equal((await d.read()).error, undefined);
  s.setFault('hang');
  for (let i = 0; i < 3; i++) assert.ok((await d.read()).error);
  s.setFault('none');
  assert.equal((await d.read()).error, undefined);
  assert.equal((await d.read()).error, undefined);
  assert.deepEqual(lines.map((l) => [l.level, l.msg]), [[40, 'meter read failed'], [30, 'meter read recovered']]);
  assert.equal(lines[0]!.error, 'powerKw: no answer within 200 ms');
  assert.equal(lines[0]!.endpoint, `${HOST}:${s.port}`);
});

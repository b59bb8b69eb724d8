// `hashwatt meter read` as an operator runs it: the real CLI in a child process
// against the emulated meter on a loopback socket.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startModbusMeterServer } from '../../../sim/meter/meter-server.js';

function distRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'bin', 'hashwatt.js'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find dist/bin/hashwatt.js');
    dir = up;
  }
  return dir;
}
const CLI = join(distRoot(), 'bin', 'hashwatt.js');
const octet = () => 1 + Math.floor(Math.random() * 250);
const HOST = `127.${octet()}.${octet()}.${octet()}`;

// Async: the emulator answers from this process's event loop.
function hashwatt(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const meter = await startModbusMeterServer({ host: HOST, port: 0, unitId: 4, preset: 'schneider-pm5000', readPowerW: () => 1_234_500, readImportKwh: () => 777.25 });
after(() => meter.stop());

test('prints power and energy of a reachable meter and exits 0', async () => {
  const r = await hashwatt(['meter', 'read', '--host', HOST, '--port', String(meter.port), '--unit', '4', '--preset', 'schneider-pm5000']);
  assert.equal(r.stdout, `meter ${HOST}:${meter.port} (schneider-pm5000, unit 4): power 1234.500 kW, import 777.250 kWh\n`);
  assert.equal(r.code, 0, r.stderr);
});

test('--json prints the reading', async () => {
  const r = await hashwatt(['meter', 'read', '--host', HOST, '--port', String(meter.port), '--unit', '4', '--preset', 'schneider-pm5000', '--json']);
  const reading = JSON.parse(r.stdout) as { powerKw: number; importKwh: number; readAt: number };
  assert.deepEqual([reading.powerKw, reading.importKwh], [1234.5, 777.25]);
  assert.equal(r.code, 0);
});

test('a meter that does not answer the unit id exits 1 with the reason', async () => {
  const r = await hashwatt(['meter', 'read', '--host', HOST, '--port', String(meter.port), '--unit', '9', '--preset', 'schneider-pm5000']);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /power n\/a, import n\/a/);
  assert.match(r.stderr, /^hashwatt: powerKw \(function 3 register 3059\): Modbus exception 11/);
});

test('bad usage exits 2 and names the flag', async () => {
  const r = await hashwatt(['meter', 'read', '--host', HOST, '--preset', 'sdm999']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--preset: Invalid option/);
  const none = await hashwatt(['meter', 'read']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /missing --host <address> or --config <agent\.yaml>/);
});

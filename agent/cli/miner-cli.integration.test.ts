import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { startFleet } from '../../sim/fleet/fleet.js';
import { luxosPersonality } from '../../sim/personalities/luxos.js';
import { braiinsPersonality } from '../../sim/personalities/braiins.js';
import { repoRoot } from '../drivers/miners/transport/test-fixtures.js';

// The operator CLIs as a user runs them: the built binary in a child process,
// against emulated LuxOS and Braiins miners on their own loopback addresses.
const BIN = join(repoRoot(), 'dist', 'bin', 'hashwatt.js');

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 40_000, env: { ...process.env, HASHWATT_MINER_USER: 'root', HASHWATT_MINER_PASSWORD: 'root' } }, (err, stdout, stderr) => {
      const code = err && typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

test('probe, scan and miner sleep/wake/power-target against an emulated fleet', async (t) => {
  const a = 16 + Math.floor(Math.random() * 200);
  const b = Math.floor(Math.random() * 250);
  const cgPort = 20_000 + Math.floor(Math.random() * 20_000);
  const fleet = await startFleet({
    miners: 4,
    mix: { luxos: 1, braiins: 1 },
    timeFactor: 0.05,
    bind: `127.${a}.${b}.0/29`,
    ports: { cgminer: cgPort, http: cgPort + 1 },
    personalities: { luxos: luxosPersonality, braiins: braiinsPersonality },
    seed: 3,
  });
  t.after(() => fleet.stop());
  const endpoints = fleet.endpoints();
  const lux = endpoints.find((e) => e.firmware === 'luxos')!;
  const bos = endpoints.find((e) => e.firmware === 'braiins')!;

  const probe = await run(['probe', `${lux.host}:${cgPort}`, '--json', '--http-port', String(cgPort + 1)]);
  assert.equal(probe.code, 0, probe.stderr);
  const reading = JSON.parse(probe.stdout) as { firmware: string; state: string; powerW: number };
  assert.equal(reading.firmware, 'luxos');
  assert.equal(reading.state, 'hashing');

  const human = await run(['probe', `${bos.host}:${cgPort}`, '--http-port', String(cgPort + 1)]);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /firmware\s+braiins/);

  const nothing = await run(['probe', `127.${a}.${b}.7:${cgPort}`, '--http-port', String(cgPort + 1), '--timeout', '500']);
  assert.equal(nothing.code, 2, 'unreachable → exit 2');
  assert.match(nothing.stderr, /nothing answered/);

  const scan = await run(['scan', `127.${a}.${b}.0-7`, '--port', String(cgPort), '--http-port', String(cgPort + 1), '--json', '--timeout', '800']);
  assert.equal(scan.code, 0, scan.stderr);
  const lines = scan.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const summary = lines.at(-1)!.summary as { found: number; byFirmware: Record<string, number>; unreachable: number };
  assert.equal(summary.found, 4);
  assert.deepEqual(summary.byFirmware, { luxos: 2, braiins: 2 });
  assert.equal(summary.unreachable, 4, '8 addresses, 4 miners');

  const hosts = [lux, bos].map((e) => `${e.host}:${cgPort}`);
  const slept = await run(['miner', 'sleep', ...hosts, '--http-port', String(cgPort + 1), '--confirm-timeout', '8000']);
  assert.equal(slept.code, 0, slept.stdout + slept.stderr);
  assert.match(slept.stdout, /sleep: 2\/2 confirmed/);
  assert.equal(fleet.miner(lux.id).snapshot().phase, 'sleeping');

  const woke = await run(['miner', 'wake', ...hosts, '--http-port', String(cgPort + 1), '--confirm-timeout', '8000', '--json']);
  assert.equal(woke.code, 0, woke.stdout + woke.stderr);
  assert.equal((JSON.parse(woke.stdout.trim().split('\n').at(-1)!) as { summary: { confirmed: number } }).summary.confirmed, 2);

  await fleet.setFaults(bos.id, { ignoreSleep: true });
  const ignored = await run(['miner', 'sleep', `${bos.host}:${cgPort}`, '--http-port', String(cgPort + 1), '--confirm-timeout', '1500']);
  assert.equal(ignored.code, 1, 'not confirmed → non-zero exit');
  assert.match(ignored.stdout, /NOT CONFIRMED\s+ignored/);

  const target = await run(['miner', 'power-target', `${bos.host}:${cgPort}`, '2500', '--http-port', String(cgPort + 1), '--confirm-timeout', '8000']);
  assert.equal(target.code, 0, target.stdout + target.stderr);

  const usage = await run(['miner', 'power-target', `${bos.host}:${cgPort}`, 'lots']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /positive number/);
});

test('--help for each operator command', async () => {
  for (const args of [['probe'], ['scan'], ['miner', 'sleep'], ['miner', 'wake'], ['miner', 'power-target']]) {
    const r = await run([...args, '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, new RegExp(`Usage: hashwatt ${args.join(' ')}`));
  }
});

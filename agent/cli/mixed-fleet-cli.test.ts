import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFleet, type Fleet, type FleetEndpoint } from '../../sim/fleet/fleet.js';
import { whatsminerV2Personality } from '../../sim/personalities/whatsminer.js';
import type { FirmwareName } from '../drivers/miners/miner-driver.js';
import { repoRoot } from '../drivers/miners/transport/test-fixtures.js';

// The operator CLIs as a user runs them (the built binary in a child process)
// against a mixed emulated site: one miner of each family, each family with
// its own login, the Whatsminer on firmware with API v2 only, every miner on
// its own loopback address and on non-standard ports (none on 4028/80/4433).
const BIN = join(repoRoot(), 'dist', 'bin', 'hashwatt.js');

const LOGINS: Record<FirmwareName, { username: string; password: string }> = {
  antminer: { username: 'root', password: 'ant-Secret1' },
  luxos: { username: 'root', password: 'lux-Secret2' },
  braiins: { username: 'root', password: 'bos-Secret3' },
  whatsminer: { username: 'super', password: 'wm-Secret4' },
};
const PASSWORDS = Object.values(LOGINS).map((l) => l.password);

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  // No HASHWATT_MINER_* from the developer's shell: each test says which logins it gives.
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HASHWATT_MINER_') && !k.startsWith('HASHWATT_LOGINS__')));
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000, env: { ...base, ...env } }, (err, stdout, stderr) => {
      const code = err && typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function loginFlags(): string[] {
  return Object.entries(LOGINS).flatMap(([fw, l]) => ['--login', `${fw}=${l.username}:${l.password}`]);
}

async function mixedSite(): Promise<{ fleet: Fleet; net: string; ports: { cgminer: number; http: number; v3: number }; by: (fw: FirmwareName) => FleetEndpoint }> {
  const a = 16 + Math.floor(Math.random() * 200);
  const b = Math.floor(Math.random() * 250);
  const cgminer = 20_000 + Math.floor(Math.random() * 20_000);
  const ports = { cgminer, http: cgminer + 1, v3: cgminer + 2 };
  const fleet = await startFleet({
    miners: 4,
    mix: { antminer: 1, luxos: 1, braiins: 1, whatsminer: 1 },
    timeFactor: 0.05,
    bind: `127.${a}.${b}.0/29`,
    ports,
    personalities: { whatsminer: whatsminerV2Personality },
    credentialsByFirmware: LOGINS,
    seed: 4,
  });
  const by = (fw: FirmwareName) => fleet.endpoints().find((e) => e.firmware === fw)!;
  return { fleet, net: `127.${a}.${b}.0/29`, ports, by };
}

test('probe and scan: each family detected by what it answers, v2-only Whatsminer and non-standard ports included', async (t) => {
  const { fleet, net, ports, by } = await mixedSite();
  t.after(() => fleet.stop());
  const portFlags = ['--http-port', String(ports.http), '--v3-port', String(ports.v3)];

  for (const fw of ['antminer', 'luxos', 'braiins', 'whatsminer'] as const) {
    const e = by(fw);
    const r = await run(['probe', `${e.host}:${ports.cgminer}`, ...portFlags, '--json', ...loginFlags()]);
    assert.equal(r.code, 0, `${fw}: ${r.stderr}`);
    const reading = JSON.parse(r.stdout) as { firmware: string; state: string; model: string };
    assert.equal(reading.firmware, fw);
    assert.equal(reading.state, 'hashing');
  }

  // The Whatsminer answers on 4028-style API v2 only; nothing listens on its v3 port.
  const wm = by('whatsminer');
  const v2 = await run(['probe', wm.host, '--port', String(ports.cgminer), ...portFlags, ...loginFlags()]);
  assert.equal(v2.code, 0, v2.stderr);
  assert.match(v2.stdout, /firmware\s+whatsminer/);
  assert.match(v2.stdout, /model\s+MicroBT M\d+S?\+*\n/, 'the model from devdetails, without the board revision (V10)');
  assert.match(v2.stdout, /efficiency\s+\d+(\.\d)? J\/TH/, 'efficiency rounded to one decimal');

  // The standard port is not where this miner listens: asked there, nothing answers.
  const wrongPort = await run(['probe', wm.host, '--timeout', '500', '--http-port', '1', '--v3-port', '1']);
  assert.equal(wrongPort.code, 2, wrongPort.stdout);

  const scan = await run(['scan', net, '--port', String(ports.cgminer), ...portFlags, '--json', '--timeout', '1000', ...loginFlags()]);
  assert.equal(scan.code, 0, scan.stderr);
  const lines = scan.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const summary = lines.at(-1)!.summary as { found: number; byFirmware: Record<string, number>; loginNeeded: number };
  assert.deepEqual(summary.byFirmware, { antminer: 1, luxos: 1, braiins: 1, whatsminer: 1 });
  assert.equal(summary.loginNeeded, 0);
  const hosts = lines.slice(0, -1).map((l) => l.host);
  assert.ok(hosts.includes(net.replace('/29', '')), `the range's first address (${net}) is scanned: ${hosts.join(', ')}`);
});

test('probe and scan: Braiins OS without its login is reported, naming the firmware, and probe exits non-zero', async (t) => {
  const { fleet, net, ports, by } = await mixedSite();
  t.after(() => fleet.stop());
  const bos = by('braiins');
  const flags = ['--http-port', String(ports.http), '--v3-port', String(ports.v3)];

  const none = await run(['probe', `${bos.host}:${ports.cgminer}`, ...flags]);
  assert.equal(none.code, 1, none.stdout + none.stderr);
  assert.match(none.stdout, /firmware\s+braiins/);
  assert.match(none.stderr, /no login was given for Braiins OS/);
  assert.match(none.stderr, /--login braiins=USER:PASSWORD/);

  const wrong = await run(['probe', `${bos.host}:${ports.cgminer}`, ...flags, '--login', 'braiins=root:not-it', '--json']);
  assert.equal(wrong.code, 1);
  const reading = JSON.parse(wrong.stdout) as { login?: { firmware: string; problem: string; username: string } };
  assert.deepEqual({ ...reading.login, message: undefined }, { firmware: 'braiins', problem: 'refused', username: 'root', message: undefined });
  assert.doesNotMatch(wrong.stdout + wrong.stderr, /not-it/, 'the password is never printed');

  const right = await run(['probe', `${bos.host}:${ports.cgminer}`, ...flags, '--login', `braiins=root:${LOGINS.braiins.password}`]);
  assert.equal(right.code, 0, right.stderr);
  assert.match(right.stdout, /model\s+Antminer S\d/);

  const scan = await run(['scan', net, '--port', String(ports.cgminer), ...flags, '--timeout', '1000']);
  assert.equal(scan.code, 0, scan.stderr);
  assert.match(scan.stdout, /braiins\s.*\(braiins login needed\)/);
  assert.match(scan.stdout, /1 need a login/);
});

test('miner sleep: one command puts a mixed fleet with a login per family to sleep, confirmed; wake brings it back', async (t) => {
  const { fleet, ports } = await mixedSite();
  t.after(() => fleet.stop());
  const dir = mkdtempSync(join(tmpdir(), 'hashwatt-logins-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'logins.yaml');
  writeFileSync(file, Object.entries(LOGINS).map(([fw, l]) => `${fw}: { username: ${l.username}, password: ${l.password} }`).join('\n') + '\n');
  const hosts = fleet.endpoints().map((e) => `${e.host}:${ports.cgminer}`);
  const flags = ['--http-port', String(ports.http), '--v3-port', String(ports.v3), '--confirm-timeout', '15000'];

  const slept = await run(['miner', 'sleep', ...hosts, ...flags, '--logins', file]);
  assert.equal(slept.code, 0, slept.stdout + slept.stderr);
  assert.match(slept.stdout, /sleep: 4\/4 confirmed/);
  for (const truth of fleet.groundTruth()) assert.equal(truth.phase, 'sleeping', `${truth.firmware} ${truth.id}`);
  for (const pw of PASSWORDS) assert.ok(!(slept.stdout + slept.stderr).includes(pw), 'no password in the output');

  const woke = await run(['miner', 'wake', ...hosts, ...flags, ...loginFlags(), '--json']);
  assert.equal(woke.code, 0, woke.stdout + woke.stderr);
  assert.equal((JSON.parse(woke.stdout.trim().split('\n').at(-1)!) as { summary: { confirmed: number } }).summary.confirmed, 4);

  // One family's login wrong: that miner fails naming its firmware and user, the others are confirmed.
  const wmHost = `${fleet.endpoints().find((e) => e.firmware === 'whatsminer')!.host}:${ports.cgminer}`;
  const bad = await run(['miner', 'sleep', ...hosts, ...flags, ...loginFlags(), '--login', 'whatsminer=super:wrong-Pass9']);
  assert.equal(bad.code, 1, bad.stdout);
  assert.match(bad.stdout, /sleep: 3\/4 confirmed; not confirmed: 1 auth_failed/);
  const line = bad.stdout.split('\n').find((l) => l.startsWith(wmHost))!;
  assert.match(line, /NOT CONFIRMED\s+auth_failed: .*the whatsminer login \(user 'super'\) was refused/);
  assert.ok(!bad.stdout.includes('wrong-Pass9'), 'no password in the output');
});

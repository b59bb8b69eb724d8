import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFleet, type Fleet } from '../../../sim/fleet/fleet.js';
import { luxosPersonality } from '../../../sim/personalities/luxos.js';
import { braiinsLegacyPersonality, braiinsPersonality } from '../../../sim/personalities/braiins.js';
import { createMinerDriver } from './registry.js';
import { detectFirmware } from './detect.js';
import { randomLoopback } from './transport/test-servers.js';
import type { Personality } from '../../../sim/emulated-miner.js';
import type { FirmwareName } from './miner-driver.js';

// Real sockets against the emulator with our personalities; time factor 0.05 turns the
// ≈6 s pause / ≈10 s resume into ≈0.3 s / ≈0.5 s.
const CONTEXT = { requestTimeoutMs: 1500 };
const CONFIRM = { confirmTimeoutMs: 8000 };

async function fleetOf(firmware: FirmwareName, personality: Personality, miners = 2): Promise<Fleet> {
  return startFleet({ miners, mix: { [firmware]: 1 }, timeFactor: 0.05, host: randomLoopback(), portBase: 0, personalities: { [firmware]: personality }, seed: 7 });
}

function driverFor(fleet: Fleet, index: number, overrides: { password?: string } = {}) {
  const e = fleet.endpoints()[index]!;
  return createMinerDriver(e.firmware, { ...e, ...overrides }, CONTEXT);
}

for (const [label, firmware, personality] of [
  ['luxos', 'luxos', luxosPersonality],
  ['braiins REST', 'braiins', braiinsPersonality],
  ['braiins BOSminer API', 'braiins', braiinsLegacyPersonality],
] as const) {
  test(`${label}: read, sleep → sleeping near idle power, wake → hashing, detection`, async (t) => {
    const fleet = await fleetOf(firmware, personality);
    t.after(() => fleet.stop());
    const e = fleet.endpoints()[0]!;
    const driver = driverFor(fleet, 0);
    const before = await driver.read();
    assert.equal(before.state, 'hashing', before.error);
    assert.equal(before.firmware, firmware);
    assert.ok(before.powerW! > 500, `reports power (${before.powerW})`);
    assert.ok(before.hashrateThs > 1);

    const slept = await driver.sleep(CONFIRM);
    assert.equal(slept.ok, true, JSON.stringify(slept));
    const truth = fleet.groundTruth()[0]!;
    assert.equal(truth.phase, 'sleeping');
    assert.ok(slept.observedPowerW! < before.powerW! * 0.1, `near idle power after sleep (${slept.observedPowerW} W)`);

    const woke = await driver.wake(CONFIRM);
    assert.equal(woke.ok, true, JSON.stringify(woke));
    assert.equal(woke.observedState, 'hashing');

    const detected = await detectFirmware(e.host, { port: e.port, httpPort: e.httpPort ?? 1, v3Port: 1, timeoutMs: 1000 });
    assert.equal(detected, firmware);
  });

  test(`${label}: a miner that ignores sleep is reported ignored`, async (t) => {
    const fleet = await fleetOf(firmware, personality);
    t.after(() => fleet.stop());
    await fleet.setFaults(fleet.endpoints()[1]!.id, { ignoreSleep: true });
    const result = await driverFor(fleet, 1).sleep({ confirmTimeoutMs: 1500 });
    assert.equal(result.ok, false);
    assert.equal(result.ok === false && result.reason, 'ignored', JSON.stringify(result));
    assert.equal(result.observedState, 'hashing');
  });
}

test('luxos: power target picks a profile and settles under the target', async (t) => {
  const fleet = await fleetOf('luxos', luxosPersonality);
  t.after(() => fleet.stop());
  const driver = driverFor(fleet, 0);
  const before = await driver.read();
  const target = Math.round(before.powerW! * 0.75);
  const result = await driver.setPowerTarget(target, CONFIRM);
  assert.equal(result.ok, true, JSON.stringify(result));
  assert.ok(result.observedPowerW! <= target * 1.05, `${result.observedPowerW} W ≤ ${target} W`);
  const caps = driver.capabilities();
  assert.ok(caps.powerTarget && caps.powerTarget.minW! < caps.powerTarget.maxW!, 'capabilities carry the profile range');
});

test('luxos: a session held by another client is adopted, not a failure', async (t) => {
  const fleet = await fleetOf('luxos', luxosPersonality, 1);
  t.after(() => fleet.stop());
  const other = driverFor(fleet, 0);
  assert.equal((await other.sleep(CONFIRM)).ok, true);
  const ours = driverFor(fleet, 0); // a second client: its logon meets the first one's live session
  const woke = await ours.wake(CONFIRM);
  assert.equal(woke.ok, true, JSON.stringify(woke));
});

test('braiins REST: power target settles; wrong password → auth_failed', async (t) => {
  const fleet = await fleetOf('braiins', braiinsPersonality);
  t.after(() => fleet.stop());
  const driver = driverFor(fleet, 0);
  const before = await driver.read();
  const target = Math.round(before.powerW! * 0.8);
  const result = await driver.setPowerTarget(target, CONFIRM);
  assert.equal(result.ok, true, JSON.stringify(result));
  assert.equal((await driver.read()).powerTargetW, target);

  const wrong = driverFor(fleet, 1, { password: 'not-the-password' });
  const reading = await wrong.read();
  assert.equal(reading.state, 'hashing', 'reads still work through the BOSminer API');
  const denied = await wrong.sleep(CONFIRM);
  assert.equal(denied.ok === false && denied.reason, 'auth_failed', JSON.stringify(denied));
  assert.equal(fleet.groundTruth()[1]!.phase, 'hashing', 'the miner was not touched');
});

test('braiins BOSminer API: power target is unsupported', async (t) => {
  const fleet = await fleetOf('braiins', braiinsLegacyPersonality, 1);
  t.after(() => fleet.stop());
  const e = fleet.endpoints()[0]!;
  const driver = createMinerDriver('braiins', { ...e, httpPort: e.port }, CONTEXT); // nothing speaks HTTP there
  await driver.read();
  assert.equal(driver.capabilities().powerTarget, false);
  const result = await driver.setPowerTarget(1000, CONFIRM);
  assert.equal(result.ok === false && result.reason, 'unsupported', JSON.stringify(result));
});

test('unreachable miner: read is offline, sleep is unreachable', async () => {
  const driver = createMinerDriver('luxos', { id: 'gone', host: randomLoopback(), port: 1 }, CONTEXT);
  const r = await driver.read();
  assert.equal(r.state, 'offline');
  assert.match(r.error ?? '', /refused/);
  const s = await driver.sleep(CONFIRM);
  assert.equal(s.ok === false && s.reason, 'unreachable');
});

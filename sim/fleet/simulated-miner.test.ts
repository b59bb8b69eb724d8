import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimulatedMiner, REAL_TIMING_MS } from './simulated-miner.js';
import { noFaults } from './fleet-layout.js';
import { MODELS_BY_FIRMWARE } from './model-specs.js';

const S19_PRO = MODELS_BY_FIRMWARE.antminer[0]!.spec;

function makeMiner(opts: { timeFactor?: number; ignoreSleep?: boolean; firmware?: 'antminer' | 'braiins'; spec?: typeof S19_PRO } = {}) {
  const clock = { t: 1_700_000_000_000 };
  const faults = noFaults();
  faults.ignoreSleep = opts.ignoreSleep ?? false;
  const miner = new SimulatedMiner({
    id: 'miner-0001', index: 0, host: '127.0.0.1', firmware: opts.firmware ?? 'antminer', spec: opts.spec ?? S19_PRO, mac: '02:00:00:00:00:01', serial: 'X',
    credentials: { username: 'root', password: 'root' }, faults, seed: 1, timeFactor: opts.timeFactor ?? 1,
    powerSpread: 1, hashSpread: 1, bootAt: clock.t - 3_600_000, now: () => clock.t,
  });
  return { miner, clock };
}

test('a hashing miner draws about its nameplate power and hashrate, with jitter within 2 %', () => {
  const { miner, clock } = makeMiner();
  for (let i = 0; i < 50; i++) {
    clock.t += 1000;
    const s = miner.snapshot();
    assert.equal(s.phase, 'hashing');
    assert.ok(Math.abs(s.powerW / S19_PRO.nominalW - 1) < 0.02, `power ${s.powerW}`);
    assert.ok(Math.abs(s.hashrateThs / S19_PRO.nominalThs - 1) < 0.02, `hashrate ${s.hashrateThs}`);
    assert.ok(s.boardTempsC.every((c) => c > 60 && c < 80), `temps ${s.boardTempsC.join(',')}`);
  }
});

test('sleep takes ≈6.3 s to cut hashboard power, leaving fans and control board', () => {
  const { miner, clock } = makeMiner();
  miner.requestSleep();
  clock.t += 1000;
  assert.equal(miner.snapshot().phase, 'pausing');
  assert.ok(miner.snapshot().powerW > 0.8 * S19_PRO.nominalW, 'boards still powered one second in');
  clock.t += REAL_TIMING_MS.pause - 1000 + 1;
  const s = miner.snapshot();
  assert.equal(s.phase, 'sleeping');
  assert.equal(s.hashrateThs, 0);
  assert.ok(Math.abs(s.powerW - S19_PRO.sleepW) < S19_PRO.sleepW * 0.05, `asleep draws ${s.powerW} W`);
  assert.ok(s.boardTempsC.every((c) => c < 40), 'boards cool down');
});

test('wake ramps back to full hashrate in ≈9.7 s', () => {
  const { miner, clock } = makeMiner();
  miner.requestSleep();
  clock.t += REAL_TIMING_MS.pause + 1;
  miner.requestWake();
  clock.t += 500;
  assert.equal(miner.snapshot().phase, 'waking');
  assert.equal(miner.snapshot().hashrateThs, 0, 'voltage not yet back after 0.5 s');
  clock.t += 4500;
  const mid = miner.snapshot();
  assert.ok(mid.hashrateThs > 0.2 * S19_PRO.nominalThs && mid.hashrateThs < 0.8 * S19_PRO.nominalThs, `half way ${mid.hashrateThs}`);
  clock.t += REAL_TIMING_MS.wake;
  assert.equal(miner.snapshot().phase, 'hashing');
});

test('the time factor scales every delay', () => {
  const { miner, clock } = makeMiner({ timeFactor: 0.05 });
  miner.requestSleep();
  clock.t += REAL_TIMING_MS.pause * 0.05 + 1;
  assert.equal(miner.snapshot().phase, 'sleeping');
  miner.requestWake();
  clock.t += REAL_TIMING_MS.wake * 0.05 + 1;
  assert.equal(miner.snapshot().phase, 'hashing');
});

test('wake during the pause ramps up from where power was, not from zero', () => {
  const { miner, clock } = makeMiner();
  miner.requestSleep();
  clock.t += 2000;
  miner.requestWake();
  clock.t += 100;
  const s = miner.snapshot();
  assert.equal(s.phase, 'waking');
  assert.ok(s.powerW > 0.8 * S19_PRO.nominalW, `${s.powerW}`);
});

test('a miner that ignores sleep keeps hashing', () => {
  const { miner, clock } = makeMiner({ ignoreSleep: true });
  miner.requestSleep();
  clock.t += REAL_TIMING_MS.pause * 2;
  assert.equal(miner.snapshot().phase, 'hashing');
});

test('a power target lowers power to the target and hashrate less than proportionally', () => {
  const { miner, clock } = makeMiner();
  miner.setPowerTarget(2000);
  clock.t += REAL_TIMING_MS.retarget + 1;
  const s = miner.snapshot();
  assert.equal(s.powerTargetW, 2000);
  assert.ok(Math.abs(s.powerW - 2000) < 50, `power ${s.powerW}`);
  const ratio = 2000 / S19_PRO.nominalW;
  assert.ok(s.hashrateThs / S19_PRO.nominalThs > ratio, 'efficiency improves when underclocked');
  miner.setPowerTarget(null);
  clock.t += REAL_TIMING_MS.retarget + 1;
  assert.ok(Math.abs(miner.snapshot().powerW / S19_PRO.nominalW - 1) < 0.02);
});

test('the meter and the miner agree on power at the same instant', () => {
  const { miner } = makeMiner();
  assert.equal(miner.snapshot().powerW, miner.snapshot().powerW);
});

test('J/TH improves as power falls, and a target under the model floor is clamped to it', () => {
  const { miner, clock } = makeMiner();
  const floor = S19_PRO.curve!.floorRatio * S19_PRO.nominalW;
  const jth = (w: number) => {
    miner.setPowerTarget(w);
    clock.t += REAL_TIMING_MS.retarget + 1;
    const s = miner.snapshot();
    return { jth: s.powerW / s.hashrateThs, powerW: s.powerW };
  };
  const full = jth(S19_PRO.nominalW);
  const at80 = jth(S19_PRO.nominalW * 0.8);
  const atFloor = jth(floor);
  assert.ok(at80.jth < full.jth * 0.97, `${at80.jth} vs ${full.jth}`);
  assert.ok(atFloor.jth < at80.jth, `${atFloor.jth} vs ${at80.jth}`);
  const below = jth(floor * 0.5);
  assert.ok(Math.abs(below.powerW - floor) < floor * 0.03, `clamped to ${below.powerW} W, floor ${floor}`);
});

test('Braiins OS restarts mining on a new power target: no hashrate for a while, then back at the new level', () => {
  const spec = MODELS_BY_FIRMWARE.braiins[0]!.spec;
  const { miner, clock } = makeMiner({ firmware: 'braiins', spec });
  miner.setPowerTarget(2400);
  clock.t += 1000;
  const dark = miner.snapshot();
  assert.equal(dark.hashrateThs, 0);
  assert.ok(dark.powerW < 2400 * 0.5, `boards idle while restarting: ${dark.powerW} W`);
  clock.t += REAL_TIMING_MS.restartDark + REAL_TIMING_MS.wake;
  const back = miner.snapshot();
  assert.ok(Math.abs(back.powerW - 2400) < 60, `${back.powerW} W`);
  assert.ok(back.hashrateThs > spec.nominalThs * (2400 / spec.nominalW), 'more TH/s than proportional');
});

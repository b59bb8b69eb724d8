import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../../../shared/errors.js';
import { EXPECT, performAction } from './confirm-action.js';
import type { MinerReading, MinerState } from './miner-driver.js';

function reading(state: MinerState, hashrateThs: number, powerW: number | null): MinerReading {
  return { id: 'm', host: 'h', make: 'x', model: 'x', firmware: 'luxos', firmwareVersion: '', state, powerW, powerSource: 'reported', hashrateThs, nominalThs: null, efficiencyJth: null, maxTempC: null, fanRpm: [], uptimeS: null, readAt: 0 };
}

test('confirm: success once the read-back reaches the state', async () => {
  const seq = [reading('sleeping', 40, 1500), reading('sleeping', 0, 30)];
  const r = await performAction({ ...EXPECT.sleep, send: async () => undefined, read: async () => seq.shift() ?? reading('sleeping', 0, 30), confirmTimeoutMs: 2000, intervalMs: 5 });
  assert.deepEqual({ ok: r.ok, state: r.ok && r.observedState, w: r.ok && r.observedPowerW }, { ok: true, state: 'sleeping', w: 30 });
});

test('confirm: success reply but still hashing → ignored', async () => {
  const r = await performAction({ ...EXPECT.sleep, send: async () => undefined, read: async () => reading('hashing', 100, 3000), confirmTimeoutMs: 60, intervalMs: 10 });
  assert.equal(r.ok === false && r.reason, 'ignored');
  assert.match(r.ok === false ? r.message : '', /still shows state hashing/);
});

test('confirm: started but not finished → timeout; offline → unreachable', async () => {
  const slow = await performAction({ ...EXPECT.sleep, send: async () => undefined, read: async () => reading('sleeping', 50, 2000), confirmTimeoutMs: 40, intervalMs: 10 });
  assert.equal(slow.ok === false && slow.reason, 'timeout');
  const gone = await performAction({ ...EXPECT.wake, send: async () => undefined, read: async () => ({ ...reading('offline', 0, null), error: 'refused' }), confirmTimeoutMs: 30, intervalMs: 10 });
  assert.equal(gone.ok === false && gone.reason, 'unreachable');
});

test('confirm: a sleeping state with the boards still drawing is not yet asleep; a hashing state at sleep draw is not yet awake', async () => {
  // Mid-pause firmwares already say "sleeping" at 0 TH/s while drawing kilowatts.
  const rampingDown = [reading('sleeping', 0, 2700), reading('sleeping', 0, 1200), reading('sleeping', 0, 62)];
  const slept = await performAction({ ...EXPECT.sleep, send: async () => undefined, read: async () => rampingDown.shift() ?? reading('sleeping', 0, 62), confirmTimeoutMs: 2000, intervalMs: 5 });
  assert.deepEqual({ ok: slept.ok, w: slept.ok && slept.observedPowerW, left: rampingDown.length }, { ok: true, w: 62, left: 0 });
  const stuck = await performAction({ ...EXPECT.sleep, send: async () => undefined, read: async () => reading('sleeping', 0, 2700), confirmTimeoutMs: 40, intervalMs: 10 });
  assert.equal(stuck.ok === false && stuck.reason, 'timeout');
  assert.match(stuck.ok === false ? stuck.message : '', /2700 W.*at or below 300 W/);
  const wakingUp = [reading('hashing', 3, 170), reading('hashing', 60, 1800)];
  const woke = await performAction({ ...EXPECT.wake, send: async () => undefined, read: async () => wakingUp.shift() ?? reading('hashing', 60, 1800), confirmTimeoutMs: 2000, intervalMs: 5 });
  assert.deepEqual({ ok: woke.ok, w: woke.ok && woke.observedPowerW }, { ok: true, w: 1800 });
  // Estimated power (stock Antminer) follows the hashrate, so state and hashrate decide alone.
  const estimated = await performAction({ ...EXPECT.sleep, send: async () => undefined, read: async () => ({ ...reading('sleeping', 0, 3000), powerSource: 'estimated' as const }), confirmTimeoutMs: 2000, intervalMs: 5 });
  assert.equal(estimated.ok, true);
});

test('confirm: send errors map to reasons without reading back', async () => {
  const cases: Array<[AppError, string]> = [
    [new AppError('AUTH_FAILED', 'no'), 'auth_failed'],
    [new AppError('UNREACHABLE', 'no'), 'unreachable'],
    [new AppError('UNSUPPORTED', 'no'), 'unsupported'],
    [new AppError('TIMEOUT', 'no'), 'timeout'],
    [new AppError('MINER_ERROR', 'refused'), 'ignored'],
  ];
  for (const [err, reason] of cases) {
    let reads = 0;
    const r = await performAction({ ...EXPECT.sleep, send: async () => { throw err; }, read: async () => { reads++; return reading('hashing', 1, 1); }, confirmTimeoutMs: 1000 });
    assert.equal(r.ok === false && r.reason, reason);
    assert.equal(reads, 0);
  }
});

test('confirm: power target reached at or under the target while hashing', () => {
  const e = EXPECT.powerTarget(2500, 3000);
  assert.equal(e.reached(reading('hashing', 80, 2480)), true);
  assert.equal(e.reached(reading('hashing', 80, 2900)), false);
  assert.equal(e.unchanged(reading('hashing', 100, 3010)), true);
});

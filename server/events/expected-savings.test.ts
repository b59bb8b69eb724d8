import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MinerRow } from '../store/telemetry-repository.js';
import { DEFAULT_SLEEP_W, expectedSavingsKw, sleepDrawByModel } from './expected-savings.js';

const row = (miner: string, model: string, state: string, w: number | null, jth: number | null, powerSource = 'reported'): MinerRow => ({
  miner, agent: 'gw1', model, firmware: 'braiins', state, w, powerSource, ths: 0, jth, tempC: null, asleepByAgent: null, ts: 0,
});

test('expected sleep draw: measured per model, else any measured, else the default; estimated draw is not a measurement', () => {
  const sleepW = sleepDrawByModel([row('a', 'S19', 'sleeping', 50, null), row('b', 'S19', 'sleeping', 70, null), row('c', 'M30', 'sleeping', 40, null, 'estimated')]);
  assert.equal(sleepW('S19'), 60);
  assert.equal(sleepW('M30'), 60, 'no reported M30 sleep draw: the median over measured models');
  assert.equal(sleepDrawByModel([])('S19'), DEFAULT_SLEEP_W);
});

test('savings per hashing miner, least efficient first, sleeping and unread miners left out', () => {
  const kw = expectedSavingsKw([
    row('a', 'S19', 'hashing', 3000, 27), row('b', 'S21', 'hashing', 3500, 17.5), row('c', 'M30', 'hashing', 3400, 34),
    row('d', 'S19', 'sleeping', 55, null), row('e', 'S19', 'offline', null, null), row('f', 'S19', 'hashing', null, null),
  ]);
  assert.deepEqual(kw, [3.345, 2.945, 3.445]);
});

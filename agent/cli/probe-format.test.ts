import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatReading, modelLabel } from './probe-command.js';
import type { MinerReading } from '../drivers/miners/miner-driver.js';

const reading: MinerReading = {
  id: '10.0.0.11', host: '10.0.0.11', make: 'Antminer', model: 'Antminer S19j Pro', firmware: 'braiins', firmwareVersion: '25.07',
  state: 'hashing', powerW: 2391.6, powerSource: 'reported', hashrateThs: 104.000001, nominalThs: 104, efficiencyJth: 22.996191282268303,
  maxTempC: 71.25, fanRpm: [5400, 5460], uptimeS: 3600, readAt: 0,
};

test('probe output: one model name, figures rounded', () => {
  const text = formatReading(reading);
  assert.match(text, /^model {8}Antminer S19j Pro$/m);
  assert.match(text, /^efficiency {3}23 J\/TH$/m);
  assert.match(text, /^hashrate {5}104 TH\/s of 104 nominal$/m);
  assert.match(text, /^power {8}2392 W \(reported\)$/m);
  assert.match(text, /^miner {8}10\.0\.0\.11$/m);
});

test('probe output: make and model combine without repeating, unknowns say so', () => {
  assert.equal(modelLabel('MicroBT', 'M30S+'), 'MicroBT M30S+');
  assert.equal(modelLabel('Bitmain', 'Antminer S19 Pro'), 'Bitmain Antminer S19 Pro');
  assert.equal(modelLabel('unknown', 'unknown'), 'unknown');
  assert.equal(modelLabel('Antminer', 'unknown'), 'Antminer (model unknown)');
});

test('probe output: a login problem is shown, without the password', () => {
  const text = formatReading({ ...reading, login: { firmware: 'braiins', username: 'root', problem: 'refused', message: "the Braiins OS REST API refused the login for user 'root'" } });
  assert.match(text, /^login {8}refused: the Braiins OS REST API refused the login for user 'root'$/m);
});

test('probe output: the power target read back, or why there is none', () => {
  assert.match(formatReading({ ...reading, powerTargetW: 2900 }, {}), /^power target 2900 W$/m);
  assert.match(formatReading({ ...reading, powerTargetW: 2900 }, { minW: 1500, maxW: 3500 }), /^power target 2900 W \(settable 1500–3500 W\)$/m);
  assert.match(formatReading({ ...reading, firmware: 'antminer' }, false), /^power target not supported by this firmware/m);
  assert.match(formatReading(reading, {}), /^power target not reported$/m);
});

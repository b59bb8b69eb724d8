import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandRange, expandRanges, mapWithConcurrency, parseHostPort } from './cidr.js';
import { isAppError } from '../../../shared/errors.js';
import { firmwareFromText } from './detect.js';

test('cidr: every address of a block, its first and last too; /32 and single address keep one; dash ranges', () => {
  assert.deepEqual(expandRange('10.0.0.0/30'), ['10.0.0.0', '10.0.0.1', '10.0.0.2', '10.0.0.3']);
  assert.equal(expandRange('127.77.0.0/27')[0], '127.77.0.0', 'a slice of a larger subnet starts at a host');
  assert.deepEqual(expandRange('10.0.0.9/32'), ['10.0.0.9']);
  assert.deepEqual(expandRange('10.0.0.9'), ['10.0.0.9']);
  assert.deepEqual(expandRange('10.0.0.250-252'), ['10.0.0.250', '10.0.0.251', '10.0.0.252']);
  assert.equal(expandRange('10.1.0.77/24').length, 256);
  assert.equal(expandRange('10.1.0.0/16').length, 65_536);
  assert.deepEqual(expandRanges(['10.0.0.1', '10.0.0.0/30']), ['10.0.0.1', '10.0.0.0', '10.0.0.2', '10.0.0.3']);
});

test('cidr: bad input is a USAGE error naming the range', () => {
  for (const bad of ['10.0.0.256/24', '10.0.0.0/33', 'miner', '10.0.0.9-3', '10.0.0.0/8']) {
    assert.throws(() => expandRange(bad), (e: unknown) => isAppError(e, 'USAGE') && e.message.includes(bad));
  }
  assert.throws(() => parseHostPort('h:99999'), (e: unknown) => isAppError(e, 'USAGE'));
  assert.deepEqual(parseHostPort('10.0.0.1:4029'), { host: '10.0.0.1', port: 4029 });
});

test('mapWithConcurrency keeps order and never exceeds the limit', async () => {
  let inFlight = 0;
  let peak = 0;
  const out = await mapWithConcurrency([5, 1, 4, 2, 3], 2, async (n) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise((r) => setTimeout(r, n));
    inFlight--;
    return n * 10;
  });
  assert.deepEqual(out, [50, 10, 40, 20, 30]);
  assert.equal(peak, 2);
});

test('detect: firmware from version/stats descriptions', () => {
  assert.equal(firmwareFromText('{"STATUS":[{"STATUS":"S","Description":"LUXminer 2025.4.8"}],"VERSION":[{"Type":"Antminer S19k Pro"}]}'), 'luxos');
  assert.equal(firmwareFromText('{"STATUS":[{"STATUS":"S","Description":"BOSminer+ 0.2.0"}],"VERSION":[{"Type":"Antminer S19"}]}'), 'braiins');
  assert.equal(firmwareFromText('{"STATUS":[{"STATUS":"S","Description":"btminer"}]}'), 'whatsminer');
  assert.equal(firmwareFromText('{"STATUS":[{"STATUS":"S","Description":"cgminer 1.0.0"}],"VERSION":[{"BMMiner":"1.0.0","Type":"Antminer S19 Pro"}]}'), 'antminer');
  assert.equal(firmwareFromText('{"STATUS":[{"STATUS":"S","Description":"cgminer 4.11"}]}'), undefined);
});

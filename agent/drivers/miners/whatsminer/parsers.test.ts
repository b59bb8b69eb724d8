import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parseV2Devs, parseV2Model, parseV2Psu, parseV2Status, parseV2Summary, parseV2Token, parseV2Version } from './parse-v2.js';
import { parseV3DeviceInfo, parseV3Summary } from './parse-v3.js';
import { fixtureFolder, readJson, testdataPath } from '../antminer/testdata/fixture-paths.js';

const capture = fixtureFolder('miners/whatsminer/api-v2-20210322');
const cap = (file: string) => readJson(join(capture.dir, file));
const own = (file: string) => readJson(testdataPath('whatsminer', file));

// Expected values below are read by hand from the capture files.
test('v2 summary capture', { skip: capture.skip }, () => {
  assert.deepEqual(parseV2Summary(cap('summary.json')), {
    powerW: 3417,
    hashrateThs: 67.394801, // HS RT 67394800.97 MH/s
    nominalThs: 68.796, // Factory GHS 68796
    powerLimitW: 3500,
    maxTempC: 92.5, // Chip Temp Max
    fanRpm: [6450, 6480],
    uptimeS: 10154,
    firmwareVersion: '20210322.22.REL',
    mac: 'C4:08:28:00:A4:19',
    errorCodes: [],
  });
});

test('v2 summary with error codes', { skip: capture.skip }, () => {
  assert.deepEqual(parseV2Summary(cap('summary_with_errors.json')).errorCodes, [110, 600]);
});

test('v2 status, get_version, get_psu, devs captures', { skip: capture.skip }, () => {
  assert.deepEqual(parseV2Status(cap('status.json')), { mining: true, firmwareVersion: '20220919.15.REL' });
  assert.deepEqual(parseV2Version(cap('get_version.json')), { apiVersion: 'whatsminer v1.4.0', firmwareVersion: '20210322.22.REL' });
  assert.deepEqual(parseV2Psu(cap('get_psu.json')), { model: 'P21-12-3600-E', name: 'P21', firmware: '102220.009' });
  assert.deepEqual(parseV2Devs(cap('devs.json')), [
    { slot: 0, hashrateThs: 20.053439, maxChipTempC: 90, boardTempC: 70 },
    { slot: 1, hashrateThs: 25.567318, maxChipTempC: 90.11, boardTempC: 69.5 },
    { slot: 2, hashrateThs: 24.351292, maxChipTempC: 92.5, boardTempC: 71.5 },
  ]);
});

test('v2 own samples: powered off, devdetails, token', () => {
  const off = parseV2Summary(own('v2-summary-off.json'));
  assert.equal(off.hashrateThs, 0);
  assert.equal(off.powerW, 48);
  assert.equal(off.maxTempC, 35);
  assert.deepEqual(parseV2Status(own('v2-status-off.json')), { mining: false, firmwareVersion: '20220919.15.REL' });
  assert.equal(parseV2Model(own('v2-devdetails.json')), 'M30S+', 'the board revision (V40) is not part of the model');
  assert.deepEqual(parseV2Token(own('v2-token.json')), { time: '8433', salt: 'BQ5hoXV9', newsalt: 'jbzkfQls' });
});

test('v2 refusals and garbage become clear errors', () => {
  assert.throws(() => parseV2Summary({ STATUS: [{ STATUS: 'S' }] }), /no SUMMARY\[0\]/);
  assert.throws(() => parseV2Token({ STATUS: 'E', Code: 45, Msg: 'over max connect' }), (e: Error & { code?: string }) => e.code === 'MINER_ERROR' && /over max connect/.test(e.message));
  assert.throws(() => parseV2Status('x'), /not a JSON object/);
});

test('v3 own samples (written from the API v3.0.1 documentation)', () => {
  assert.deepEqual(parseV3Summary(own('v3-summary.json')), {
    powerW: 3358,
    hashrateThs: 184.27,
    nominalThs: 186,
    powerLimitW: 3400,
    maxTempC: 79,
    fanRpm: [5490, 5520],
    uptimeS: 86400,
  });
  assert.deepEqual(parseV3DeviceInfo(own('v3-device-info.json')), {
    model: 'M60S',
    working: true,
    firmwareVersion: '20240628.15.REL',
    apiVersion: '3.0.1',
    salt: 'Rz8Hq2Lp',
    powerLimitSetW: 3400,
  });
});

test('v3 refusals: bad token is AUTH_FAILED, others MINER_ERROR', () => {
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      return (e as { code?: string }).code;
    }
    return 'no error';
  };
  assert.equal(code(() => parseV3Summary({ code: -3, msg: 'invalid token', desc: 'get.miner.status' })), 'AUTH_FAILED');
  assert.equal(code(() => parseV3Summary({ code: -1, msg: 'failed', desc: 'get.miner.status' })), 'MINER_ERROR');
  assert.equal(code(() => parseV3Summary({ code: 0, msg: {} })), 'PARSE');
});

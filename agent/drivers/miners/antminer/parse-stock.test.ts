import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildSetMinerConf, parseMinerConf, parseSetMinerConfReply, parseStockStats } from './parse-stock.js';
import { estimateAntminerPowerW, lookupAntminerModel, SLEEP_W_ESTIMATE } from './model-table.js';
import { fixtureFolder, readJson, testdataPath } from './testdata/fixture-paths.js';

const capture = fixtureFolder('miners/antminer-stock/bmminer-49.0.1.3-s19pro');

// Expected values read by hand from the capture files.
test('parses the bmminer 49.0.1.3 S19 Pro capture', { skip: capture.skip }, () => {
  const r = parseStockStats(readJson(join(capture.dir, 'stats.json')), readJson(join(capture.dir, 'summary.json')));
  assert.equal(r.type, 'Antminer S19 Pro');
  assert.equal(r.firmwareVersion, '49.0.1.3');
  assert.equal(r.hashrateThs, 110.56689); // SUMMARY GHS 5s 110566.89
  assert.equal(r.averageThs, 111.83485); // SUMMARY GHS av 111834.85
  assert.equal(r.maxTempC, 78); // temp_chip1 "78-50-69-70", temp2_1 78
  assert.deepEqual(r.fanRpm, [6000, 5880, 5040, 5040]);
  assert.equal(r.uptimeS, 50474);
});

test('stats alone is enough (summary unavailable)', { skip: capture.skip }, () => {
  const r = parseStockStats(readJson(join(capture.dir, 'stats.json')));
  assert.equal(r.hashrateThs, 110.56689);
  assert.equal(r.averageThs, 111.83463); // STATS GHS av 111834.63
});

test('parses our S21 sample', () => {
  const r = parseStockStats(readJson(testdataPath('antminer', 's21-stats.json')), readJson(testdataPath('antminer', 's21-summary.json')));
  assert.equal(r.type, 'Antminer S21');
  assert.equal(r.firmwareVersion, 'uart_trans.1.3');
  assert.equal(r.hashrateThs, 198.5124);
  assert.equal(r.maxTempC, 81);
  assert.deepEqual(r.fanRpm, [4320, 4380, 4260, 4290]);
  assert.equal(r.uptimeS, 7200);
});

test('bad replies give PARSE errors that say what is missing', () => {
  assert.throws(() => parseStockStats({ STATUS: [] }), /no STATS array/);
  assert.throws(() => parseStockStats({ STATS: [{ Type: 'Antminer S19' }] }), /no GHS 5s/);
});

test('model table covers the required models and estimates power from hashrate', () => {
  for (const name of ['Antminer S19', 'Antminer S19 Pro', 'Antminer S19j Pro', 'Antminer S19 XP', 'Antminer S21', 'Antminer S21 Pro', 'Antminer T21']) {
    assert.ok(lookupAntminerModel(name), name);
  }
  assert.equal(lookupAntminerModel('Antminer S19 Pro')?.nominalW, 3250);
  assert.equal(lookupAntminerModel('Antminer L7'), undefined);
  const s19pro = lookupAntminerModel('Antminer S19 Pro')!;
  assert.equal(estimateAntminerPowerW(s19pro, 110.56689, false), 3267); // 3250 × 110.56689/110
  assert.equal(estimateAntminerPowerW(s19pro, 55, false), 1625);
  assert.equal(estimateAntminerPowerW(s19pro, 1000, false), 4063); // clamped at 125 %
  assert.equal(estimateAntminerPowerW(s19pro, 0, true), SLEEP_W_ESTIMATE);
});

test('miner conf: work mode read as string or number, written back in the same type', () => {
  const conf = parseMinerConf(readJson(testdataPath('antminer', 'get-miner-conf.json')));
  assert.equal(conf.workMode, 0);
  const sleepBody = buildSetMinerConf(conf, 1);
  assert.equal(sleepBody['miner-mode'], '1');
  assert.equal(sleepBody['bitmain-work-mode'], undefined);
  assert.deepEqual(sleepBody.pools, conf.conf.pools);
  const numeric = parseMinerConf({ 'bitmain-work-mode': 1, pools: [] });
  assert.equal(numeric.workMode, 1);
  assert.equal(buildSetMinerConf(numeric, 0)['miner-mode'], 0);
  assert.throws(() => parseMinerConf('nope'), /not a JSON object/);
  assert.deepEqual(parseSetMinerConfReply({ stats: 'success', code: 'M000', msg: 'OK!' }), { ok: true, message: 'OK!' });
  assert.equal(parseSetMinerConfReply({ stats: 'error', msg: 'invalid' }).ok, false);
});

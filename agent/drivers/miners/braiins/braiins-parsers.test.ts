import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLenientJson } from '../transport/lenient-json.js';
import type { CgminerResponse } from '../transport/cgminer-client.js';
import { readFixtureOrSkip, readTestdata } from '../transport/test-fixtures.js';
import {
  bosminerReading,
  bosminerVersion,
  braiinsApiWithDetailsReading,
  braiinsRestReading,
  braiinsStatus,
  parseBosminerFans,
  parseBosminerTemps,
  parseBosminerTunerStatus,
  parseBraiinsCooling,
  parseBraiinsRestDetails,
  parseBraiinsRestStats,
  parseBraiinsTunerState,
} from './braiins-parsers.js';

const REST = 'miners/braiins-os/rest-v25.07';
const API = 'miners/braiins-os/bosminer-api-0.2';
const endpoint = { id: 'b1', host: '10.0.0.9' };
const json = (text: string) => parseLenientJson(text) as CgminerResponse;

// Expected values written by hand from the Braiins OS 25.07 REST captures and the BOSminer API doc examples.
test('braiins REST capture: miner/stats → watts, 5 s hashrate, nominal', (t) => {
  const text = readFixtureOrSkip(t, `${REST}/miner_stats.json`);
  if (text) assert.deepEqual(parseBraiinsRestStats(json(text)), { powerW: 3137, hashrateThs: 141.464, nominalThs: 142.9 });
});

test('braiins REST capture: miner/details → model, version, uptime, status normal', (t) => {
  const text = readFixtureOrSkip(t, `${REST}/miner_details.json`);
  if (text) {
    assert.deepEqual(parseBraiinsRestDetails(json(text)), {
      model: 'Antminer S19 XP',
      firmwareVersion: '2025-08-06-0-3881c51d-25.07-plus',
      uptimeS: 69685,
      status: 'normal',
      nominalThs: 141,
    });
  }
});

test('braiins REST capture: tuner-state → power target; cooling → fans and highest temperature', (t) => {
  const tuner = readFixtureOrSkip(t, `${REST}/performance_tuner_state.json`);
  const cooling = readFixtureOrSkip(t, `${REST}/cooling_state.json`);
  if (!tuner || !cooling) return;
  assert.equal(parseBraiinsTunerState(json(tuner)), 3031);
  assert.deepEqual(parseBraiinsCooling(json(cooling)), { fanRpm: [5904, 5874, 5874, 5904], maxTempC: 70.5 });
});

test('braiins REST capture: full reading', (t) => {
  const files = ['miner_stats', 'miner_details', 'performance_tuner_state', 'cooling_state'].map((f) => readFixtureOrSkip(t, `${REST}/${f}.json`));
  if (files.some((f) => f === undefined)) return;
  const [stats, details, tuner, cooling] = files.map((f) => json(f!));
  const r = braiinsRestReading({ stats, details, tuner, cooling }, endpoint, 7);
  assert.equal(r.state, 'hashing');
  assert.equal(r.make, 'Antminer');
  assert.equal(r.powerW, 3137);
  assert.equal(r.powerSource, 'reported');
  assert.equal(r.efficiencyJth, 22.18);
  assert.equal(r.powerTargetW, 3031);
  assert.equal(r.nominalThs, 141);
});

test('braiins BOSminer capture: tunerstatus, temps, fans, version', (t) => {
  const tuner = readFixtureOrSkip(t, `${API}/tunerstatus.json`);
  const temps = readFixtureOrSkip(t, `${API}/temps.json`);
  const fans = readFixtureOrSkip(t, `${API}/fans.json`);
  const pause = readFixtureOrSkip(t, `${API}/pause.json`);
  if (!tuner || !temps || !fans || !pause) return;
  assert.deepEqual(parseBosminerTunerStatus(json(tuner)), { powerW: 1419, powerLimitW: 1420 });
  assert.equal(parseBosminerTemps(json(temps)), 108.9375);
  assert.deepEqual(parseBosminerFans(json(fans)), [5340, 4620, 0, 0]);
  assert.equal(bosminerVersion(json(tuner)), '0.2.0-ea64aec8e');
  assert.equal(bosminerVersion(json(pause)), '0.6.0-fe72abe5');
});

test('braiins status enum: numbers and names', () => {
  assert.equal(braiinsStatus(3), 'paused');
  assert.equal(braiinsStatus('MINER_STATUS_NORMAL'), 'normal');
  assert.equal(braiinsStatus(99), 'unspecified');
});

function joined(file: string) {
  const r = json(readTestdata(`agent/drivers/miners/braiins/testdata/${file}`)) as Record<string, CgminerResponse[]>;
  return { tunerstatus: r.tunerstatus![0]!, summary: r.summary![0]!, temps: r.temps![0]!, fans: r.fans![0]! };
}

test('braiins testdata: BOSminer hashing', () => {
  const r = bosminerReading(joined('bosminer-hashing-joined.json'), endpoint, 1);
  assert.equal(r.state, 'hashing');
  assert.equal(r.powerW, 2085);
  assert.equal(r.hashrateThs, 56.012);
  assert.equal(r.maxTempC, 80.5);
  assert.deepEqual(r.fanRpm, [4800, 4750]);
  assert.equal(r.powerTargetW, 2100);
  assert.equal(r.firmwareVersion, '0.6.0-fe72abe5');
});

test('braiins testdata: BOSminer paused is sleeping (no hashrate, power near zero)', () => {
  const r = bosminerReading(joined('bosminer-paused-joined.json'), endpoint, 1);
  assert.equal(r.state, 'sleeping');
  assert.equal(r.powerW, 45);
  assert.equal(r.maxTempC, null);
});

test('braiins testdata: REST paused is sleeping with its power target', () => {
  const parts = json(readTestdata('agent/drivers/miners/braiins/testdata/rest-paused.json')) as Record<string, unknown>;
  const r = braiinsRestReading({ stats: parts.stats, details: parts.details, tuner: parts.tuner, cooling: parts.cooling }, endpoint, 1);
  assert.equal(r.state, 'sleeping');
  assert.equal(r.powerW, 38);
  assert.equal(r.hashrateThs, 0);
  assert.equal(r.powerTargetW, 2800);
  assert.equal(r.model, 'Antminer S19j Pro');
});

test('braiins testdata: BOSminer telemetry with REST details takes identity and pause status from REST', () => {
  const rest = json(readTestdata('agent/drivers/miners/braiins/testdata/rest-paused.json')) as Record<string, unknown>;
  const hashing = braiinsApiWithDetailsReading(joined('bosminer-hashing-joined.json'), { ...(rest.details as object), status: 2 }, endpoint, 1);
  assert.equal(hashing.state, 'hashing');
  assert.equal(hashing.model, 'Antminer S19j Pro');
  assert.equal(hashing.make, 'Antminer');
  assert.equal(hashing.powerW, 2085, 'power from tunerstatus');
  assert.equal(hashing.powerTargetW, 2100, 'power limit from tunerstatus');
  assert.equal(hashing.hashrateThs, 56.012);
  assert.equal(hashing.maxTempC, 80.5);
  assert.deepEqual(hashing.fanRpm, [4800, 4750]);
  assert.notEqual(hashing.firmwareVersion, '0.6.0-fe72abe5', 'the BOS version from REST, not the bosminer build');
  // REST says paused while the boards still report some hashrate (ramping down): sleeping, as over REST alone.
  const paused = braiinsApiWithDetailsReading(joined('bosminer-hashing-joined.json'), rest.details, endpoint, 1);
  assert.equal(paused.state, 'sleeping');
});

test('braiins: a non-object body is a PARSE error', () => {
  assert.throws(() => parseBraiinsRestStats('nope'), /not an object/);
});

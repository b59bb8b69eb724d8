import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLenientJson } from '../transport/lenient-json.js';
import type { CgminerResponse } from '../transport/cgminer-client.js';
import { readFixtureOrSkip, readTestdata } from '../transport/test-fixtures.js';
import {
  luxosReading,
  parseLuxosConfig,
  parseLuxosPower,
  parseLuxosProfiles,
  parseLuxosStats,
  parseLuxosSummary,
  pickProfileForTarget,
} from './luxos-parsers.js';
import { sessionIdInMessage } from './luxos-session.js';

const DIR = 'miners/luxos/2025.4.8-s19kpro';
const endpoint = { id: 'm1', host: '10.0.0.5' };
const parse = (text: string) => parseLenientJson(text) as CgminerResponse;

// Expected values written by hand from the LUXminer 2025.4.8 S19k Pro captures.
test('luxos capture: power → POWER[0].Watts', (t) => {
  const text = readFixtureOrSkip(t, `${DIR}/power.json`);
  if (text) assert.equal(parseLuxosPower(parse(text)), 1051);
});

test('luxos capture: summary → GHS 5s as TH/s and Elapsed', (t) => {
  const text = readFixtureOrSkip(t, `${DIR}/summary.json`);
  if (text) assert.deepEqual(parseLuxosSummary(parse(text)), { hashrateThs: 59.756, uptimeS: 3453 });
});

test('luxos capture: stats → model, fans, max temp, ideal rate', (t) => {
  const text = readFixtureOrSkip(t, `${DIR}/stats.json`);
  if (text) assert.deepEqual(parseLuxosStats(parse(text)), { model: 'Antminer S19k Pro', maxTempC: 47, fanRpm: [1920, 1920, 2340, 2340], nominalThs: 62 });
});

test('luxos capture: config → not curtailed, PSU on, ATM on, nameplate', (t) => {
  const text = readFixtureOrSkip(t, `${DIR}/config.json`);
  if (!text) return;
  assert.deepEqual(parseLuxosConfig(parse(text)), {
    curtailed: false,
    psuOn: true,
    atmEnabled: true,
    model: 'Antminer S19k Pro',
    nominalThs: 121.8,
    profile: '290MHz',
    firmwareVersion: '2025.4.8.220305-57b389c7',
  });
});

test('luxos capture: profiles → 25 profiles sorted by watts; target picks the largest at or under it', (t) => {
  const text = readFixtureOrSkip(t, `${DIR}/profiles.json`);
  if (!text) return;
  const profiles = parseLuxosProfiles(parse(text));
  assert.equal(profiles.length, 25);
  assert.deepEqual(profiles[0], { name: '190MHz', watts: 784, hashrateThs: 39.2 });
  assert.equal(profiles.at(-1)!.name, '790MHz');
  assert.equal(profiles.at(-1)!.watts, 4195);
  assert.equal(pickProfileForTarget(profiles, 1000)?.name, '240MHz');
  assert.equal(pickProfileForTarget(profiles, 2794)?.name, 'default');
  assert.equal(pickProfileForTarget(profiles, 100)?.name, '190MHz', 'below every profile → the lowest');
});

test('luxos capture: full reading from the four replies', (t) => {
  const texts = ['power', 'summary', 'stats', 'config'].map((c) => readFixtureOrSkip(t, `${DIR}/${c}.json`));
  if (texts.some((x) => x === undefined)) return;
  const [power, summary, stats, config] = texts.map((x) => parse(x!));
  const reading = luxosReading({ power: power!, summary: summary!, stats: stats!, config: config! }, endpoint, 1000);
  assert.deepEqual(reading, {
    id: 'm1',
    host: '10.0.0.5',
    make: 'Antminer',
    model: 'Antminer S19k Pro',
    firmware: 'luxos',
    firmwareVersion: '2025.4.8.220305-57b389c7',
    state: 'hashing',
    powerW: 1051,
    powerSource: 'reported',
    hashrateThs: 59.756,
    nominalThs: 121.8,
    efficiencyJth: 17.59,
    maxTempC: 47,
    fanRpm: [1920, 1920, 2340, 2340],
    uptimeS: 3453,
    readAt: 1000,
  });
});

function joined(file: string) {
  const reply = parse(readTestdata(`agent/drivers/miners/luxos/testdata/${file}`)) as Record<string, CgminerResponse[]>;
  return { power: reply.power![0]!, summary: reply.summary![0]!, stats: reply.stats![0]!, config: reply.config![0]! };
}

test('luxos testdata: hashing joined reply', () => {
  const r = luxosReading(joined('hashing-joined.json'), endpoint, 5);
  assert.equal(r.state, 'hashing');
  assert.equal(r.powerW, 3010);
  assert.equal(r.hashrateThs, 104.251);
  assert.equal(r.maxTempC, 64);
  assert.deepEqual(r.fanRpm, [4200, 4260, 4140, 4320]);
  assert.equal(r.efficiencyJth, 28.87);
  assert.equal(r.model, 'Antminer S19j Pro');
});

test('luxos testdata: curtailed (sleep) reply is sleeping with no hashrate', () => {
  const r = luxosReading(joined('sleeping-joined.json'), endpoint, 5);
  assert.equal(r.state, 'sleeping');
  assert.equal(r.powerW, 28);
  assert.equal(r.hashrateThs, 0);
  assert.equal(r.efficiencyJth, null);
  assert.equal(r.maxTempC, 36, 'no temp_max: highest tempN');
});

test('luxos testdata: profiles out of order are sorted; logon conflict names the session', () => {
  const profiles = parseLuxosProfiles(parse(readTestdata('agent/drivers/miners/luxos/testdata/profiles.json')));
  assert.deepEqual(profiles.map((p) => p.watts), [2150, 2480, 2790, 3010]);
  assert.equal(pickProfileForTarget(profiles, 2500)?.name, '465MHz');
  const conflict = parse(readTestdata('agent/drivers/miners/luxos/testdata/logon-conflict.json'));
  const msg = (conflict.STATUS as Array<{ Msg: string }>)[0]!.Msg;
  assert.equal(sessionIdInMessage(msg), 'Qm7xT2pA');
  assert.equal(sessionIdInMessage('Session exists: yJN2nlj1'), 'yJN2nlj1');
  assert.equal(sessionIdInMessage('Invalid command'), undefined);
});

test('luxos: a summary without SUMMARY is a PARSE error', () => {
  assert.throws(() => parseLuxosSummary({ STATUS: [{ STATUS: 'S' }] }), /no SUMMARY/);
});

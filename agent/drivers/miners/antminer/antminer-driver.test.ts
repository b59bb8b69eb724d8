import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startFleet, type Fleet, type FleetEndpoint } from '../../../../sim/fleet/fleet.js';
import { antminerPersonality } from '../../../../sim/personalities/antminer.js';
import { createAntminerDriver } from './index.js';

// Against the emulated fleet over real loopback sockets (cgminer API + digest CGI).
// Time factor 0.05: a 6 s power-down takes 0.3 s, a 10 s wake 0.5 s.
const host = `127.${1 + Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
let fleet: Fleet;
let endpoints: FleetEndpoint[];

before(async () => {
  fleet = await startFleet({ miners: 3, mix: { antminer: 1 }, timeFactor: 0.05, host, portBase: 0, seed: 7, personalities: { antminer: antminerPersonality } });
  endpoints = fleet.endpoints();
});
after(() => fleet.stop());

const driverFor = (i: number, override: Partial<FleetEndpoint> = {}) => createAntminerDriver({ ...endpoints[i]!, ...override }, { requestTimeoutMs: 2000 });

test('reads model, hashrate and estimated power', async () => {
  const r = await driverFor(0).read();
  const truth = fleet.miner(endpoints[0]!.id);
  assert.equal(r.state, 'hashing', r.error);
  assert.equal(r.firmware, 'antminer');
  assert.equal(r.model, truth.spec.model);
  assert.equal(r.powerSource, 'estimated');
  assert.ok(r.hashrateThs > truth.spec.nominalThs * 0.8, `hashrate ${r.hashrateThs}`);
  assert.ok(r.powerW !== null && r.powerW > 1000, `power ${r.powerW}`);
  assert.ok(r.maxTempC !== null && r.maxTempC > 30);
  assert.ok(r.fanRpm.length > 0);
});

test('sleep is confirmed with power near idle; wake brings hashing back to the previous mode', async () => {
  const driver = driverFor(0);
  const slept = await driver.sleep({ confirmTimeoutMs: 10_000 });
  assert.equal(slept.ok, true, JSON.stringify(slept));
  assert.equal(slept.observedState, 'sleeping');
  assert.ok((slept.observedPowerW ?? Infinity) < 200, `asleep at ${slept.observedPowerW} W`);
  assert.ok(fleet.miner(endpoints[0]!.id).snapshot().powerW < 200, 'the emulated miner really dropped its power');
  const woke = await driver.wake({ confirmTimeoutMs: 10_000 });
  assert.equal(woke.ok, true, JSON.stringify(woke));
  assert.equal(woke.observedState, 'hashing');
});

test('wrong password → auth_failed, and the miner keeps hashing', async () => {
  const result = await driverFor(1, { password: 'not-root' }).sleep({ confirmTimeoutMs: 3000 });
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.reason, 'auth_failed');
  assert.equal(fleet.miner(endpoints[1]!.id).snapshot().phase, 'hashing');
});

test('a miner that answers success but keeps hashing → ignored', async () => {
  const miner = fleet.miner(endpoints[2]!.id);
  miner.faults.ignoreSleep = true;
  try {
    const result = await driverFor(2).sleep({ confirmTimeoutMs: 1500 });
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.reason, 'ignored', JSON.stringify(result));
    assert.equal(result.observedState, 'hashing');
  } finally {
    miner.faults.ignoreSleep = false;
  }
});

test('power target is unsupported on stock firmware', async () => {
  const driver = driverFor(1);
  assert.equal(driver.capabilities().powerTarget, false);
  const result = await driver.setPowerTarget(2500);
  assert.equal(!result.ok && result.reason, 'unsupported');
  assert.match(!result.ok ? result.message : '', /UNSUPPORTED/);
});

test('an unreachable miner reads offline with a reason', async () => {
  const r = await createAntminerDriver({ id: 'gone', host: '127.0.0.1', port: 1 }, { requestTimeoutMs: 1000 }).read();
  assert.equal(r.state, 'offline');
  assert.ok(r.error && r.error.length > 0);
});

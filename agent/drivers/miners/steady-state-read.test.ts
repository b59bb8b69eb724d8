import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFleet, type Fleet } from '../../../sim/fleet/fleet.js';
import { braiinsPersonality } from '../../../sim/personalities/braiins.js';
import type { Personality } from '../../../sim/emulated-miner.js';
import { waitFor } from '../../../test/helpers/wait-for.js';
import { createMinerDriver } from './registry.js';
import { randomLoopback } from './transport/test-servers.js';
import { FIRMWARES, type FirmwareName, type MinerDriver } from './miner-driver.js';

// The agent keeps one driver per miner across polls: after the first read, a
// reading should cost one connection (static facts cached in the driver), and
// the cache must never hide a state change. Real sockets against the emulator;
// time factor 0.05 turns the ≈6 s pause into ≈0.3 s.
const CONTEXT = { requestTimeoutMs: 1500 };
const READS = 10;

async function fleetOf(firmware: FirmwareName, personality?: Personality): Promise<Fleet> {
  return startFleet({
    miners: 1,
    mix: { [firmware]: 1 },
    timeFactor: 0.05,
    host: randomLoopback(),
    portBase: 0,
    seed: 5,
    ...(personality ? { personalities: { [firmware]: personality } } : {}),
  });
}

const driverOf = (fleet: Fleet): MinerDriver => {
  const e = fleet.endpoints()[0]!;
  return createMinerDriver(e.firmware, e, CONTEXT);
};

for (const firmware of FIRMWARES) {
  test(`${firmware}: after the first read, ${READS} readings take at most one connection each plus one refresh of the cached facts`, async (t) => {
    const fleet = await fleetOf(firmware);
    t.after(() => fleet.stop());
    const driver = driverOf(fleet);
    const first = await driver.read();
    assert.equal(first.state, 'hashing', first.error);
    const before = fleet.connectionsAccepted();
    for (let i = 0; i < READS; i++) {
      const r = await driver.read();
      assert.equal(r.state, 'hashing', r.error);
      assert.equal(r.model, first.model, 'the cached model is reported on every reading');
      assert.equal(r.firmwareVersion, first.firmwareVersion);
      assert.ok(r.powerW !== null && r.hashrateThs > 1 && r.maxTempC !== null && r.fanRpm.length > 0 && r.uptimeS !== null, JSON.stringify(r));
    }
    const connections = fleet.connectionsAccepted() - before;
    // One refresh in every ten reads (its first one at a random read), one extra connection each.
    assert.ok(connections >= READS && connections <= READS + 2, `${connections} connections for ${READS} readings`);
  });
}

for (const [firmware, personality] of [
  ['whatsminer', undefined],
  ['braiins', undefined],
  ['braiins', { firmware: 'braiins', http: braiinsPersonality.http } as Personality],
] as Array<[FirmwareName, Personality | undefined]>) {
  const label = personality ? `${firmware} (REST only, no cgminer API)` : firmware;
  test(`${label}: a miner stopped by someone else reads sleeping, not the cached state`, async (t) => {
    const fleet = await fleetOf(firmware, personality);
    t.after(() => fleet.stop());
    const driver = driverOf(fleet);
    for (let i = 0; i < 3; i++) assert.equal((await driver.read()).state, 'hashing');
    const miner = fleet.miner(fleet.endpoints()[0]!.id);
    miner.requestSleep(); // not through our driver: nothing invalidated the cache
    // Firmware may say "stopped" while the boards still ramp down; what must show is the sleep once hashing ended
    // (with the cached "mining" status it would read idle for ever).
    const asleep = await waitFor('a sleeping reading with hashing stopped', async () => {
      const r = await driver.read();
      return r.state === 'sleeping' && r.hashrateThs <= 0.5 ? r : undefined;
    });
    assert.ok(asleep.powerW !== null, 'power is still reported');
    miner.requestWake();
    const awake = await waitFor('a hashing reading again', async () => {
      const r = await driver.read();
      return r.state === 'hashing' && r.hashrateThs > 0.5 ? r : undefined;
    });
    assert.ok(awake.powerW !== null && awake.powerW > 0);
  });
}

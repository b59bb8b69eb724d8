import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSilentLogger } from '../../shared/log/logger.js';
import type { MinerDriver, MinerReading } from '../drivers/miners/miner-driver.js';
import type { ManagedMiner } from './managed-miner.js';
import { pollCycle } from './poll-cycle.js';

// A driver whose reads answer at once or hang, per call: the cycle's rules, not a protocol.
function miner(id: string, answers: Array<'sleeping' | 'hang'>): ManagedMiner {
  let call = 0;
  const driver = {
    firmware: 'braiins',
    endpoint: { id, host: id },
    read(): Promise<MinerReading> {
      const a = answers[Math.min(call++, answers.length - 1)];
      if (a === 'hang') return new Promise(() => undefined);
      return Promise.resolve({
        id, host: id, make: 'Bitmain', model: 'S19', firmware: 'braiins', firmwareVersion: '', state: 'sleeping', powerW: 55, powerSource: 'reported',
        hashrateThs: 0, nominalThs: 110, efficiencyJth: null, maxTempC: 30, fanRpm: [], uptimeS: 1, readAt: clock,
      });
    },
  } as unknown as MinerDriver;
  return { id, endpoint: { id, host: id }, firmware: 'braiins', group: 'g', fromRange: false, driver, busy: false };
}

let clock = 1_000_000;
const options = (keepLastMs: number) => ({ concurrency: 4, timeoutMs: 50, keepLastMs, now: () => clock, log: createSilentLogger() });
const counts = (readings: MinerReading[]) => readings.reduce<Record<string, number>>((c, r) => ({ ...c, [r.state]: (c[r.state] ?? 0) + 1 }), {});

test('a missed read shows the last reading (state, draw, old readAt) within keepLastMs, then offline', async () => {
  const miners = [miner('a', ['sleeping', 'hang']), miner('b', ['sleeping'])];
  await pollCycle(miners, options(10_000));
  const firstReadAt = miners[0]!.reading!.readAt;
  clock += 5000;
  const second = await pollCycle(miners, options(10_000));
  assert.deepEqual(counts(second.readings), { sleeping: 2 }, 'one slow answer does not make a sleeping miner offline');
  assert.equal(second.carried, 1);
  assert.equal(second.changed.length, 0);
  const a = second.readings.find((r) => r.id === 'a')!;
  assert.equal(a.powerW, 55);
  assert.equal(a.readAt, firstReadAt, 'nothing can confirm an action from a carried reading');
  assert.match(a.error ?? '', /previous read still running|no answer within 50 ms/);
  assert.equal(miners[0]!.missed, true, 'not a miner to command while it does not answer');
  assert.equal(miners[1]!.missed, false);
  clock += 6000; // 11 s since the last real reading
  const third = await pollCycle(miners, options(10_000));
  assert.deepEqual(counts(third.readings), { offline: 1, sleeping: 1 });
  assert.equal(third.changed.length, 1);
});

test('keepLastMs 0: a missed read is offline at once', async () => {
  const miners = [miner('a', ['sleeping', 'hang'])];
  await pollCycle(miners, options(0));
  const second = await pollCycle(miners, options(0));
  assert.equal(second.readings[0]!.state, 'offline');
  assert.equal(second.carried, 0);
});

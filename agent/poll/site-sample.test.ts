import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodedSize, MAX_PAYLOAD_BYTES, SampleSchema } from '../../shared/protocol/index.js';
import type { MinerReading } from '../drivers/miners/miner-driver.js';
import { buildSample, splitDetail, toMinerDetail } from './site-sample.js';

function reading(id: string, state: MinerReading['state'], powerW: number | null, source: MinerReading['powerSource'] = 'reported'): MinerReading {
  return { id, host: id, make: 'Bitmain', model: 'S19', firmware: 'antminer', firmwareVersion: '', state, powerW, powerSource: source, hashrateThs: state === 'hashing' ? 100 : 0, nominalThs: 100, efficiencyJth: powerW ? powerW / 100 : null, maxTempC: 70, fanRpm: [], uptimeS: 1, readAt: 0 };
}

test('a sample counts states, sums power (estimated apart) and is valid on the wire', () => {
  const s = buildSample([reading('a', 'hashing', 3000), reading('b', 'hashing', 3250, 'estimated'), reading('c', 'offline', null), reading('d', 'sleeping', 20)], { powerKw: 6.5, importKwh: 12, readAt: 0 }, { ts: 5, revision: 3, curtailedMiners: 1 });
  assert.deepEqual(s.counts, { hashing: 2, idle: 0, sleeping: 1, offline: 1, error: 0, total: 4 });
  assert.equal(s.minerKw, 6.27);
  assert.equal(s.estimatedKw, 3.25);
  assert.equal(s.meterKw, 6.5);
  assert.equal(s.hashrateThs, 200);
  assert.ok(SampleSchema.safeParse(s).success);
  assert.equal(buildSample([], { powerKw: null, importKwh: null, readAt: 0, error: 'x' }, { ts: 1, revision: null, curtailedMiners: 0 }).meterKw, null);
});

test('per-miner detail splits under the 64 KiB payload limit', () => {
  const details = Array.from({ length: 5000 }, (_, i) => toMinerDetail(reading(`miner-${String(i).padStart(5, '0')}-with-a-long-name`, 'hashing', 3000), i % 7 === 0));
  const chunks = splitDetail(details);
  assert.ok(chunks.length > 1);
  assert.equal(chunks.flat().length, 5000);
  for (const c of chunks) assert.ok(encodedSize({ miners: c }) < MAX_PAYLOAD_BYTES - 1000);
});

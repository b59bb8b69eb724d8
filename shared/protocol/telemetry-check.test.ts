import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exampleTelemetry } from './examples.js';
import { TelemetrySchema } from './schemas/telemetry.js';
import { isPlainValidTelemetry } from './telemetry-check.js';

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
type Mut = (t: any) => void;
const miner = { id: 'm1', model: 'S19j Pro', firmware: 'stock', state: 'hashing', w: 3050, powerSource: 'reported', ths: 104, jth: 29.3, tempC: 71, asleepByAgent: false };

// Each case: valid or invalid per the schema; the compiled check must never accept what zod refuses
// nor anything zod would change (unknown keys), and should accept the plain valid shapes.
const mutations: Array<[string, Mut]> = [
  ['as is', () => {}],
  ['with miners', (t) => { t.miners = [miner, { ...miner, id: 'm2', w: null, jth: null, tempC: null, powerSource: undefined, asleepByAgent: undefined }]; }],
  ['only miners, a part', (t) => { t.samples = []; t.miners = [miner]; t.part = { index: 0, count: 2 }; }],
  ['historical', (t) => { t.historical = true; }],
  ['no samples, no miners', (t) => { t.samples = []; }],
  ['unknown top key', (t) => { t.extra = 1; }],
  ['unknown sample key', (t) => { t.samples[0].extra = 1; }],
  ['unknown miner key', (t) => { t.miners = [{ ...miner, extra: 1 }]; }],
  ['bad counts sum', (t) => { t.samples[0].counts.total += 1; }],
  ['negative count', (t) => { t.samples[0].counts.idle = -1; }],
  ['fractional seq', (t) => { t.seq = 1.5; }],
  ['seq 0', (t) => { t.seq = 0; }],
  ['bad site id', (t) => { t.site = 'Bad'; }],
  ['miner id empty', (t) => { t.miners = [{ ...miner, id: '' }]; }],
  ['miner model too long', (t) => { t.miners = [{ ...miner, model: 'x'.repeat(65) }]; }],
  ['miner bad state', (t) => { t.miners = [{ ...miner, state: 'melting' }]; }],
  ['miner temp 201', (t) => { t.miners = [{ ...miner, tempC: 201 }]; }],
  ['miner temp -50', (t) => { t.miners = [{ ...miner, tempC: -50 }]; }],
  ['miner w negative', (t) => { t.miners = [{ ...miner, w: -1 }]; }],
  ['miner bad powerSource', (t) => { t.miners = [{ ...miner, powerSource: 'guess' }]; }],
  ['revision 0', (t) => { t.samples[0].revision = 0; }],
  ['meterKw string', (t) => { t.samples[0].meterKw = '5'; }],
  ['part missing count', (t) => { t.part = { index: 0 }; }],
  ['miners not array', (t) => { t.miners = {}; }],
  ['too many miners', (t) => { t.miners = Array.from({ length: 2001 }, (_, i) => ({ ...miner, id: `m${i}` })); }],
];

for (const [name, mutate] of mutations) {
  test(`compiled telemetry check agrees with the schema: ${name}`, () => {
    const t = clone(exampleTelemetry) as any;
    mutate(t);
    const fromJson = clone(t) as Record<string, unknown>;
    const zod = TelemetrySchema.safeParse(fromJson);
    const fast = isPlainValidTelemetry(fromJson);
    if (fast) {
      assert.ok(zod.success, 'the check accepted what the schema refuses');
      assert.deepEqual(zod.data, fromJson, 'the schema would have changed the payload');
    }
    if (zod.success && JSON.stringify(zod.data) === JSON.stringify(fromJson)) assert.ok(fast, 'a plain valid payload should take the fast path');
  });
}

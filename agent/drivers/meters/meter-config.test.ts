import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MeterConfigSchema } from './meter-config.js';

function issues(input: unknown): string[] {
  const r = MeterConfigSchema.safeParse(input);
  assert.equal(r.success, false, 'expected the config to be refused');
  return r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

test('a preset config gets the documented defaults', () => {
  const c = MeterConfigSchema.parse({ driver: 'modbus-tcp', host: '10.0.0.5', preset: 'eastron-sdm630' });
  assert.deepEqual(c, { driver: 'modbus-tcp', host: '10.0.0.5', port: 502, unitId: 1, preset: 'eastron-sdm630', timeoutMs: 2000 });
});

test('a generic map fills wordOrder and scale defaults per quantity', () => {
  const c = MeterConfigSchema.parse({
    driver: 'modbus-tcp',
    host: 'meter.local',
    map: { powerKw: { register: 100, function: 3, type: 'int32', scale: 0.001, unitId: 7 } },
  });
  assert.deepEqual(c.map, { powerKw: { register: 100, function: 3, type: 'int32', wordOrder: 'big', scale: 0.001, unitId: 7 } });
});

test('refuses neither or both of preset and map, naming the field', () => {
  assert.match(issues({ driver: 'modbus-tcp', host: 'm' }).join('\n'), /^preset: set either preset \(eastron-sdm630, schneider-pm5000\) or a generic map/m);
  const both = { driver: 'modbus-tcp', host: 'm', preset: 'schneider-pm5000', map: { powerKw: { register: 1, function: 4, type: 'float32' } } };
  assert.match(issues(both).join('\n'), /^map: set preset or map, not both/m);
});

test('refuses bad register specs with the path of the bad field', () => {
  const bad = (spec: Record<string, unknown>) => issues({ driver: 'modbus-tcp', host: 'm', map: { importKwh: spec } }).join('\n');
  assert.match(bad({ register: 1, function: 6, type: 'float32' }), /^map\.importKwh\.function:/m);
  assert.match(bad({ register: 70000, function: 3, type: 'float32' }), /^map\.importKwh\.register:/m);
  assert.match(bad({ register: 1, function: 3, type: 'float16' }), /^map\.importKwh\.type:/m);
  assert.match(bad({ register: 1, function: 3, type: 'uint16', scale: 0 }), /^map\.importKwh\.scale: scale must be a finite, non-zero number/m);
  assert.match(bad({ register: 1, function: 3, type: 'uint16', wordorder: 'big' }), /wordorder/);
  assert.match(issues({ driver: 'modbus-tcp', host: 'm', map: {} }).join('\n'), /at least powerKw or importKwh/);
});

test('refuses unknown drivers and presets', () => {
  assert.match(issues({ driver: 'mbus', host: 'm', preset: 'eastron-sdm630' }).join('\n'), /^driver:/m);
  assert.match(issues({ driver: 'modbus-tcp', host: 'm', preset: 'sdm120' }).join('\n'), /^preset:/m);
});

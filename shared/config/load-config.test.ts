import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { loadConfigFile, parseConfig } from './load-config.js';
import { BrokerConfigSchema } from './broker-config.js';
import { AppError } from '../errors.js';

const Schema = z.object({
  site: z.string(),
  dataDir: z.string().default('./data'),
  broker: BrokerConfigSchema,
  poll: z.object({ concurrency: z.number().int().positive(), detailEvery: z.number().int().default(6) }),
  miners: z.array(z.object({ host: z.string(), port: z.number().int().optional() })),
});

function expectConfigError(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof AppError);
    assert.equal(err.code, 'CONFIG_INVALID');
    for (const p of patterns) assert.match(err.message, p);
    return true;
  });
}

test('a valid file parses with defaults applied', () => {
  const config = parseConfig('site: s1\nbroker: { url: "mqtt://127.0.0.1:1883" }\npoll: { concurrency: 64 }\nminers: [{ host: 10.0.0.5 }]\n', 'agent.yaml', Schema, { env: {} });
  assert.equal(config.dataDir, './data');
  assert.equal(config.poll.detailEvery, 6);
  assert.equal(config.broker.reconnectMaxMs, 30_000);
  assert.equal(config.miners[0]?.host, '10.0.0.5');
});

test('errors name the file, each bad field path and what was expected', () => {
  expectConfigError(
    () => parseConfig('site: 5\nbroker: { url: "http://x" }\npoll: { concurrency: -1 }\nminers: [{ port: "x" }]\n', 'config file /etc/hashwatt/agent.yaml', Schema, { env: {} }),
    /config file \/etc\/hashwatt\/agent\.yaml is invalid/,
    /- site: .*expected string/i,
    /- broker\.url: expected a broker URL/,
    /- poll\.concurrency: .*>0|- poll\.concurrency: .*positive|- poll\.concurrency: .*greater/i,
    /- miners\.0\.host: /,
    /- miners\.0\.port: /,
  );
});

test('broken YAML is reported with the file name', () => {
  expectConfigError(() => parseConfig('site: [unclosed\n', 'agent.yaml', Schema, { env: {} }), /agent\.yaml is not valid YAML/);
});

test('environment overrides win over the file and keep their types', () => {
  const config = parseConfig('site: s1\nbroker: { url: "mqtt://a:1883" }\npoll: { concurrency: 4 }\nminers: []\n', 'agent.yaml', Schema, {
    env: { HASHWATT_BROKER__URL: 'mqtts://b:8883', HASHWATT_POLL__CONCURRENCY: '128', HASHWATT_DATA_DIR: '/var/lib/hashwatt', OTHER: 'x' },
  });
  assert.equal(config.broker.url, 'mqtts://b:8883');
  assert.equal(config.poll.concurrency, 128);
  assert.equal(config.dataDir, '/var/lib/hashwatt');
});

test('a missing file is a CONFIG_NOT_FOUND error naming the path', () => {
  assert.throws(() => loadConfigFile('/nonexistent/agent.yaml', Schema), (err: unknown) => err instanceof AppError && err.code === 'CONFIG_NOT_FOUND' && /\/nonexistent\/agent\.yaml: no such file/.test(err.message));
});

test('loadConfigFile reads a real file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hw-config-'));
  const path = join(dir, 'agent.yaml');
  writeFileSync(path, 'site: s1\nbroker:\n  url: mqtt://127.0.0.1:1883\n  password: hunter2\npoll:\n  concurrency: 8\nminers: []\n');
  const config = loadConfigFile(path, Schema, { env: {} });
  assert.equal(config.broker.password, 'hunter2');
});

test('program-wide HASHWATT_ variables that are not settings are not applied to a strict schema', () => {
  const Strict = z.strictObject({ site: z.string() });
  const config = parseConfig('site: s1\n', 'agent.yaml', Strict, { env: { HASHWATT_LOG_LEVEL: 'debug', HASHWATT_DEBUG: '1', HASHWATT_SITE: 's2' } });
  assert.deepEqual(config, { site: 's2' });
});
